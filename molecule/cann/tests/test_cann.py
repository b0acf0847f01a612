"""CANN 8.5 on an A3 node: cann-<ver> root, compatibility links, A3 ops, NNAL."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
import stack  # noqa: E402  (the manifests the versions come from)

CANN = stack.version("v0.8", "toolkit")


def test_toolkit_85_layout(host):
    assert host.file("/usr/local/Ascend/cann").linked_to == "/usr/local/Ascend/cann-" + CANN
    assert host.file("/usr/local/Ascend/ascend-toolkit/latest").linked_to == "/usr/local/Ascend/cann-" + CANN
    arch = host.system_info.arch
    info = host.file("/usr/local/Ascend/cann/%s-linux/ascend_toolkit_install.info" % arch)
    assert info.contains("^version=%s$" % CANN)
    for script in ("ascend-toolkit/set_env.sh", "cann-%s/set_env.sh" % CANN):
        assert host.file("/usr/local/Ascend/" + script).contains("ASCEND_TOOLKIT_HOME=")


def test_a3_ops_and_nnal(host):
    arch = host.system_info.arch
    ops = host.file("/usr/local/Ascend/cann-%s/%s-linux/ascend_ops_install.info" % (CANN, arch))
    assert ops.contains("^package_name=Ascend-cann-A3-ops$")
    assert host.file("/usr/local/Ascend/nnal/atb/latest/version.info").contains("Ascend-cann-atb : " + stack.version("v0.8", "nnal"))
    assert host.file("/etc/Ascend/ascend_cann_install.info").contains("^Install_Path=/usr/local/Ascend$")


def test_hccl_test_built_with_the_distributions_mpich(host):
    """cann_hccl_test: MPICH from the distribution, hccl_test made once under the toolkit."""
    assert host.package("mpich").is_installed and host.package("libmpich-dev").is_installed
    bins = "/usr/local/Ascend/ascend-toolkit/latest/tools/hccl_test/bin/"
    for test in ("all_reduce_test", "all_gather_test", "broadcast_test", "reduce_scatter_test", "alltoall_test"):
        assert host.file(bins + test).mode & 0o111, test
