"""What the hdk role leaves on a node: the seed stack's driver and firmware, running."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
import stack  # noqa: E402  (the manifests the versions come from)

DRIVER, FIRMWARE = stack.version("seed", "driver"), stack.version("seed", "firmware")


def test_driver_and_firmware_versions(host):
    assert host.file("/usr/local/Ascend/driver/version.info").contains("^Version=%s$" % DRIVER)
    assert host.file("/usr/local/Ascend/firmware/version.info").contains("^Version=%s$" % FIRMWARE)
    info = host.file("/etc/ascend_install.info")
    assert info.contains("^Driver_Install_Path_Param=/usr/local/Ascend$")
    assert info.contains("^Firmware_Install_Path_Param=/usr/local/Ascend$")


def test_npu_smi_answers_with_eight_healthy_npus(host):
    out = host.check_output("/usr/local/bin/npu-smi info")
    assert "npu-smi " + DRIVER in out
    assert out.count("| OK ") == 8


def test_devices_belong_to_hwhiaiuser(host):
    assert host.user("HwHiAiUser").uid == 1000
    for i in range(8):
        dev = host.file("/dev/davinci%d" % i)
        kind = host.check_output("stat -c %%F /dev/davinci%d" % i)
        assert kind == "character special file" and dev.user == "HwHiAiUser" and dev.mode == 0o660


def test_packages_cached_with_checksums(host):
    cache = host.file("/var/cache/ascend_verl/artifacts")
    assert cache.is_directory and cache.mode == 0o750
    assert any(n.startswith("Ascend-hdk-910b-npu-driver_%s_linux-" % DRIVER) for n in cache.listdir())
