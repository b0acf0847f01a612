""".run installer stand-ins, executed for real (bash + payload) in a temporary sysroot,
against ascend_tools_formats.md sections 3-4."""

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "standins"), os.path.join(HERE, "..")]
import hwstate  # noqa: E402
from sim import artifacts, profiles  # noqa: E402

HDK_LINE = re.compile(r"^\[(Driver|Firmware)\] \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] "
                      r"\[(INFO|WARNING|ERROR)\]\S")


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    artifacts.generate("seed", str(out), "aarch64", python=False)
    artifacts.generate("v0.8", str(out / "v08"), "aarch64", python=False)
    return out


class Node:
    def __init__(self, tmp_path, profile):
        self.root, self.hw = tmp_path / "root", tmp_path / "hw"
        for d in ("etc", "dev", "proc", "run", "tmp", "usr/local/bin"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        self.hw.mkdir()
        (self.root / "etc/passwd").write_text("root:x:0:0::/root:/bin/bash\n")
        (self.root / "etc/group").write_text("root:x:0:\n")
        hwstate.save(profiles.initial_state(profile, "t", "node1"), str(self.hw))
        self.env = dict(os.environ, SIMCLUSTER_SYSROOT=str(self.root), SIMCLUSTER_HW=str(self.hw),
                        SIMCLUSTER_ARCH="aarch64", TMPDIR=str(tmp_path))

    def add_hwhiaiuser(self):
        with open(self.root / "etc/passwd", "a") as f:
            f.write("HwHiAiUser:x:1000:1000::/home/HwHiAiUser:/bin/bash\n")
        with open(self.root / "etc/group", "a") as f:
            f.write("HwHiAiUser:x:1000:\n")
        return self

    def run(self, run_file, *flags, env=None, stdin=""):
        proc = subprocess.run(["bash", str(run_file)] + list(flags), input=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, env=dict(self.env, **(env or {})),
                              check=False)
        return proc.returncode, proc.stdout

    def read(self, rel):
        return (self.root / rel).read_text()

    def state(self):
        return hwstate.load(str(self.hw))

    def fault(self, package, kind):
        state = self.state()
        state["faults"]["installer"][package] = kind
        hwstate.save(state, str(self.hw))


@pytest.fixture
def a2(tmp_path):
    return Node(tmp_path, "a2").add_hwhiaiuser()


DRIVER = "Ascend-hdk-910b-npu-driver_25.3.rc1_linux-aarch64.run"
FIRMWARE = "Ascend-hdk-910b-npu-firmware_7.8.0.1.211.run"
A3_DRIVER = "Ascend-hdk-910_93-npu-driver_25.3.rc1_linux-aarch64.run"
FRESH = ("--nox11", "--full", "--quiet", "--install-for-all")


def test_generate_is_deterministic_and_checksummed(packages, tmp_path):
    again = artifacts.generate("seed", str(tmp_path), "aarch64", python=False)
    assert (tmp_path / "SHA256SUMS").read_text() == (packages / "SHA256SUMS").read_text()
    for line in (packages / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((packages / name).read_bytes()).hexdigest() == digest
    names = sorted(os.path.basename(p) for p in again)
    assert names == ["Ascend-cann-kernels-910b_8.3.RC1_linux-aarch64.run",
                     "Ascend-cann-nnal_8.3.RC1_linux-aarch64.run",
                     "Ascend-cann-toolkit_8.3.RC1_linux-aarch64.run",
                     A3_DRIVER, "Ascend-hdk-910_93-npu-firmware_7.8.0.1.211.run",
                     DRIVER, FIRMWARE, "Atlas-A3-cann-kernels_8.3.RC1_linux-aarch64.run",
                     "SHA256SUMS"]


def test_unknown_stack_and_arch_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown stack 'nosuch'.*seed"):
        artifacts.generate("nosuch", str(tmp_path))
    with pytest.raises(ValueError, match="unknown arch"):
        artifacts.generate("seed", str(tmp_path), "mips")


def test_driver_fresh_install_matches_the_reference(packages, a2):
    rc, out = a2.run(packages / DRIVER, "--nox11", "--full", "--install-for-all")
    assert rc == 0, out
    lines = out.splitlines()
    assert lines[0] == "Verifying archive integrity...  100%   SHA256 checksums are OK. All good."
    assert lines[1] == "Uncompressing ASCEND DRIVER RUN PACKAGE  100%  "
    assert all(HDK_LINE.match(l) for l in lines[2:]), out
    assert "[INFO]set username and usergroup, HwHiAiUser:HwHiAiUser" in out
    assert lines[-2].endswith("[INFO]Driver package installed successfully! "
                              "The new version takes effect immediately. ")
    info = a2.read("usr/local/Ascend/driver/version.info").splitlines()
    assert info[0] == "Version=25.3.rc1" and info[-1] == "package_version=25.3.rc1"
    assert a2.read("etc/ascend_install.info").splitlines() == [
        "UserName=HwHiAiUser", "UserGroup=HwHiAiUser", "Driver_Install_For_All=yes",
        "Driver_Install_Mode=normal", "Driver_Install_Path_Param=/usr/local/Ascend",
        "Driver_Install_Type=full"]
    assert os.access(a2.root / "usr/local/bin/npu-smi", os.X_OK)
    assert os.access(a2.root / "usr/local/Ascend/driver/tools/hccn_tool", os.X_OK)
    assert sorted(n for n in os.listdir(a2.root / "dev") if n.startswith("davinci")) == \
        ["davinci%d" % i for i in range(8)] + ["davinci_manager"]
    assert a2.state()["driver_loaded"] == "25.3.rc1"
    quiet = a2.run(packages / DRIVER, *FRESH)[1]      # overwrite; --quiet drops the banner
    assert quiet.startswith("[Driver] ") and "Verifying" not in quiet
    assert "Driver package installed successfully" in a2.read("var/log/ascend_seclog/ascend_install.log")


def test_npu_smi_from_the_installed_driver_runs(packages, a2):
    assert a2.run(packages / DRIVER, *FRESH)[0] == 0
    lib = a2.root / "usr/local/Ascend/driver/lib64/simcluster/npu_smi.py"
    proc = subprocess.run([sys.executable, str(lib), "info"], stdout=subprocess.PIPE,
                          universal_newlines=True, env=a2.env, check=False)
    assert proc.returncode == 0 and "| npu-smi 25.3.rc1" in proc.stdout


@pytest.mark.parametrize("flags, message", [
    (("--full", "--install-username=root"), "[ERROR]ERR_NO:0x0091;ERR_DES:username not permission for root"),
    (("--full", "--bogus"), "[ERROR]ERR_NO:0x0004;ERR_DES: Unrecognized parameters: --bogus. "
                            "Try './%s --help' for more information." % DRIVER),
    (("--upgrade", "--quiet"), "ERR_NO:0x0080;ERR_DES:Driver package is not installed on this "
                               "device, upgrade failed"),
    (("--uninstall",), "ERR_NO:0x0080;ERR_DES:Driver package is not installed on this device, "
                       "uninstall failed"),
])
def test_driver_refusals(packages, a2, flags, message):
    rc, out = a2.run(packages / DRIVER, *flags)
    assert rc == 1 and message in out
    assert not (a2.root / "usr/local/Ascend/driver/version.info").exists()


def test_driver_needs_hwhiaiuser(packages, tmp_path):
    rc, out = Node(tmp_path, "a2").run(packages / DRIVER, *FRESH)
    assert rc == 1 and "[INFO]set username and usergroup, HwHiAiUser:HwHiAiUser" in out
    assert "[ERROR]ERR_NO:0x0093" in out


def test_wrong_chip_and_arch_are_refused_before_installing(packages, a2):
    rc, out = a2.run(packages / A3_DRIVER, *FRESH)
    assert rc == 1 and "for 910_93 chips, but the chips on this device are 910b" in out
    rc, out = a2.run(packages / DRIVER, *FRESH, env={"SIMCLUSTER_ARCH": "x86_64"})
    assert rc == 1 and "(aarch64) does not match the system architecture (x86_64)" in out
    assert not (a2.root / "usr/local/bin/npu-smi").exists()


def test_corrupt_package_exits_2_like_makeself(packages, a2, tmp_path):
    data = bytearray((packages / DRIVER).read_bytes())
    data[-100] ^= 0xFF
    bad = tmp_path / DRIVER
    bad.write_bytes(bytes(data))
    rc, out = a2.run(bad, *FRESH)
    assert rc == 2 and "Error in SHA256 checksums:" in out
    assert not (a2.root / "usr/local/Ascend").exists()


def test_check_only_verifies(packages, a2):
    rc, out = a2.run(packages / DRIVER, "--check")
    assert rc == 0
    assert out.count("SHA256 checksums are OK. All good.") == 2
    assert "[INFO]LogFile: /var/log/ascend_seclog/ascend_install.log" in out
    assert not (a2.root / "usr/local/Ascend/driver").exists()


def test_reboot_fault_and_busy_npu_need_a_reboot(packages, a2):
    a2.fault("driver", "reboot")
    rc, out = a2.run(packages / DRIVER, *FRESH)
    assert rc == 2
    assert out.splitlines()[-2].endswith("[INFO]Driver package installed successfully! "
                                         "Reboot needed for installation/upgrade to take effect!")
    assert a2.state()["driver_loaded"] is None


def test_injected_failure_exits_1_with_an_error_line(packages, a2):
    a2.fault("driver", "fail")
    rc, out = a2.run(packages / DRIVER, *FRESH)
    assert rc == 1
    assert re.search(r"^\[Driver\] \[[^]]+\] \[ERROR\]ERR_NO:", out, re.M)


def test_overwrite_without_quiet_prompts(packages, a2):
    assert a2.run(packages / DRIVER, *FRESH)[0] == 0
    rc, out = a2.run(packages / DRIVER, "--full", "--install-for-all", stdin="n\n")
    assert rc == 1 and "do you want to continue?  [y/n] " in out


def test_firmware_needs_the_driver_then_waits_for_a_reboot(packages, a2, monkeypatch):
    rc, out = a2.run(packages / FIRMWARE, "--nox11", "--full", "--quiet")
    assert rc == 1 and "install the driver first" in out
    assert a2.run(packages / DRIVER, *FRESH)[0] == 0
    rc, out = a2.run(packages / FIRMWARE, "--nox11", "--full")
    assert rc == 0, out
    assert "Uncompressing ASCEND-HDK-910B FIRMWARE RUN PACKAGE  100%  " in out
    assert "[INFO]The firmware of [8] chips are successfully upgraded." in out
    assert "Reboot now or after driver installation" in out
    assert a2.read("usr/local/Ascend/firmware/version.info").startswith("Version=7.8.0.1.211\n")
    state = a2.state()
    assert state["firmware_flashed"] == "7.8.0.1.211" and state["firmware_active"] != "7.8.0.1.211"
    monkeypatch.setenv("SIMCLUSTER_SYSROOT", str(a2.root))
    assert not hwstate.device_started(state)       # -8005 until the reboot
    assert "Firmware_Install_Path_Param=/usr/local/Ascend" in a2.read("etc/ascend_install.info")


def test_driver_uninstall_removes_tools_and_devices(packages, a2):
    assert a2.run(packages / DRIVER, *FRESH)[0] == 0
    rc, out = a2.run(packages / DRIVER, "--uninstall")
    assert rc == 0 and "Driver package uninstalled successfully!" in out
    assert not (a2.root / "usr/local/bin/npu-smi").exists()
    assert not (a2.root / "dev/davinci0").exists()
    assert not (a2.root / "etc/ascend_install.info").exists()


CANN83 = ("Ascend-cann-toolkit_8.3.RC1_linux-aarch64.run",
          "Ascend-cann-kernels-910b_8.3.RC1_linux-aarch64.run",
          "Ascend-cann-nnal_8.3.RC1_linux-aarch64.run")


def test_cann_83_layout(packages, a2):
    toolkit, kernels, nnal = (packages / n for n in CANN83)
    rc, out = a2.run(kernels, "--install", "--quiet")
    assert rc == 1 and "install it first" in out
    rc, out = a2.run(toolkit, "--full", "--quiet", "--install-for-all")
    assert rc == 0 and "[INFO] Ascend-cann-toolkit install success" in out
    info = a2.read("usr/local/Ascend/ascend-toolkit/latest/aarch64-linux/ascend_toolkit_install.info")
    assert info.splitlines()[:2] == ["package_name=Ascend-cann-toolkit", "version=8.3.RC1"]
    assert "path=/usr/local/Ascend/ascend-toolkit/8.3.RC1/aarch64-linux" in info
    assert os.readlink(a2.root / "usr/local/Ascend/ascend-toolkit/latest") == "8.3.RC1"
    assert a2.read("etc/Ascend/ascend_cann_install.info") == "Install_Path=/usr/local/Ascend\n"
    hccl_test = a2.root / "usr/local/Ascend/ascend-toolkit/latest/tools/hccl_test"
    assert sorted(os.listdir(hccl_test)) == ["Makefile", "README.md", "common"]
    assert sorted(os.listdir(hccl_test / "common/src")) == ["hccl_test.py", "hwstate.py"]
    for rel in ("include/hccl/hccl.h", "include/acl/acl.h", "lib64/libhccl.so", "lib64/libascendcl.so"):
        assert (a2.root / "usr/local/Ascend/ascend-toolkit/latest" / rel).is_file()
    rc, out = a2.run(kernels, "--install", "--quiet")
    assert rc == 0 and "Ascend-cann-kernels install success." in out
    rc, out = a2.run(nnal, "--install", "--quiet")
    assert rc == 1 and "source the set_env.sh" in out
    home = "/usr/local/Ascend/ascend-toolkit/latest"
    rc, out = a2.run(nnal, "--install", "--quiet", env={"ASCEND_TOOLKIT_HOME": home})
    assert rc == 0, out
    assert a2.read("usr/local/Ascend/nnal/atb/latest/version.info").startswith(
        "    Ascend-cann-atb : 8.3.RC1\n")
    rc, out = a2.run(toolkit, "--install", "--quiet", "--install-path=/opt/cann")
    assert rc == 1 and "ascend_cann_install.info exists ! 'install-path' parameter are not supported." in out


def test_cann_85_layout_and_renamed_ops(packages, a2):
    v08 = packages / "v08"
    rc, out = a2.run(v08 / "Ascend-cann-toolkit_8.5.0_linux-aarch64.run", "--install", "--quiet")
    assert rc == 0, out
    assert os.readlink(a2.root / "usr/local/Ascend/cann") == "cann-8.5.0"
    assert os.readlink(a2.root / "usr/local/Ascend/ascend-toolkit/latest") == "../cann-8.5.0"
    for script in ("ascend-toolkit/set_env.sh", "cann-8.5.0/set_env.sh"):
        assert "ASCEND_TOOLKIT_HOME=/usr/local/Ascend/cann-8.5.0" in a2.read("usr/local/Ascend/" + script)
    info = a2.read("usr/local/Ascend/cann/aarch64-linux/ascend_toolkit_install.info")
    assert "path=/usr/local/Ascend/cann-8.5.0/aarch64-linux" in info
    # hccl_test where ascend-deployer looks for it from 8.5.0 on (reference: /usr/local/Ascend/cann/tools/hccl_test)
    assert (a2.root / "usr/local/Ascend/cann/tools/hccl_test/Makefile").is_file()
    rc, out = a2.run(v08 / "Ascend-cann-A3-ops_8.5.0_linux-aarch64.run", "--install", "--quiet")
    assert rc == 1 and "910_93" in out
    rc, out = a2.run(v08 / "Ascend-cann-910b-ops_8.5.0_linux-aarch64.run", "--install", "--quiet")
    assert rc == 0 and "Ascend-cann-910b-ops install success." in out
    assert "package_name=Ascend-cann-910b-ops" in a2.read(
        "usr/local/Ascend/cann-8.5.0/aarch64-linux/ascend_ops_install.info")


def test_toolkit_refuses_an_unsupported_python(packages, a2, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\ncase \"$1\" in -c) echo 3.12 ;; *) exec %s \"$@\" ;; esac\n"
                                  % sys.executable)
    (fake / "python3").chmod(0o755)
    rc, out = a2.run(packages / CANN83[0], "--install", "--quiet",
                     env={"PATH": "%s:%s" % (fake, os.environ["PATH"])})
    assert rc == 1
    assert re.search(r"^\[Toolkit\] \[\d{8}-\d\d:\d\d:\d\d\] \[ERROR\] There is no python3.7,python3.8,"
                     r"python3.9,python3.10,python3.11 in the current environment !$", out, re.M)


def test_meta_names_the_package(packages, a2):
    rc, out = a2.run(packages / DRIVER, "--noexec", "--extract=%s" % (a2.root / "tmp/x"))
    assert rc == 0
    meta = json.loads((a2.root / "tmp/x/meta.json").read_text())
    assert meta["package"] == "driver" and meta["chip"] == "910b" and meta["arch"] == "aarch64"


def test_a_second_run_at_the_same_time_is_refused(packages, a2):
    lock = a2.root / "run/ascend_driver_install.lock"
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)          # an installation in progress
        rc, out = a2.run(packages / DRIVER, *FRESH)
    assert rc == 1 and "[ERROR]ERR_NO:0x0094" in out
    assert a2.run(packages / DRIVER, *FRESH)[0] == 0


def test_version_and_help(packages, a2):
    assert a2.run(packages / DRIVER, "--version")[1].endswith("[INFO]driver version :25.3.rc1\n")
    rc, out = a2.run(packages / CANN83[0], "--help")
    assert rc == 0 and "--install-path=<path>" in out and "simcluster stand-in" in out


def test_driver_leaves_what_huaweis_deployer_probes(packages, a2):
    """upgrade-tool answers the system-version query with `succeed` per device, and the
    library directories on the deployer's LD_LIBRARY_PATH exist."""
    assert a2.run(packages / DRIVER, *FRESH)[0] == 0
    lib = a2.root / "usr/local/Ascend/driver/lib64"
    assert (lib / "common").is_dir() and (lib / "driver").is_dir()
    tool = a2.root / "usr/local/Ascend/driver/tools/upgrade-tool"
    assert os.access(tool, os.X_OK) and "upgrade_tool.py" in tool.read_text()
    proc = subprocess.run([sys.executable, str(lib / "simcluster/upgrade_tool.py"), "--device_index", "-1",
                           "--system_version"], stdout=subprocess.PIPE, universal_newlines=True,
                          env=a2.env, check=False)
    assert proc.returncode == 0
    assert proc.stdout.count("Get system version(25.3.rc1) succeed, deviceId(") == 8


@pytest.mark.parametrize("stack_dir, toolkit", [
    ("", "Ascend-cann-toolkit_8.3.RC1_linux-aarch64.run"),
    ("v08", "Ascend-cann-toolkit_8.5.0_linux-aarch64.run"),
])
def test_acl_imports_after_set_env(packages, a2, stack_dir, toolkit):
    """What the deployer's --test does for the toolkit: `. set_env.sh && python3 -c "import acl"`."""
    assert a2.run(packages / stack_dir / toolkit, "--full", "--quiet", "--install-for-all")[0] == 0
    set_env = a2.root / "usr/local/Ascend/ascend-toolkit/set_env.sh"
    script = ('. "%s" && PYTHONPATH="%s${PYTHONPATH#/usr/local/Ascend}" && export PYTHONPATH && '
              '"%s" -c "import acl; print(acl.SIMCLUSTER_STUB)"'
              % (set_env, a2.root / "usr/local/Ascend", sys.executable))
    proc = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, env=dict(a2.env, PYTHONPATH=""), check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stdout
    broken = subprocess.run([sys.executable, "-c", "import acl"], env=dict(a2.env, PYTHONPATH=""),
                            stderr=subprocess.DEVNULL, check=False)
    assert broken.returncode != 0          # without set_env.sh there is no acl
