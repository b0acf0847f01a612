"""make matrix: the collection on every supported ansible-core line, as a user gets it.

For each line: a venv (uv, cached in MATRIX_CACHE), the tarball built with that line's
ansible-galaxy and installed from the file with --offline into a collections path of its own,
ansible-doc of every module and role, --syntax-check of every playbook by FQCN, a runtime
smoke on localhost (layer-1 preflight passing on a shipped inventory and refusing a bad knob,
npu_pci_info run as a module) and the unit tests run from the installed tree; ansible-test
sanity on the oldest line (`make sanity`, a stage of `make test`, runs it on the newest).  Nothing reads the checkout's ansible.cfg or its
build/collections link: each line has its own ANSIBLE_CONFIG and ANSIBLE_HOME.

Usage: tools/matrix.py [--lines 2.16,2.21] [--jobs N] [--no-sanity]
Writes build/matrix/results.json and build/matrix/table.md; exits 1 when a check failed.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("MATRIX_CACHE", "/var/tmp/ascend_verl-matrix")
UV = "uv==0.13.9"
TOOLS = ["antsibull-changelog==0.36.0"]       # the changelog check (tests/release), same venv as uv
PYTEST = "pytest==9.2.0"

# line, exact pin (the newest patch on PyPI when the line was added), Python.  2.20 and 2.21
# need Python >= 3.12 on the controller: pyenv's, as on every machine of this project's kind.
LINES = [
    ("2.16", "2.16.19", "3.11"),
    ("2.17", "2.17.14", "3.11"),
    ("2.18", "2.18.19", "3.11"),
    ("2.19", "2.19.14", "3.11"),
    ("2.20", "2.20.10", "3.12"),
    ("2.21", "2.21.5", "3.13"),
]
NEWEST = LINES[-1][0]
# ansible-test sanity: `make sanity` runs it on the newest line, the matrix on the oldest.
SANITY_LINES = (LINES[0][0],)
# What ships (the newest line's `make sanity` also covers tools/ and the other tests): pylint over
# the simulator would double this stage's time and say nothing about the oldest line.
SANITY_TARGETS = ["plugins/", "roles/", "playbooks/", "meta/", "changelogs/", "tests/unit/", "tests/config.yml"]
# Unit tests: all of them on the newest line; the module tests (AnsibleModule's contract,
# the part that differs between lines) on the others.  The module_utils logic is plain Python.
UNIT_ALL = ["tests/unit"]
UNIT_MODULES = ["tests/unit/plugins/modules", "tests/unit/plugins/module_utils/test_clock.py",
                "tests/unit/test_target_python.py"]
CHECKS = ("build", "install", "doc", "syntax", "smoke", "unit", "sanity")
SMOKE = """---
- name: Matrix smoke | layer 1 on the controller, a module on the host
  hosts: npu_nodes
  gather_facts: false
  tasks:
    - name: Layer 1, every knob of every role
      ascend_verl.cluster.preflight_config:
      run_once: true
    - name: The PCI reader as a module
      ascend_verl.cluster.npu_pci_info:
      register: pci
    - name: It ran and read this machine (no NPU here)
      ansible.builtin.assert:
        that:
          - pci is not failed
          - pci.npu_pci.count == 0
