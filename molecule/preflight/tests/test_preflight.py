"""preflight reads and never writes."""


def test_nothing_was_installed(host):
    for path in ("/usr/local/Ascend", "/var/cache/ascend_verl", "/etc/ascend_install.info"):
        assert not host.file(path).exists, path


def test_hwhiaiuser_not_created(host):
    assert not host.user("HwHiAiUser").exists
