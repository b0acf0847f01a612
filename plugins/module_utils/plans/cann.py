# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for the CANN toolkit, the chip's kernels/ops package and NNAL (role cann).

Toolkit first, then kernels/ops (a new toolkit takes its kernels again), then NNAL (it
installs only from an environment where the toolkit's set_env.sh was sourced).  The first
CANN package records the install root; later ones refuse --install-path, so only the
first install passes it and a recorded root that differs from ascend_root stops the node.
Python 3.9+, standard library only.
"""

import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils import hardware, hccl_bench
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import change, differs, file_for, plan, wanted

PARTS = ("toolkit", "kernels", "nnal")


def cann(manifest, facts, knobs, inputs=None):
    found, device, arch = facts["cann"], knobs["ascend_npu_device"], facts["system"]["arch"]
    root = knobs["ascend_root"].rstrip("/") or "/"
    recorded = found.get("recorded_root")
    problems = []
    if recorded and recorded.rstrip("/") != root:
        problems.append("CANN is already installed under %s (/etc/Ascend/ascend_cann_install.info) but ascend_root is %s; "
                        "the packages refuse another path, so set ascend_root to %s or uninstall first"
                        % (recorded, root, recorded))
    files = dict((p, file_for(manifest, p, device, arch)) for p in PARTS)
    if not re.search(hardware.CANN_KERNELS_CHIP.get(device, "^$"), files["kernels"] or ""):
        problems.append("refusing %s on an %s node (%s)" % (files["kernels"], device, hardware.CANN_KERNELS_NAMES))
    toolkit_moves = differs(found["toolkit"], wanted(manifest, "toolkit"))
    home = root + "/ascend-toolkit/latest"
    steps = []
    for part in PARTS:
        want = wanted(manifest, part)
        if differs(found[part], want) or (part == "kernels" and toolkit_moves):
            flags = list(knobs["cann_%s_flags" % part]) + ([] if recorded or steps else ["--install-path=" + root])
            steps.append({"name": part, "file": files[part], "flags": flags,
                          "env": {"ASCEND_TOOLKIT_HOME": home, "ASCEND_HOME_PATH": home},
                          "why": change(part, want, found[part]) + (" (the toolkit changes)" if part == "kernels"
                                                                    and not differs(found[part], want) else "")})
    hccl_test = None
    if knobs["cann_hccl_test"]:
        try:
            hccl_test = hccl_bench.build_plan(facts["system"].get("pkg_mgr"), arch, home,
                                              knobs["cann_hccl_test_mpi_home"], knobs["cann_hccl_test_mpirun"])
        except ValueError as e:
            problems.append("hccl_test: %s (or cann_hccl_test: false)" % e)
    return plan("cann", problems, steps, found=dict((p, found[p]) for p in PARTS), hccl_test=hccl_test)