"""
LOCK = threading.Lock()


def log(msg):
    with LOCK:
        print(msg, flush=True)


def python_for(version):
    """pyenv's newest X.Y, else the system's pythonX.Y."""
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/%s.*/bin/python%s" % (version, version))),
                   key=lambda p: [int(x) for x in p.split("/versions/")[1].split("/")[0].split(".")])
    for path in reversed(found):
        return path
    path = shutil.which("python" + version)
    if not path:
        raise SystemExit("matrix: no Python %s (pyenv's ~/.pyenv/versions/%s.* or python%s on PATH)"
                         % (version, version, version))
    return path


def run(argv, log_file, cwd=None, env=None, timeout=1800):
    """Run argv, append its output to log_file; -> (rc, stdout, stderr)."""
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout, check=False)
    with LOCK, open(log_file, "a") as f:
        f.write("$ %s\n%s%s[rc %d]\n" % (" ".join(argv), done.stdout, done.stderr, done.returncode))
    return done.returncode, done.stdout, done.stderr


def uv():
    tool = os.path.join(CACHE, "tool")
    binary = os.path.join(tool, "bin", "uv")
    stamp = os.path.join(tool, ".matrix")
    want = " ".join([UV] + TOOLS) + "\n"
    if not (os.path.exists(stamp) and open(stamp).read() == want):
        shutil.rmtree(tool, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", tool], check=True)
        subprocess.run([os.path.join(tool, "bin", "pip"), "install", "-q", UV], check=True)
        subprocess.run([binary, "pip", "install", "-q", "-p", os.path.join(tool, "bin", "python")] + TOOLS, check=True,
                       env=dict(os.environ, UV_CACHE_DIR=os.path.join(CACHE, "uv-cache")))
        with open(stamp, "w") as f:
            f.write(want)
    return binary


def venv(line, pin, python, uv_bin):
    """The line's venv, rebuilt when its pins change.  uv: the six venvs in seconds, in parallel."""
    path = os.path.join(CACHE, "venv-" + line)
    stamp = os.path.join(path, ".matrix")
    want = "%s %s %s compiled\n" % (pin, PYTEST, python)
    if os.path.exists(stamp) and open(stamp).read() == want:
        return path
    shutil.rmtree(path, ignore_errors=True)
    env = dict(os.environ, UV_CACHE_DIR=os.path.join(CACHE, "uv-cache"))
    subprocess.run([uv_bin, "venv", "-q", "-p", python, path], check=True, env=env)
    # --compile-bytecode: else every first ansible command of a line compiles ansible itself
    subprocess.run([uv_bin, "pip", "install", "-q", "--compile-bytecode", "-p", os.path.join(path, "bin", "python"),
                    "ansible-core==" + pin, PYTEST], check=True, env=env)
    with open(stamp, "w") as f:
        f.write(want)
    return path


def names():
    """What the collection ships: modules, roles, playbooks (from the checkout)."""
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
                     if not os.path.basename(p).startswith("_"))
    roles = sorted(d for d in os.listdir(os.path.join(REPO, "roles"))
                   if os.path.isdir(os.path.join(REPO, "roles", d, "meta")))
    playbooks = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(REPO, "playbooks", "*.yml")))
    return modules, roles, playbooks


