"""The real wheels of the wheelhouse beyond the small pure-Python ones of pypi.PINS: Ray with
every dependency of `ray[default]`, Hydra/OmegaConf (verl composes its config tree with them),
numpy (Ray misbehaves with a stub numpy), and the small pure-Python modules `import sglang` and
`import verl.trainer.main_ppo` use at import time (tqdm, codetiming, cachetools: real rather
than deep stubs).  Locked name -> version, so a wheelhouse is the same whatever PyPI publishes
later; each file is fetched with --no-deps (pypi.fetch_wheel).

The lock was resolved by pip for CPython 3.11 on manylinux x86_64 and aarch64 (the same
versions on both) from REQUIREMENTS, with the stub pins of pyartifacts (and pypi.PINS) as
constraints: a real wheel replaces the stub of its name, so it must have the version the
other stand-in requirements were written against (packaging 25.0, cffi 1.17.1, pydantic
2.11.5, ...).  Regenerate it when the manifests' Ray or numpy or a stub pin changes:

    cd tools/simcluster && ../../.venv/bin/python -m sim.pylock     # prints LOCK; paste it here

pyartifacts refuses a manifest whose Ray or numpy is not the lock's.
"""

import json
import os
import subprocess
import sys
import tempfile

REQUIREMENTS = ("ray[default]=={ray}", "hydra-core==1.3.2", "omegaconf==2.3.0", "antlr4-python3-runtime==4.9.3",
                "numpy=={numpy}", "tqdm", "codetiming", "cachetools")
LOCK = {
    "aiohappyeyeballs": "2.7.1", "aiohttp": "3.14.5", "aiohttp-cors": "0.8.1", "aiosignal": "1.4.0",
    "annotated-types": "0.8.0", "antlr4-python3-runtime": "4.9.3", "attrs": "25.3.0", "cachetools": "5.5.2",
    "certifi": "2026.10.19.post1", "cffi": "1.17.1", "charset-normalizer": "3.5.3", "click": "8.2.1",
    "codetiming": "1.4.0", "colorful": "0.5.8", "cryptography": "46.0.0", "distlib": "0.4.4", "filelock": "4.3.1",
    "frozenlist": "1.8.0", "google-api-core": "2.29.0", "google-auth": "2.63.0",
    "googleapis-common-protos": "1.73.0", "grpcio": "1.85.3", "hydra-core": "1.3.2", "idna": "3.20",
    "jsonschema": "4.26.0", "jsonschema-specifications": "2025.9.1", "msgpack": "1.2.4", "multidict": "7.2.1",
    "numpy": "1.26.4", "omegaconf": "2.3.0", "opencensus": "0.11.4", "opencensus-context": "0.1.3",
    "packaging": "25.0", "platformdirs": "4.14.9", "prometheus-client": "0.26.0", "propcache": "0.5.4",
    "proto-plus": "1.27.1", "protobuf": "3.20.3", "py-spy": "0.4.3", "pyasn1": "0.6.5", "pyasn1-modules": "0.4.2",
    "pycparser": "3.12", "pydantic": "2.11.5", "pydantic-core": "2.33.2", "python-discovery": "1.9.6",
    "pyyaml": "6.0.2", "ray": "2.46.0", "referencing": "0.37.0", "requests": "2.32.3", "rpds-py": "2026.9.1",
    "six": "1.17.0", "smart-open": "9.0.2", "tqdm": "4.67.1", "typing-extensions": "4.14.0",
    "typing-inspection": "0.4.2", "urllib3": "2.8.0", "virtualenv": "21.14.5", "wrapt": "2.5.2", "yarl": "1.25.1",
}


def constraints():
    """name==version of every stub and small real wheel the wheelhouse already pins."""
    from . import artifacts, pyartifacts, pypi
    pins = dict((k, v) for k, v in pypi.PINS.items() if k != "pip")
    for table in (pyartifacts.CANN_DEPS, pyartifacts.SGLANG_DEPS, pyartifacts.SCRIPT_DEPS, pyartifacts.VERL_DEPS):
        pins.update(table)
    manifest = artifacts.load_manifest("seed")
    for name in ("numpy", "transformers", "ray"):
        pins[name] = str(manifest["components"][name]["version"])
    return manifest, sorted("%s==%s" % kv for kv in pins.items())


def resolve(arch, manifest, pins):
    """{name: version} pip's resolver picks for the requirements on that architecture."""
    from . import pypi
    built = os.path.dirname(pypi.fetch_wheel("antlr4-python3-runtime", "4.9.3", arch))    # sdist only on PyPI
    comps = manifest["components"]
    wanted = [r.format(ray=comps["ray"]["version"], numpy=comps["numpy"]["version"]) for r in REQUIREMENTS]
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "constraints.txt"), "w") as f:
            f.write("".join(p + "\n" for p in pins))
        report = os.path.join(tmp, "report.json")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
                        "--disable-pip-version-check", "--report", report, "--target", os.path.join(tmp, "t"),
                        "--find-links", built, "-c", os.path.join(tmp, "constraints.txt")]
                       + pypi.platform_args(arch) + wanted, check=True)
        with open(report) as f:
            return dict((i["metadata"]["name"].lower().replace("_", "-").replace(".", "-"), i["metadata"]["version"])
                        for i in json.load(f)["install"])


def main():
    manifest, pins = constraints()
    found = dict((arch, resolve(arch, manifest, pins)) for arch in ("x86_64", "aarch64"))
    if found["x86_64"] != found["aarch64"]:
        sys.stderr.write("the architectures resolve differently: %s\n" % sorted(
            set(found["x86_64"].items()) ^ set(found["aarch64"].items())))
        return 1
    print("LOCK = %s" % json.dumps(dict(sorted(found["x86_64"].items())), indent=4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
