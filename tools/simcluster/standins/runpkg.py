"""install.sh of a simulated Ascend .run package (simcluster stand-in, not Huawei software).

The .run file built by sim/artifacts.py is a makeself-style shell header plus a tar.gz
payload; the header checks the payload's SHA256, unpacks it and runs

    python3 runpkg.py meta.json [FLAGS...]

meta.json says which package this is (driver, firmware, toolkit, kernels, nnal), its
version, chip and architecture.  Behaviour and messages follow ascend_tools_formats.md
sections 3-4: flags, [Driver]/[Firmware]/[Toolkit] log lines, exit codes (0 done, 2 done
but reboot needed, 1 failed), version.info / install.info files and directory layouts.
Messages marked "sim:" in the code are not quoted from a real package; they keep the
shape of the real ones.

Runs on the node's system Python: 3.9-compatible, standard library only.
"""

import fcntl
import json
import os
import platform
import shutil
import subprocess
import sys
import time

import hwstate

CANN_INFO = "/etc/Ascend/ascend_cann_install.info"
DEFAULT_ROOT = "/usr/local/Ascend"
NEED_MB = {"driver": 300, "firmware": 32, "toolkit": 3000, "kernels": 1500, "nnal": 500}
TAG = {"driver": "Driver", "firmware": "Firmware", "toolkit": "Toolkit", "kernels": "Kernels",
       "nnal": "NNAL"}
HDK_FLAGS = {"--full", "--run", "--debug", "--devel", "--docker", "--upgrade", "--vnpu_guest",
             "--uninstall", "--version", "--install-for-all", "--force", "--norebuild",
             "--quiet", "--nox11", "--check", "--help", "-h"}
CANN_FLAGS = {"--install", "--full", "--devel", "--upgrade", "--uninstall", "--quiet",
              "--install-for-all", "--check", "--force", "--nox11", "--version", "--help", "-h"}
VALUED = {"--install-path", "--install-username", "--install-usergroup", "--whitelist",
          "--chip", "--type"}

HDK_HELP = """Usage: ./%s [options]
Options:
  --help | -h                       Print this message
  --full                            Install full type
  --run                             Install run type
  --devel                           Install devel type
  --upgrade                         Upgrade product immediately
  --install-path=<path>             Install to specific dir
  --install-username=<username>     Install to specific username
  --install-usergroup=<usergroup>   Install to specific usrgroup
  --uninstall                       Uninstall product
  --version                         Query the package version
  --install-for-all                 Install for all user
  --force                           Forcibly install, upgrade, or uninstall the package, and take effect after host restart
  --norebuild                       Forcibly no kernel module rebuild
  --check                           Check the integrity of the package
  --quiet                           Quiet installation
(simcluster stand-in: a simulated Ascend package, not Huawei software)"""

CANN_HELP = """Usage: ./%s [options]
Options:
  --help | -h                       Print this message
  --install                         Install run and devel packages
  --full                            Install all packages
  --devel                           Install devel packages
  --upgrade                         Upgrade the installed package
  --uninstall                       Uninstall the installed package
  --install-path=<path>             Install to specific dir
  --install-for-all                 Install for all user
  --install-username=<username>     Install to specific username
  --install-usergroup=<usergroup>   Install to specific usrgroup
  --chip=<chip>                     Chip type, e.g. Ascend910B, Ascend910_93
  --whitelist=<features>            Install the listed features only
  --check                           Check the integrity of the package
  --quiet                           Accept the EULA and install without prompts
  --version                         Query the package version
(simcluster stand-in: a simulated Ascend package, not Huawei software)"""


class Failed(Exception):
    """An [ERROR] line has been printed; the package exits 1."""


class Log:
    """Console + /var/log/ascend_seclog/ascend_install.log, in the package's prefix style."""

    def __init__(self, package):
        self.tag = TAG[package]
        self.hdk = package in ("driver", "firmware")

    def line(self, level, text):
        now = time.localtime()
        if self.hdk:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", now)
            out = "[%s] [%s] [%s]%s" % (self.tag, stamp, level, text)
        else:
            stamp = time.strftime("%Y%m%d-%H:%M:%S", now)
            out = "[%s] [%s] [%s] %s" % (self.tag, stamp, level, text)
        print(out)
        sys.stdout.flush()
        try:
            target = hwstate.path(hwstate.INSTALL_LOG)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "a") as f:
                f.write(out + "\n")
        except OSError:
            pass

    def info(self, text):
        self.line("INFO", text)

    def warning(self, text):
        self.line("WARNING", text)

    def error(self, text):
        self.line("ERROR", text)
        raise Failed(text)