class Line(object):
    def __init__(self, line, venv_path, work):
        self.line, self.venv, self.work = line, venv_path, work
        self.results = {}
        self.log = os.path.join(work, "log.txt")
        self.collections = os.path.join(work, "collections")
        self.installed = os.path.join(self.collections, "ansible_collections", "ascend_verl", "cluster")
        env = dict((k, v) for k, v in os.environ.items()
                   if not k.startswith("ANSIBLE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV"))
        env.update(PATH=os.path.join(venv_path, "bin") + os.pathsep + env.get("PATH", ""),
                   ANSIBLE_CONFIG=os.path.join(work, "ansible.cfg"), ANSIBLE_HOME=os.path.join(work, "home"),
                   ANSIBLE_FORCE_COLOR="false", ANSIBLE_NOCOLOR="1")
        self.env = env

    def bin(self, name):
        return os.path.join(self.venv, "bin", name)

    def check(self, name, func):
        t0 = time.monotonic()
        try:
            problem = func()
        except Exception as err:  # a crash of the check is a failure of the line, with its reason
            problem = "%s: %s" % (type(err).__name__, err)
        seconds = time.monotonic() - t0
        self.results[name] = {"ok": problem is None, "seconds": round(seconds, 1), "problem": problem}
        verdict = "ok  " if problem is None else "FAIL"
        log("  %-5s %-7s %s %5.1f s%s" % (self.line, name, verdict, seconds, "" if problem is None else "  " + problem))
        return problem is None

    def cmd(self, argv, cwd=None, expect=0):
        rc, out, err = run(argv, self.log, cwd=cwd or self.work, env=self.env)
        if rc != expect:
            tail = "\n".join((out + err).strip().splitlines()[-6:])
            raise AssertionError("%s exited %d (see %s):\n%s" % (os.path.basename(argv[0]), rc, self.log, tail))
        return out

    # ---- the checks ---------------------------------------------------------------------------
    def build(self):
        dist = os.path.join(self.work, "dist")
        self.cmd([self.bin("ansible-galaxy"), "collection", "build", "--force", "--output-path", dist, REPO])
        self.tarball = glob.glob(os.path.join(dist, "ascend_verl-cluster-*.tar.gz"))[0]

    def install(self):
        self.cmd([self.bin("ansible-galaxy"), "collection", "install", "--offline", "--force",
                  "-p", self.collections, self.tarball])
        out = self.cmd([self.bin("ansible-galaxy"), "collection", "list", "ascend_verl.cluster", "--format", "json"])
        found = json.loads(out)
        if list(found) != [os.path.join(self.collections, "ansible_collections")]:
            return "ascend_verl.cluster found in %s, not only in the install path" % list(found)

    def doc(self):
        modules, roles, dummy = names()
        listed = json.loads(self.cmd([self.bin("ansible-doc"), "-t", "module", "-l", "--json", "ascend_verl.cluster"]))
        missing = sorted(set("ascend_verl.cluster." + m for m in modules) - set(listed))
        if missing:
            return "ansible-doc -l misses " + ", ".join(missing)
        docs = json.loads(self.cmd([self.bin("ansible-doc"), "-t", "module", "--json"]
                                   + ["ascend_verl.cluster." + m for m in modules]))
        bad = [m for m in modules if not (docs.get("ascend_verl.cluster." + m) or {}).get("doc")]
        roles_doc = json.loads(self.cmd([self.bin("ansible-doc"), "-t", "role", "--json"]
                                        + ["ascend_verl.cluster." + r for r in roles]))
        bad += [r for r in roles if not (roles_doc.get("ascend_verl.cluster." + r) or {}).get("entry_points")]
        if bad:
            return "no documentation for " + ", ".join(bad)

    def syntax(self):
        dummy, dummy, playbooks = names()
        self.cmd([self.bin("ansible-playbook"), "--syntax-check", "-i", "localhost,"]
                 + ["ascend_verl.cluster." + p for p in playbooks])

    def smoke(self):
        playbook = os.path.join(self.work, "smoke.yml")
        with open(playbook, "w") as f:
            f.write(SMOKE)
        packages = os.path.join(self.work, "packages")
        os.makedirs(packages, exist_ok=True)
        open(os.path.join(packages, "SHA256SUMS"), "w").close()
        base = [self.bin("ansible-playbook"), playbook, "-i", os.path.join(self.installed, "inventories", "a2_cluster"),
                "-e", "ansible_connection=local", "-e", "ansible_python_interpreter=" + self.bin("python"),
                "-e", "artifact_source_path=" + packages]     # the one knob the example leaves to the site
        self.cmd(base)
        out = self.cmd(base + ["-e", "hdk_reboot_batch=-1"], expect=2)
        if "hdk_reboot_batch = -1" not in out:
            return "layer 1 did not name the bad knob hdk_reboot_batch"

    def unit(self, paths):
        self.cmd([self.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"] + paths,
                 cwd=self.installed)

    def sanity(self):
        env = dict(self.env, SANITY_VENV=self.venv, SANITY_ROOT=os.path.join(self.work, "sanity"))
        rc, out, err = run([os.path.join(REPO, "tests", "sanity.sh")] + SANITY_TARGETS, self.log, env=env, timeout=3000)
        if rc != 0:
            return "ansible-test sanity exited %d (see %s):\n%s" % (rc, self.log, "\n".join((out + err).splitlines()[-10:]))


def prepare(line, pin, python, uv_bin):
    work = os.path.join(CACHE, "work-" + line)
    for sub in ("dist", "collections", "home"):
        shutil.rmtree(os.path.join(work, sub), ignore_errors=True)
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "ansible.cfg"), "w") as f:
        f.write("[defaults]\ncollections_path = %s\nretry_files_enabled = False\n" % os.path.join(work, "collections"))
    open(os.path.join(work, "log.txt"), "w").close()
    return Line(line, venv(line, pin, python_for(python), uv_bin), work)


