"""upgrade-tool stand-in for a simulated Atlas node (simcluster; not Huawei's tool).

The driver's /usr/local/Ascend/driver/tools/upgrade-tool, read-only queries only
(ascend_tools_formats.md section 1.8):

    upgrade-tool --device_index -1 --system_version
    upgrade-tool --device_index -1 --component -1 --version

`-1` means every device; N one device (its phy id).  The system version is the running
driver's (the device OS the driver package carries), the component versions the active
firmware's.  Flashing is done by the firmware .run (runpkg.py), not here.
"""

import sys

import hwstate

USAGE = ("Usage: upgrade-tool --device_index <-1|id> <--system_version|--component <-1|id> --version>\n"
         "(simcluster stand-in: a simulated upgrade-tool, not Huawei's tool)")   # sim wording
# Component types of S9's sample, in its order.
COMPONENTS = ("nve", "xloader", "m3fw", "uefi", "tee")


class Fail(Exception):
    pass


def _devices(state, index):
    if index == -1:
        return [d["phy_id"] for d in hwstate.devices(state)]
    if hwstate.device(state, index) is None:
        raise Fail("Invalid device index %d." % index)   # sim wording
    return [index]


def system_version(state, ids):
    version = state.get("driver_loaded") or ""
    out = ["{"]
    for i in ids:
        out += ["Get system version(%s) succeed, deviceId(%d)" % (version, i),
                '        {"device_id":%d, "version":%s}' % (i, version)]
    return "\n".join(out + ["}"])


def component_version(state, ids, component):
    version = state.get("firmware_active") or ""
    kinds = range(len(COMPONENTS)) if component == -1 else [component]
    out = ["{"]
    for i in ids:
        for k in kinds:
            out += ["Get component version(%s) succeed for deviceId(%d), componentType(%d)." % (version, i, k),
                    '        {"device_id":%d, "component":%s, "version":%s}' % (i, COMPONENTS[k], version)]
    return "\n".join(out + ["}"])


def run(args):
    opts, flags, i = {}, set(), 0
    while i < len(args):
        if args[i] in ("--device_index", "--component") and i + 1 < len(args):
            try:
                opts[args[i]] = int(args[i + 1])
            except ValueError:
                raise Fail(USAGE)
            i += 2
        elif args[i] in ("--system_version", "--version"):
            flags.add(args[i])
            i += 1
        else:
            raise Fail(USAGE)
    if "--device_index" not in opts or len(flags) != 1:
        raise Fail(USAGE)
    state = hwstate.load()
    if not hwstate.device_started(state):
        # sim wording: the reference has no sample of a failed query; the dcmi error of npu-smi
        raise Fail("Get system version failed, deviceId(-1), ret(-8005)")
    ids = _devices(state, opts["--device_index"])
    if flags == {"--system_version"} and "--component" not in opts:
        return system_version(state, ids)
    if flags == {"--version"} and "--component" in opts:
        component = opts["--component"]
        if component != -1 and not 0 <= component < len(COMPONENTS):
            raise Fail(USAGE)
        return component_version(state, ids, component)
    raise Fail(USAGE)


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    if args in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    try:
        text = run(args)
    except Fail as err:
        print(str(err))
        return 1
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