# ----------------------------------------------------------------------- arguments

def parse(package, argv):
    flags, values = set(), {}
    known = HDK_FLAGS if package in ("driver", "firmware") else CANN_FLAGS
    for arg in argv:
        key, sep, value = arg.partition("=")
        if sep and key in VALUED:
            values[key] = value
        elif arg in known:
            flags.add(arg)
        else:
            return None, None, arg
    return flags, values, None


def _write(target, text, mode=0o644):
    target = hwstate.path(target)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as f:
        f.write(text)
    os.chmod(target, mode)


def _copy(source, target):
    target = hwstate.path(target)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)


def _link(target, name):
    name = hwstate.path(name)
    if os.path.islink(name) or os.path.exists(name):
        os.unlink(name)
    os.symlink(target, name)


def _remove(p):
    p = hwstate.path(p)
    if os.path.islink(p) or os.path.isfile(p):
        os.unlink(p)
    elif os.path.isdir(p):
        shutil.rmtree(p)


def node_arch():
    return os.environ.get("SIMCLUSTER_ARCH") or platform.machine()


def free_mb(p):
    p = hwstate.path(p)
    while not os.path.exists(p):
        p = os.path.dirname(p)
    st = os.statvfs(p)
    return st.f_bavail * st.f_frsize // (1024 * 1024)


def group_exists(name):
    try:
        with open(hwstate.path("/etc/group")) as f:
            return any(line.split(":")[0] == name for line in f)
    except OSError:
        return False


def user_exists(name):
    try:
        with open(hwstate.path("/etc/passwd")) as f:
            return any(line.split(":")[0] == name for line in f)
    except OSError:
        return False


def update_install_info(prefix, values):
    """Rewrite the <prefix>_* keys of /etc/ascend_install.info (None removes them); the
    file goes away when no *_Install_Path_Param key is left, as the real uninstall does."""
    info = hwstate.read_kv(hwstate.INSTALL_INFO) or {}
    info = {k: v for k, v in info.items() if not k.startswith(prefix + "_")}
    if values:
        info.update(values)
    if not any(k.endswith("Install_Path_Param") for k in info):
        _remove(hwstate.INSTALL_INFO)
        return
    order = ["UserName", "UserGroup"]
    keys = [k for k in order if k in info] + sorted(k for k in info if k not in order)
    _write(hwstate.INSTALL_INFO, "".join("%s=%s\n" % (k, info[k]) for k in keys))


# ---------------------------------------------------------------------------- HDK

def driver_version_info(meta):
    return ("Version={v}\nascendhal_version=7.35.23\naicpu_version=1.0\ntdt_version=1.0\n"
            "log_version=1.0\nprof_version=2.0\ndvppkernels_version=1.1\ntsfw_version=1.0\n"
            "Innerversion={inner}\ncompatible_version=[V100R001C19],[V100R001C20],[V100R001C21],"
            "[V100R001C22],[V100R001C23]\ncompatible_version_fw=[7.0.0,8.9.9]\n"
            "package_version={v}\n").format(v=meta["version"], inner=meta.get("inner", "V100R001C23SPC002B212"))


def firmware_version_info(meta):
    return ("Version={v}\nfirmware_version=1.0\npackage_version={p}\n"
            "compatible_version_drv=[23.0.0,23.0.0.],[24.0,24.0.],[24.1,24.1.],[25.0,25.0.],"
            "[25.5,25.5.]\n").format(v=meta["version"], p=meta.get("hdk_version", meta["version"]))


LAUNCHER = "#!/bin/sh\n# simcluster stand-in launcher (not Huawei software)\nexec python3 %s \"$@\"\n"


def common_start(log):
    log.info("Start time: " + time.strftime("%Y-%m-%d %H:%M:%S"))
    log.info("LogFile: " + hwstate.INSTALL_LOG)
    log.info("OperationLogFile: " + hwstate.OPERATION_LOG)