def line_checks(ln):
    ok = ln.check("build", ln.build) and ln.check("install", ln.install)
    if ok:
        ln.check("doc", ln.doc)
        ln.check("syntax", ln.syntax)
        ln.check("smoke", ln.smoke)
        ln.check("unit", lambda: ln.unit(UNIT_ALL if ln.line == NEWEST else UNIT_MODULES))


def table(lines, sanity, wall):
    head = "| ansible-core | Python | " + " | ".join(CHECKS) + " |\n|---|---|" + "---|" * len(CHECKS) + "\n"
    rows = []
    for line, pin, python in LINES:
        ln = lines.get(line)
        if ln is None:
            continue
        cells = []
        for check in CHECKS:
            r = ln.results.get(check)
            cells.append("-" if r is None else ("%s %.0f s" % ("ok" if r["ok"] else "**FAIL**", r["seconds"])))
        rows.append("| %s | %s | %s |\n" % (pin, python, " | ".join(cells)))
    return head + "".join(rows) + "\nwall clock: %.0f s (%s)\n" % (wall, sanity)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", help="comma-separated lines (default: all)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MATRIX_JOBS", "2")))
    parser.add_argument("--no-sanity", action="store_true")
    parser.add_argument("--tools", action="store_true", help="only make the tools' venv and print its bin/")
    parser.add_argument("--venv", metavar="LINE", help="only make LINE's venv (\"newest\": %s) and print its path" % NEWEST)
    args = parser.parse_args()
    if args.tools:
        os.makedirs(CACHE, exist_ok=True)
        print(os.path.dirname(uv()))
        return 0
    if args.venv:
        (line, pin, python), = [e for e in LINES if e[0] == (NEWEST if args.venv == "newest" else args.venv)]
        os.makedirs(CACHE, exist_ok=True)
        print(venv(line, pin, python_for(python), uv()))
        return 0
    wanted = [entry for entry in LINES if not args.lines or entry[0] in args.lines.split(",")]
    t0 = time.monotonic()
    os.makedirs(CACHE, exist_ok=True)
    uv_bin = uv()
    with concurrent.futures.ThreadPoolExecutor(len(wanted)) as pool:    # downloads: I/O bound
        lines = dict(zip([w[0] for w in wanted], pool.map(lambda w: prepare(w[0], w[1], w[2], uv_bin), wanted)))
    log("matrix: venvs ready in %.0f s (%s)" % (time.monotonic() - t0, CACHE))
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = []
        if not args.no_sanity:   # the long poles first, so the other lines fill in around them
            futures += [pool.submit(lines[line].check, "sanity", lines[line].sanity)
                        for line in SANITY_LINES if line in lines]
        futures += [pool.submit(line_checks, ln) for ln in lines.values()]
        for future in futures:
            future.result()
    wall = time.monotonic() - t0
    out_dir = os.path.join(REPO, "build", "matrix")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(dict((k, v.results) for k, v in lines.items()), f, indent=1, sort_keys=True)
    text = table(lines, "%d jobs, cache %s" % (args.jobs, CACHE), wall)
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(text)
    print("\n" + text)
    failed = ["%s %s" % (k, c) for k, v in sorted(lines.items()) for c, r in sorted(v.results.items()) if not r["ok"]]
    if failed:
        print("matrix: FAILED: " + ", ".join(failed))
        return 1
    print("matrix: %d lines passed" % len(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
