#!/usr/bin/python
# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: ascend_facts
short_description: Read everything the collection decides from on a node, in one run
version_added: 0.2.0
description:
  - The one reader of the node. Publishes C(ansible_facts.ascend) - OS, architecture, kernel, Python and package manager;
    NPUs on the PCI bus and C(/dev/davinciN); the driver's run user and group; driver and firmware (C(version.info));
    optionally what C(npu-smi info) answers; CANN's recorded install root, toolkit, kernels/ops and NNAL (both install
    layouts); conda, its envs and the named env's Python and packages (with editable sources); the environment file;
    and on request file stats, globs, requirements files, the route to the head node and what a login shell sees.
  - Versions are read from the files the vendor tools and pip write, never by importing anything. Whatever is
    missing is null, so a bare node reads as cleanly as a provisioned one.
  - Every role runs it once at its start (the probe), hands the facts to M(ascend_verl.cluster.ascend_plan), and runs
    it again only after it changed something.
author:
  - ascend_verl.cluster maintainers (@ascend-verl)
options:
  ascend_root:
    description: Root of the Ascend install (driver, firmware, CANN, NNAL).
    type: path
    default: /usr/local/Ascend
  conda_prefix:
    description: The conda installation.
    type: path
    default: /opt/miniforge3
  conda_env:
    description: The env whose Python and packages are read.
    type: str
    default: verl-sglang
  env_file:
    description: The KEY=VALUE environment file.
    type: path
    default: /etc/ascend_verl/npu.env
  user:
    description: A user whose uid and gid are read (the driver's run user).
    type: str
  group:
    description: A group whose gid is read.
    type: str
  npu_smi:
    description: Also run C(npu-smi info) (does it answer, the C(-8005) "not started" state, its version).
    type: bool
    default: false
  files:
    description: Paths whose mode, owner, group and sha1 are read (the files a role manages).
    type: list
    elements: path
    default: []
  globs:
    description: Glob patterns resolved on the node (which files exist, link targets).
    type: list
    elements: str
    default: []
  requirements:
    description: Requirements files whose text is returned (absent ones are null).
    type: list
    elements: path
    default: []
  head_address:
    description: An address whose route is read (C(ip route get)); the facts name the interface that reaches it.
    type: str
  login_shell:
    description: Variables whose values a login shell (C(bash -l), profile.d sourced) sees.
    type: list
    elements: str
    default: []
  fabric:
    description:
      - Also read every RoCE port with C(hccn_tool) (address, netmask, gateway, netdetect address, link, net health),
        C(/etc/hccn.conf) and which devices run a process (C(npu-smi info)).
    type: bool
    default: false
  fabric_settle:
    description:
      - With O(fabric), wait up to this many seconds for ports whose net health is still C(Init) (a port just
        addressed checks its netdetect address first).
    type: int
    default: 0
  ray:
    description:
      - Also read the node's Ray processes from C(/proc) - whether a raylet runs, whether a GCS server runs (the head),
        when the raylet started (epoch seconds) and what it was started with (node address, ports, resources) -
        and the init system with the state of the service of this name that runs Ray. Omit to skip.
    type: str
  host:
    description:
      - Also read the host baseline, published as C(host) - the open-file limits a login session of O(host.user) gets
        (C(runuser -l), so pam_limits applies), C(fs.nr_open), the sysctls named (live from C(/proc/sys), and the
        values the boot-time sysctl.d files and C(/etc/sysctl.conf) give them, in the order a boot applies them),
        C(/dev/shm) (mount, size, C(/etc/fstab) lines), MemTotal and the page size, the CPU governors where cpufreq
        exists, the init system and the state of O(host.units), the time services (installed, running, enabled,
        config text) with the sync state of the one in use, and the firewall when firewalld or ufw is active.
        Omit to skip.
    type: dict
    suboptions:
      user:
        description: The training user whose limits a login session shows.
        type: str
        default: root
      sysctls:
        description: Sysctl keys whose values are read (dotted, or with C(/) as sysctl(8) takes them).
        type: list
        elements: str
        default: []
      firewall_zone:
        description: The firewalld zone whose ports and rich rules are read; empty means the default zone.
        type: str
        default: ""
      units:
        description: systemd units whose C(systemctl is-enabled) state is read (null without systemd).
        type: list
        elements: str
        default: []
extends_documentation_fragment:
  - ascend_verl.cluster.attributes
notes:
  - Runs on the node's system Python (3.9 or later); nothing is written.
"""

EXAMPLES = r"""
- name: Read the node
  ascend_verl.cluster.ascend_facts:
    npu_smi: true

- name: Driver and torch_npu
  ansible.builtin.debug:
    msg: "{{ ansible_facts.ascend.hdk.driver }} / {{ ansible_facts.ascend.conda.env.packages['torch-npu'] | default('absent') }}"

- name: The managed files, the route to the head and a login shell's view in the same run
  ascend_verl.cluster.ascend_facts:
    files: [/etc/profile.d/ascend_verl.sh, /etc/ascend_verl/npu.env]
    head_address: 192.0.2.11
    login_shell: [ASCEND_RT_VISIBLE_DEVICES, HCCL_SOCKET_IFNAME]
"""

RETURN = r"""
ansible_facts:
  description: The facts, under C(ascend).
  returned: always
  type: dict
  contains:
    ascend:
      description:
        - C(system) (distribution, distribution_version, arch, kernel, python_version, pkg_mgr, kernel_headers),
          C(pci) (count, npu_device, by_device_id, devices), C(devices) (the number of C(/dev/davinciN)),
          C(accounts) (user, group), C(hdk) (driver, firmware), C(npu_smi) (null unless asked), C(cann)
          (recorded_root, toolkit, kernels, nnal, layout), C(conda) (prefix, installed, version, envs, env with
          python, packages, editable, verl_commit), C(env_file) (path, values), C(files), C(globs), C(requirements),
          C(route) (dev, src, ifname), C(login_shell), C(fabric) (null unless asked; tool, error, conf - the text of
          C(/etc/hccn.conf) - and ports, each with phy_id, address, netmask, gateway, netdetect, link, net_health,
          errors), C(host) (null unless asked; user with its login shell's nofile, nr_open, sysctls, sysctl_boot, shm,
          memory, cpufreq, init, units, time, firewall), C(ray) (null unless asked; running, head, pids, started,
          raylet with node_ip_address, ports, resources and npus; service with init, state and rc_tool), C(versions) (the audit's row, every component or null).
          C(npu_smi) also lists C(busy), the phy ids of devices that run a process.
      type: dict
      sample:
        system: {distribution: openEuler, distribution_version: "22.03", arch: aarch64, pkg_mgr: dnf, kernel_headers: true}
        pci: {count: 8, npu_device: A2}
        devices: 8
        hdk: {driver: 25.3.rc1, firmware: 7.8.0.1.211}
        npu_smi: {answers: false, kind: not_started, message: dcmi module initialize failed. ret is -8005, version: 25.3.rc1}
        cann: {recorded_root: /usr/local/Ascend, toolkit: 8.3.RC1, kernels: 8.3.RC1, nnal: 8.3.RC1, layout: "8.3"}
        conda:
          installed: true
          env: {exists: true, python: 3.11.13, packages: {torch: 2.7.1, torch-npu: 2.7.1.post2}}
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ascend_verl.cluster.plugins.module_utils import node_facts, npu_smi, versions


def read_npu_smi(module):
    info, error, path = npu_smi.run_info(module)
    if not error:
        phy = dict(((d["npu"], d.get("chip", 0)), d.get("phy_id", d["npu"])) for d in info["devices"])
        busy = sorted(set(phy.get((p["npu"], p["chip"]), p["npu"]) for p in info["processes"]))
        return {"answers": True, "kind": None, "message": "", "version": info["version"], "devices": len(info["devices"]),
                "busy": busy}
    version = None
    if path:        # a device that is not started still says which npu-smi it is
        rc, out, dummy = module.run_command([path, "-v"])
        match = rc == 0 and re.search(r"version\s*:\s*(\S+)", out, re.I)
        version = match.group(1) if match else None
    message = error["message"] + (" (%s)" % error["hint"] if error["hint"] else "")
    return {"answers": False, "kind": error["kind"], "message": message, "version": version, "devices": 0, "busy": []}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ascend_root=dict(type="path", default="/usr/local/Ascend"),
            conda_prefix=dict(type="path", default="/opt/miniforge3"),
            conda_env=dict(type="str", default="verl-sglang"),
            env_file=dict(type="path", default="/etc/ascend_verl/npu.env"),
            user=dict(type="str"),
            group=dict(type="str"),
            npu_smi=dict(type="bool", default=False),
            files=dict(type="list", elements="path", default=[]),
            globs=dict(type="list", elements="str", default=[]),
            requirements=dict(type="list", elements="path", default=[]),
            head_address=dict(type="str"),
            login_shell=dict(type="list", elements="str", default=[]),
            fabric=dict(type="bool", default=False),
            fabric_settle=dict(type="int", default=0),
            ray=dict(type="str"),
            host=dict(type="dict", options=dict(
                user=dict(type="str", default="root"),
                sysctls=dict(type="list", elements="str", default=[]),
                firewall_zone=dict(type="str", default=""),
                units=dict(type="list", elements="str", default=[]),
            )),
        ),
        supports_check_mode=True,
    )
    p = module.params
    uname = os.uname()
    facts = node_facts.gather(
        module.run_command, uname=(uname.release, uname.machine), ascend_root=p["ascend_root"],
        conda_prefix=p["conda_prefix"], conda_env=p["conda_env"], env_file=p["env_file"], user=p["user"],
        group=p["group"], npu_smi_info=read_npu_smi(module) if p["npu_smi"] else None, files=p["files"],
        globs=p["globs"], requirements=p["requirements"], head_address=p["head_address"],
        login_shell=p["login_shell"], fabric=p["fabric"], host=p["host"],
        fabric_settle=p["fabric_settle"], ray=p["ray"])
    facts["versions"] = versions.table(facts)
    module.exit_json(changed=False, ansible_facts={"ascend": facts})


if __name__ == "__main__":
    main()