def check_hardware(meta, state, log):
    arch = node_arch()
    if meta.get("arch") and meta["arch"] != arch:
        # sim: wording of the real architecture check is not in our references
        log.error("ERR_NO:0x0095;ERR_DES:The package architecture (%s) does not match the "
                  "system architecture (%s)." % (meta["arch"], arch))
    if meta.get("chip") and state and meta["chip"] != state.get("hdk_chip"):
        log.error("ERR_NO:0x0096;ERR_DES:The package is for %s chips, but the chips on this "
                  "device are %s." % (meta["chip"], state.get("hdk_chip")))  # sim


def check_disk(package, root, log):
    if free_mb(root) < NEED_MB[package]:
        log.error("ERR_NO:0x0050;ERR_DES:The remaining space of %s is less than %d MB, "
                  "install failed." % (root, NEED_MB[package]))  # sim


def install_driver(meta, flags, values, payload, log):
    state = hwstate.load()
    root = values.get("--install-path", DEFAULT_ROOT)
    installed = hwstate.driver_installed_version()
    recorded = hwstate.read_kv(hwstate.INSTALL_INFO) or {}
    user = values.get("--install-username", recorded.get("UserName", "HwHiAiUser"))
    group = values.get("--install-usergroup", recorded.get("UserGroup", "HwHiAiUser"))
    if user == "root" and "--install-for-all" not in flags:
        log.error("ERR_NO:0x0091;ERR_DES:username not permission for root")
    log.warning("Do not power off or restart the system during the installation/upgrade")
    check_hardware(meta, state, log)
    log.info("set username and usergroup, %s:%s" % (user, group))
    if not group_exists(group) or not user_exists(user):
        log.error("ERR_NO:0x0093;ERR_DES:The user or group %s:%s does not exist, please create "
                  "it first." % (user, group))  # sim
    upgrade = "--upgrade" in flags
    if upgrade and installed is None:
        log.error("ERR_NO:0x0080;ERR_DES:Driver package is not installed on this device, "
                  "upgrade failed")
    if installed and not upgrade and "--quiet" not in flags:
        sys.stdout.write("[INFO]Driver package has been installed on the path %s, do you want "
                         "to continue?  [y/n] " % root)
        sys.stdout.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            log.info("user cancelled the installation")  # sim
            return 1
    check_disk("driver", root, log)
    log.info("driver install type: DKMS")
    log.info("upgradePercentage:10%")
    fault = hwstate.installer_fault(state, "driver")
    if fault == "fail":
        log.error("ERR_NO:0x0001;ERR_DES:Driver package install failed, details in "
                  + hwstate.INSTALL_LOG)  # sim: injected failure
    lib = root + "/driver/lib64/simcluster"
    for name in ("hwstate.py", "npu_smi.py", "hccn_tool.py", "upgrade_tool.py", "runpkg.py"):
        _copy(os.path.join(payload, name), lib + "/" + name)
    _write(lib + "/driver_meta.json", json.dumps(meta, sort_keys=True) + "\n")
    log.info("upgradePercentage:30%")
    _write("/usr/local/bin/npu-smi", LAUNCHER % (lib + "/npu_smi.py"), 0o755)
    _write(root + "/driver/tools/hccn_tool", LAUNCHER % (lib + "/hccn_tool.py"), 0o755)
    _write(root + "/driver/tools/upgrade-tool", LAUNCHER % (lib + "/upgrade_tool.py"), 0o755)
    # The library directories a real driver fills (libascend_hal.so & co.): Huawei's tools put
    # them on LD_LIBRARY_PATH (driver/lib64, lib64/common, lib64/driver); here they hold a marker.
    for sub in ("common", "driver"):
        _write("%s/driver/lib64/%s/.simcluster" % (root, sub), "stand-in: no libraries\n")
    _write(root + "/driver/script/uninstall.sh",
           "#!/bin/sh\n# simcluster stand-in\nexec python3 %s/runpkg.py %s/driver_meta.json "
           "--uninstall \"$@\"\n" % (lib, lib), 0o755)
    _write("/usr/local/dcmi/dcmi_interface_api.h", "/* simcluster stand-in */\n")
    log.info("upgradePercentage:40%")
    _write(root + "/driver/version.info", driver_version_info(meta))
    update_install_info("Driver", {
        "UserName": user, "UserGroup": group,
        "Driver_Install_Type": "full", "Driver_Install_Path_Param": root,
        "Driver_Install_For_All": "yes" if "--install-for-all" in flags else "no",
        "Driver_Install_Mode": "normal"})
    log.info("upgradePercentage:90%")
    verb = "upgraded" if upgrade else "installed"
    with hwstate.locked() as state:
        busy = hwstate.live_processes(state)
        if fault == "reboot" or busy or "--force" in flags:
            # Hot reset failed (or was not attempted): the old driver keeps running.
            log.info("upgradePercentage:100%")
            log.info("Driver package %s successfully! Reboot needed for installation/upgrade "
                     "to take effect!" % verb)
            return 2
        log.info("Waiting for device startup...")
        state["driver_loaded"] = meta["version"]
        hwstate.make_device_nodes(state)
    log.info("Device startup success")
    log.info("upgradePercentage:100%")
    log.info("Driver package %s successfully! The new version takes effect immediately. " % verb)
    return 0


