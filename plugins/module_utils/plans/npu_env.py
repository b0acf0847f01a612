# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for the NPU environment on a node (role npu_env).

ASCEND_RT_VISIBLE_DEVICES is every device of the node, 0..N-1 (verl hands Ray's physical
ids straight to set_device, so nothing else works); before a driver exists the PCI count
stands in for /dev/davinciN.  HCCL_SOCKET_IFNAME and GLOO_SOCKET_IFNAME are the interface
that routes to the Ray head, as verl's multi-node guide finds it.  A login shell must see
the values: another profile.d script that overrides them is reported.
Python 3.9+, standard library only.
"""

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import plan
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.files import stale

SHELL_CHECK = ("ASCEND_RT_VISIBLE_DEVICES", "HCCL_SOCKET_IFNAME", "HCCL_HOST_SOCKET_PORT_RANGE")


def values(facts, knobs):
    """The exported variables, in file order."""
    count = facts.get("devices") or (facts.get("pci") or {}).get("count") or 0
    visible = knobs["npu_env_visible_devices"] or ",".join(str(i) for i in range(count))
    ifname = knobs["npu_env_socket_ifname"] or ((facts.get("route") or {}).get("ifname") or "")
    out = [("HCCL_HOST_SOCKET_PORT_RANGE", knobs["ascend_hccl_host_socket_port_range"]),
           ("HCCL_NPU_SOCKET_PORT_RANGE", knobs["ascend_hccl_npu_socket_port_range"]),
           ("RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES", "1"),
           ("ASCEND_RT_VISIBLE_DEVICES", visible),
           ("HCCL_SOCKET_IFNAME", ifname),
           ("GLOO_SOCKET_IFNAME", ifname),
           ("HCCL_CONNECT_TIMEOUT", str(knobs["npu_env_hccl_connect_timeout"])),
           ("HCCL_EXEC_TIMEOUT", str(knobs["npu_env_hccl_exec_timeout"]))]
    if knobs["npu_env_deepep_enabled"]:
        out.append(("SGLANG_DEEPEP_BF16_DISPATCH", "1"))
    merged = dict(out)
    for key, value in (knobs["npu_env_extra"] or {}).items():
        if key not in merged:
            out.append((key, None))
        merged[key] = str(value)
    return dict((key, merged[key]) for key, dummy in out)


def template_vars(manifest, facts, knobs):
    return {"npu_env_values": values(facts, knobs)}


def npu_env(manifest, facts, knobs, inputs=None):
    exported = values(facts, knobs)
    problems = []
    if not exported["HCCL_SOCKET_IFNAME"]:
        route = facts.get("route") or {}
        problems.append("no interface routes to the Ray head (%s); set npu_env_socket_ifname"
                        % (route.get("error") or "ip route get found no device"))
    steps = stale((inputs or {}).get("rendered", []), facts.get("files") or {})
    shell = facts.get("login_shell")
    if not steps and shell is not None:
        seen = "|".join(shell.get(k, "") for k in SHELL_CHECK)
        want = "|".join(exported[k] for k in SHELL_CHECK)
        if seen != want:
            problems.append("a login shell sees %s = %s, expected %s (another profile.d script overriding %s?)"
                            % ("|".join(SHELL_CHECK), seen, want, knobs["npu_env_profile_file"]))
    return plan("npu_env", problems, steps, exported=exported)
