"""CANN 8.5 on an A3 node: cann-8.5.0 root, compatibility links, A3 ops, NNAL."""


def test_toolkit_85_layout(host):
    assert host.file("/usr/local/Ascend/cann").linked_to == "/usr/local/Ascend/cann-8.5.0"
    assert host.file("/usr/local/Ascend/ascend-toolkit/latest").linked_to == "/usr/local/Ascend/cann-8.5.0"
    arch = host.system_info.arch
    info = host.file("/usr/local/Ascend/cann/%s-linux/ascend_toolkit_install.info" % arch)
    assert info.contains("^version=8.5.0$")
    for script in ("ascend-toolkit/set_env.sh", "cann-8.5.0/set_env.sh"):
        assert host.file("/usr/local/Ascend/" + script).contains("ASCEND_TOOLKIT_HOME=")


def test_a3_ops_and_nnal(host):
    arch = host.system_info.arch
    ops = host.file("/usr/local/Ascend/cann-8.5.0/%s-linux/ascend_ops_install.info" % arch)
    assert ops.contains("^package_name=Ascend-cann-A3-ops$")
    assert host.file("/usr/local/Ascend/nnal/atb/latest/version.info").contains("Ascend-cann-atb : 8.5.0")
    assert host.file("/etc/Ascend/ascend_cann_install.info").contains("^Install_Path=/usr/local/Ascend$")