def uninstall_driver(meta, log):
    del meta
    if hwstate.driver_installed_version() is None:
        log.error("ERR_NO:0x0080;ERR_DES:Driver package is not installed on this device, "
                  "uninstall failed")
    recorded = hwstate.read_kv(hwstate.INSTALL_INFO) or {}
    root = recorded.get("Driver_Install_Path_Param", DEFAULT_ROOT)
    for p in (root + "/driver", "/usr/local/bin/npu-smi", "/usr/local/dcmi"):
        _remove(p)
    update_install_info("Driver", None)
    with hwstate.locked() as state:
        state["driver_loaded"] = None
        if os.path.isdir(hwstate.path("/dev")):
            hwstate.remove_device_nodes()
    log.info("Driver package uninstalled successfully! Uninstallation takes effect immediately.")
    return 0


def install_firmware(meta, flags, log):
    state = hwstate.load()
    log.warning("Do not power off or restart the system during the installation/upgrade")
    check_hardware(meta, state, log)
    if not os.path.exists(hwstate.path(DEFAULT_ROOT + "/driver/tools/upgrade-tool")):
        log.error("ERR_NO:0x0081;ERR_DES:Driver package is not installed on this device, "
                  "please install the driver first.")  # sim
    if not hwstate.device_started(state) and state.get("driver_loaded") is None:
        log.error("ERR_NO:0x0082;ERR_DES:The driver is not loaded, the firmware cannot be "
                  "upgraded. Reboot first.")  # sim
    check_disk("firmware", DEFAULT_ROOT, log)
    log.info("upgradePercentage: 0%")
    if hwstate.installer_fault(state, "firmware") == "fail":
        log.error("ERR_NO:0x0001;ERR_DES:Firmware upgrade failed, details in "
                  + hwstate.INSTALL_LOG)  # sim: injected failure
    log.info("upgradePercentage: 90%")
    _write(DEFAULT_ROOT + "/firmware/version.info", firmware_version_info(meta))
    _write(DEFAULT_ROOT + "/firmware/script/uninstall.sh",
           "#!/bin/sh\n# simcluster stand-in\necho '[Firmware] uninstall is not simulated'\n",
           0o755)
    update_install_info("Firmware", {"Firmware_Install_Type": "full",
                                     "Firmware_Install_Path_Param": DEFAULT_ROOT})
    with hwstate.locked() as state:
        state["firmware_flashed"] = meta["version"]
        chips = len(state["devices"])
    log.info("upgradePercentage: 100%")
    log.info("The firmware of [%d] chips are successfully upgraded." % chips)
    verb = "upgraded" if "--upgrade" in flags else "installed"
    log.info("Firmware package %s successfully! Reboot now or after driver installation for "
             "the installation/upgrade to take effect." % verb)
    return 0


# --------------------------------------------------------------------------- CANN

def version_tuple(v):
    out = []
    for part in v.replace("RC", ".").split("."):
        out.append(int(part) if part.isdigit() else 0)
    return tuple(out)


def new_layout(version):
    """CANN 8.5 installs to cann-<ver> and keeps ascend-toolkit/latest as a link."""
    return version_tuple(version)[:2] >= (8, 5)


def toolkit_home(root, version):
    if new_layout(version):
        return root + "/cann-" + version
    return root + "/ascend-toolkit/" + version


def installed_toolkit(root):
    """(version, home) of the toolkit ascend-toolkit/latest points at, or (None, None)."""
    latest = root + "/ascend-toolkit/latest"
    for arch in ("aarch64", "x86_64"):
        info = hwstate.read_kv("%s/%s-linux/ascend_toolkit_install.info" % (latest, arch))
        if info:
            return info.get("version"), node_realpath(latest)
    return None, None


