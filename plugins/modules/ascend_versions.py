#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: ascend_versions
short_description: Report every version of the verl/SGLang/Ascend stack on a node in one run
version_added: 0.1.0
description:
  - OS, kernel, architecture; driver and firmware (C(version.info)); C(npu-smi -v); CANN toolkit, kernels/ops and
    NNAL (both the 8.3 and the 8.5 layout); conda and the env's Python; the env's packages (torch, torch_npu,
    torchvision, sglang, sgl-kernel-npu, deep_ep, torch_memory_saver, triton-ascend, triton, verl and the commit of
    an editable verl checkout, ray, transformers, numpy, megatron-core, mindspeed, mbridge); the environment file.
  - Python packages are read from their installed metadata and never imported; the env's Python is not run.
  - Works on half-provisioned nodes - whatever is missing is null, not a failure.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  ascend_install_path:
    description: Where the driver and firmware are installed.
    type: path
    default: /usr/local/Ascend
  cann_install_path:
    description: Where CANN is installed (C(ascend-toolkit/latest) or, from 8.5, C(cann) below it).
    type: path
    default: /usr/local/Ascend
  conda_prefix:
    description: The conda installation.
    type: path
    default: /opt/miniforge3
  conda_env:
    description: The env verl runs in.
    type: str
    default: verl-sglang
  env_file:
    description: The KEY=VALUE environment file written by the P(ascend_verl.cluster.npu_env#role) role.
    type: path
    default: /etc/ascend_verl/npu.env
  npu_smi_path:
    description: Path of npu-smi; looked up as in M(ascend_verl.cluster.npu_smi_info) by default.
    type: path
  globs:
    description:
      - Glob patterns resolved on the node in the same run, for callers that also need to know which files
        exist (for example triton-ascend's C(triton/__init__.py) or the C(deep_ep_cpp*.so) link in site-packages).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
"""

EXAMPLES = r"""
- name: What is installed
  ascend_verl.cluster.ascend_versions:
  register: stack

- name: Driver and torch_npu
  ansible.builtin.debug:
    msg: "{{ stack.versions.driver }} / {{ stack.versions.torch_npu | default('absent', true) }}"

- name: The env's packages and whether triton-ascend's files are there, in one run
  ascend_verl.cluster.ascend_versions:
    conda_prefix: /opt/miniforge3
    conda_env: verl-sglang
    globs: [/opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages/triton/__init__.py]
  register: env_state
"""

RETURN = r"""
versions:
  description: Every component, always all keys; null when absent.
  returned: always
  type: dict
  sample:
    os: Debian GNU/Linux 12 (bookworm)
    kernel: 6.1.0-27-amd64
    arch: aarch64
    driver: 25.3.rc1
    firmware: 7.8.0.1.211
    npu_smi: 25.3.rc1
    toolkit: 8.3.RC1
    kernels: 8.3.RC1
    nnal: 8.3.RC1
    conda: 25.3.1
    python: 3.11.13
    torch: 2.7.1
    torch_npu: 2.7.1.post2
    triton: null
    verl: 0.7.1
    verl_commit: 0123456789abcdef0123456789abcdef01234567
sources:
  description: Where each found value was read.
  returned: always
  type: dict
  sample: {driver: /usr/local/Ascend/driver/version.info}
env_file:
  description: The environment file's KEY=VALUE pairs; null when the file is absent.
  returned: always
  type: dict
globs:
  description: For each of O(globs), the matching paths, sorted; C(link) is a symbolic link's target, else null.
  returned: always
  type: dict
  sample:
    /opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages/deep_ep_cpp*.so:
      - path: /opt/miniforge3/envs/verl-sglang/lib/python3.11/site-packages/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so
        link: deep_ep/deep_ep_cpp.cpython-311-aarch64-linux-gnu.so
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import npu_smi, versions


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ascend_install_path=dict(type="path", default="/usr/local/Ascend"),
            cann_install_path=dict(type="path", default="/usr/local/Ascend"),
            conda_prefix=dict(type="path", default="/opt/miniforge3"),
            conda_env=dict(type="str", default="verl-sglang"),
            env_file=dict(type="path", default="/etc/ascend_verl/npu.env"),
            npu_smi_path=dict(type="path"),
            globs=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    candidates = [p["npu_smi_path"]] if p["npu_smi_path"] else npu_smi.find_npu_smi(os.environ.get("PATH"))
    tool = next((c for c in candidates if os.path.isfile(c) and os.access(c, os.X_OK)), None)
    smi_version = None
    if tool:
        rc, out, dummy = module.run_command([tool, "-v"])
        smi_version = versions.parse_npu_smi_version(out) if rc == 0 else None
    uname = os.uname()
    result = versions.collect(ascend=p["ascend_install_path"], cann=p["cann_install_path"],
                              conda_prefix=p["conda_prefix"], conda_env=p["conda_env"], env_path=p["env_file"],
                              npu_smi_version=smi_version, uname=(uname.release, uname.machine))
    result["globs"] = versions.resolve_globs(p["globs"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