def node_realpath(p):
    """realpath of a node path, as the node sees it (the sysroot prefix removed)."""
    real = os.path.realpath(hwstate.path(p))
    root = os.path.realpath(hwstate.sysroot())
    if root == "/":
        return real
    return "/" + os.path.relpath(real, root)


def check_python(meta, log):
    limit = (3, 13) if new_layout(meta["version"]) else (3, 11)
    allowed = ",".join("python3.%d" % m for m in range(7, limit[1] + 1))
    exe = shutil.which("python3")
    found = None
    if exe:
        proc = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              universal_newlines=True, check=False)
        if proc.returncode == 0:
            found = tuple(int(x) for x in proc.stdout.strip().split("."))
    if found is None or not (3, 7) <= found <= limit:
        log.error("There is no %s in the current environment !" % allowed)


def cann_root(values, log):
    recorded = hwstate.read_kv(CANN_INFO)
    wanted = values.get("--install-path")
    if recorded and wanted and wanted.rstrip("/") != recorded.get("Install_Path"):
        log.error("%s exists ! 'install-path' parameter are not supported." % CANN_INFO)
    if recorded:
        return recorded.get("Install_Path", DEFAULT_ROOT)
    if wanted and not wanted.startswith("/"):
        log.error("The install path %s is not an absolute path." % wanted)  # sim
    return (wanted or DEFAULT_ROOT).rstrip("/")


ACL_STUB = '''"""pyACL stand-in of the simulated CANN toolkit (simcluster; not Huawei software).

Importable as the real acl module is after set_env.sh; any call raises.
"""
SIMCLUSTER_STUB = True


def _stub(name):
    def call(*args, **kwargs):
        raise NotImplementedError("simcluster stub: acl." + name)
    return call


init = _stub("init")
finalize = _stub("finalize")
get_soc_name = _stub("get_soc_name")
'''


def toolkit_set_env(home):
    return """#!/bin/bash
# simcluster stand-in of the CANN toolkit's set_env.sh (not Huawei software)
export ASCEND_TOOLKIT_HOME={home}
export ASCEND_HOME_PATH={home}
export ASCEND_AICPU_PATH={home}
export ASCEND_OPP_PATH={home}/opp
export TOOLCHAIN_HOME={home}/toolkit
export LD_LIBRARY_PATH={home}/lib64:/usr/local/Ascend/driver/lib64/common/:/usr/local/Ascend/driver/lib64/driver/:${{LD_LIBRARY_PATH}}
export PYTHONPATH={home}/python/site-packages:${{PYTHONPATH}}
export PATH={home}/bin:{home}/compiler/ccec_compiler/bin:${{PATH}}
""".format(home=home)


def check_cann_arch(meta, log):
    arch = node_arch()
    if meta.get("arch") and meta["arch"] != arch:
        log.error("The package architecture %s does not match the operating system "
                  "architecture %s." % (meta["arch"], arch))  # sim
    return arch


HCCL_TEST_README = """# HCCL Test (simcluster stand-in, not Huawei software)

Build: make MPI_HOME=/path/to/mpi ASCEND_DIR=${ASCEND_HOME_PATH}
Run:   mpirun -n 8 ./bin/all_reduce_test -b 8K -e 64M -f 2 -d fp32 -o sum -p 8
       mpirun -f hostfile -n 16 ./bin/all_reduce_test -b 8K -e 64M -f 2 -d fp32 -o sum -p 8

bin/*_test are copies of common/src/hccl_test.py: a simulated benchmark over the simulated
cluster's HCCS (inside a node) and RoCE fabric (between nodes).
"""
# Headers and libraries hccl_test's Makefile looks for under ASCEND_DIR (marked, no content).
TOOLKIT_DEV_FILES = ("include/hccl/hccl.h", "include/hccl/hccl_types.h", "include/acl/acl.h",
                     "lib64/libhccl.so", "lib64/libascendcl.so", "lib64/libacl_rt.so")


def install_hccl_test(home, payload):
    """<toolkit>/tools/hccl_test as CANN ships it: a Makefile and sources (here the stand-in)."""
    base = home + "/tools/hccl_test"
    _copy(os.path.join(payload, "hccl_test.mk"), base + "/Makefile")
    for name in ("hccl_test.py", "hwstate.py"):
        _copy(os.path.join(payload, name), base + "/common/src/" + name)
    _write(base + "/README.md", HCCL_TEST_README)
    for rel in TOOLKIT_DEV_FILES:
        _write(home + "/" + rel, "/* simcluster stand-in (not Huawei software): no content */\n")


def install_toolkit(meta, flags, values, log, payload):
    arch = check_cann_arch(meta, log)
    check_python(meta, log)
    root = cann_root(values, log)
    check_disk("toolkit", root, log)
    if hwstate.installer_fault(hwstate.load(), "toolkit") == "fail":
        log.error("Ascend-cann-toolkit install failed, details in " + hwstate.INSTALL_LOG)  # sim
    version = meta["version"]
    home = toolkit_home(root, version)
    info = ("package_name=Ascend-cann-toolkit\nversion={v}\ninnerversion={inner}\n"
            "compatible_version=[V100R001C15],[V100R001C18],[V100R001C19],[V100R001C20],"
            "[V100R001C21],[V100R001C23]\narch={a}\nos=linux\npath={home}/{a}-linux\n").format(
                v=version, inner=meta.get("inner", "V100R001C23SPC001B231"), a=arch, home=home)
    _write("%s/%s-linux/ascend_toolkit_install.info" % (home, arch), info)
    _write(home + "/version.cfg", "# version: 1.0\nruntime_running_version=[%s:%s]\n"
           % (meta.get("inner", ""), version))
    _write(home + "/toolkit/version.info", "Version=%s\nversion_dir=%s\n" % (version, version))
    _write(home + "/bin/.simcluster", "stand-in\n")
    # pyACL: `import acl` after set_env.sh (PYTHONPATH=<home>/python/site-packages), as Huawei's
    # deployer checks the toolkit.  A marked stub: names only, nothing runs on an NPU.
    _write(home + "/python/site-packages/acl.py", ACL_STUB)
    install_hccl_test(home, payload)
    os.makedirs(hwstate.path(root + "/ascend-toolkit"), exist_ok=True)
    if new_layout(version):
        _link("cann-" + version, root + "/cann")
        _link("../cann-" + version, root + "/ascend-toolkit/latest")
        _write(home + "/set_env.sh", toolkit_set_env(home), 0o755)
    else:
        _link(version, root + "/ascend-toolkit/latest")
        home = root + "/ascend-toolkit/latest"
    _write(root + "/ascend-toolkit/set_env.sh", toolkit_set_env(home), 0o755)
    if not hwstate.read_kv(CANN_INFO):
        _write(CANN_INFO, "Install_Path=%s\n" % root)
    print("[INFO] Ascend-cann-toolkit install success")
    return 0


def install_kernels(meta, flags, values, log):
    del flags
    arch = check_cann_arch(meta, log)
    root = cann_root(values, log)
    version, home = installed_toolkit(root)
    if version is None:
        log.error("Can not find the toolkit or nnae package, please install it first.")  # sim
    if version != meta["version"]:
        log.error("The version %s of the installed toolkit does not match the package "
                  "version %s." % (version, meta["version"]))  # sim
    state = hwstate.load()
    if meta.get("chip") and state and meta["chip"] != state.get("hdk_chip"):
        log.error("The package is for %s, but the chip type of this device is %s."
                  % (meta["chip"], state.get("hdk_chip")))  # sim
    check_disk("kernels", root, log)
    if hwstate.installer_fault(state, "kernels") == "fail":
        log.error("%s install failed, details in %s" % (meta["package_name"],
                                                        hwstate.INSTALL_LOG))  # sim
    name = "ascend_ops_install.info" if new_layout(version) else "ascend_kernels_install.info"
    _write("%s/%s-linux/%s" % (home, arch, name),
           "package_name=%s\nversion=%s\narch=%s\nos=linux\npath=%s/%s-linux\n"
           % (meta["package_name"], meta["version"], arch, home, arch))
    _write("%s/opp/built-in/op_impl/ai_core/tbe/kernel/%s/.simcluster" % (home, meta["chip"]),
           "stand-in\n")
    short = "Ascend-cann-kernels" if not new_layout(version) else meta["package_name"]
    print("[INFO] %s install success." % short)
    return 0


def install_nnal(meta, flags, values, log):
    del flags
    arch = check_cann_arch(meta, log)
    home = os.environ.get("ASCEND_TOOLKIT_HOME") or os.environ.get("ASCEND_HOME_PATH")
    if not home or not os.path.isdir(hwstate.path(home)):
        log.error("Please source the set_env.sh of the CANN toolkit before installing NNAL.")  # sim
    root = cann_root(values, log)
    check_disk("nnal", root, log)
    if hwstate.installer_fault(hwstate.load(), "nnal") == "fail":
        log.error("Ascend-cann-nnal install failed, details in " + hwstate.INSTALL_LOG)  # sim
    version = meta["version"]
    base = root + "/nnal/atb"
    for abi in (0, 1):
        _write("%s/%s/atb/cxx_abi_%d/.simcluster" % (base, version, abi), "stand-in\n")
    _write("%s/%s/version.info" % (base, version),
           "    Ascend-cann-atb : {v}\n    Ascend-cann-atb Version : {v}.B030\n"
           "    Platform : {a}\n    branch : br_release_cann_{v}\n"
           "    commit id : 0000000000000000000000000000000000000000\n".format(v=version, a=arch))
    _link(version, base + "/latest")
    _write(base + "/set_env.sh", """#!/bin/bash
# simcluster stand-in of NNAL's set_env.sh (not Huawei software)
export ATB_HOME_PATH={base}/latest/atb/cxx_abi_1
export LD_LIBRARY_PATH=${{ATB_HOME_PATH}}/lib:${{LD_LIBRARY_PATH}}
""".format(base=base), 0o755)
    print("[INFO] Ascend-cann-nnal install success")
    return 0


def uninstall_cann(meta, values, log):
    root = cann_root(values, log)
    if meta["package"] == "toolkit":
        version, home = installed_toolkit(root)
        if version is None:
            log.error("Ascend-cann-toolkit is not installed, uninstall failed.")  # sim
        for p in (root + "/ascend-toolkit", root + "/cann", root + "/cann-" + version):
            _remove(p)
        if not os.path.exists(hwstate.path(root + "/nnal")):
            _remove(CANN_INFO)
    elif meta["package"] == "nnal":
        _remove(root + "/nnal")
    print("[INFO] %s uninstall success" % meta["package_name"])
    return 0


# --------------------------------------------------------------------------- main

def main(meta_path, argv):
    with open(meta_path) as f:
        meta = json.load(f)
    package = meta["package"]
    run_name = os.environ.get("SIMCLUSTER_RUN_NAME", meta["file"])
    log = Log(package)
    flags, values, bad = parse(package, argv)
    if bad is not None:
        print("[ERROR]ERR_NO:0x0004;ERR_DES: Unrecognized parameters: %s. Try './%s --help' for "
              "more information." % (bad, run_name))
        return 1
    if flags & {"--help", "-h"}:
        print((HDK_HELP if log.hdk else CANN_HELP) % run_name)
        return 0
    if "--version" in flags:
        print("[INFO]%s version :%s" % (package, meta["version"]))
        return 0
    lock_path = hwstate.path("/run/ascend_%s_install.lock" % package)
    os.makedirs(os.path.dirname(lock_path), exist_ok=True)
    lock = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        print("[ERROR]ERR_NO:0x0094;ERR_DES:There is already an installation process running, "
              "please try again later.")  # sim wording
        return 1
    payload = os.path.dirname(os.path.abspath(meta_path))
    try:
        if log.hdk:
            common_start(log)
        if "--check" in flags:
            rc = 0
        elif package == "driver":
            rc = uninstall_driver(meta, log) if "--uninstall" in flags else \
                install_driver(meta, flags, values, payload, log)
        elif package == "firmware":
            if "--uninstall" in flags:
                log.error("ERR_NO:0x0004;ERR_DES: use %s/firmware/script/uninstall.sh"
                          % DEFAULT_ROOT)  # sim
            rc = install_firmware(meta, flags, log)
        elif "--uninstall" in flags:
            rc = uninstall_cann(meta, values, log)
        elif not flags & {"--install", "--full", "--devel", "--upgrade"}:
            log.error("Please input an install mode: --install, --full, --devel or --upgrade.")  # sim
        elif package == "toolkit":
            rc = install_toolkit(meta, flags, values, log, payload)
        elif package == "kernels":
            rc = install_kernels(meta, flags, values, log)
        else:
            rc = install_nnal(meta, flags, values, log)
    except Failed:
        rc = 1
    finally:
        os.close(lock)
    if log.hdk:
        log.info("End time: " + time.strftime("%Y-%m-%d %H:%M:%S"))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
