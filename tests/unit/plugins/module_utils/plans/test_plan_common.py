"""What every planner shares (common.py), the stale-file check (files.py) and the plan shape
every planner in the registry returns."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import common, files
from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.registry import PLANNERS

# ---- file_for -----------------------------------------------------------------------------

FILE_FOR = [
    # component, device, arch, key, which files entry (None: no file)
    ("driver", "A2", "aarch64", None, "A2"),
    ("driver", "A3", "x86_64", None, "A3"),
    ("toolkit", "A2", "x86_64", None, "any"),            # no A2 entry: files.any
    ("toolkit", "A3", "aarch64", None, "any"),
    ("kernels", "A1", "aarch64", None, None),            # neither the device nor any
    ("torch", "A2", "aarch64", None, None),              # a component without files
    ("conda", "A2", "x86_64", "miniconda", "miniconda"),  # keyed by a knob, not the device
    ("conda", "A2", "x86_64", "anaconda", None),
]


@pytest.mark.parametrize("stack", ["seed", "v0.8"])
@pytest.mark.parametrize("component, device, arch, key, entry", FILE_FOR)
def test_file_for(manifest, stack, component, device, arch, key, entry):
    m = manifest(stack)
    got = common.file_for(m, component, device, arch, key)
    if entry is None:
        assert got is None
    else:
        assert got == m["components"][component]["files"][entry].replace("{arch}", arch)
        assert "{arch}" not in got


# ---- change, differs, python_matches, plan ---------------------------------------------------

@pytest.mark.parametrize("found, shown", [(None, "nothing"), ("", "nothing"), ("0", "0"), ("8.2.RC1", "8.2.RC1")])
def test_change_wording(found, shown):
    assert common.change("toolkit", "8.3.RC1", found) == "toolkit: wanted 8.3.RC1, found %s" % shown


@pytest.mark.parametrize("found, want, differs", [
    ("25.3.rc1", "25.3.RC1", False),
    ("2.7.1.post2", "2.7.1-post2", False),
    (None, "1.0", True),
    ("2.1.0", "1.26.4", True),
])
def test_differs(found, want, differs):
    assert common.differs(found, want) is differs


@pytest.mark.parametrize("found, minor, matches", [
    ("3.11.13", "3.11", True),
    ("3.11", "3.11", True),
    ("3.1", "3.11", False),
    ("3.110.2", "3.11", False),
    ("3.10.14", "3.11", False),
    (None, "3.11", False),
    ("3.11.13", 3.11, True),       # YAML gives a number
])
def test_python_matches(found, minor, matches):
    assert common.python_matches(found, minor) is matches


def test_marker_env_from_the_env_python_and_arch():
    env = common.marker_env({"system": {"arch": "x86_64"}, "conda": {"env": {"python": "3.11.13"}}})
    assert (env["python_version"], env["python_full_version"], env["platform_machine"]) == ("3.11", "3.11.13", "x86_64")
    assert common.marker_env({}, python="3.10.1")["python_version"] == "3.10"


@pytest.mark.parametrize("problems, steps, done", [
    ([], [], True),
    (["p"], [], False),
    ([], [{"name": "a", "why": "because"}], False),
])
def test_plan_shape(problems, steps, done):
    out = common.plan("r", problems, steps, extra=1)
    assert out == {"role": "r", "problems": problems, "steps": steps, "changes": [s["why"] for s in steps],
                   "done": done, "extra": 1}


# ---- files.stale --------------------------------------------------------------------------

ITEM = {"src": "npu.env.j2", "dest": "/etc/ascend_verl/npu.env", "checksum": "a" * 40, "mode": "0644",
        "owner": "root", "group": "root"}
SAME = {"exists": True, "checksum": "a" * 40, "mode": "0644", "owner": "root", "group": "root"}

STALE = [
    ("absent from the facts", None, "absent"),
    ("absent on the node", {"exists": False}, "absent"),
    ("content", dict(SAME, checksum="b" * 40), "content differs"),
    ("mode", dict(SAME, mode="0600"), "mode 0600, wanted 0644"),
    ("owner and group", dict(SAME, owner="ascend", group="ascend"), "owner ascend, wanted root; group ascend, wanted root"),
    ("the same", SAME, None),
]


@pytest.mark.parametrize("case, found, why", STALE, ids=[c[0] for c in STALE])
def test_stale(case, found, why):
    steps = files.stale([ITEM], {ITEM["dest"]: found} if found else {})
    if why is None:
        assert steps == []
    else:
        assert steps == [{"name": "file", "src": ITEM["src"], "dest": ITEM["dest"], "mode": "0644", "owner": "root",
                          "group": "root", "why": "%s: %s" % (ITEM["dest"], why)}]


# ---- every planner: the plan's shape on nodes in every state ---------------------------------

@pytest.mark.parametrize("state", ["bare", "cann", "full"])
@pytest.mark.parametrize("role", sorted(PLANNERS))
def test_every_planner_returns_a_plan(manifest, knobs, facts, role, state):
    planner = PLANNERS[role][0]
    out = planner(manifest("seed"), facts(state), knobs(role), {})
    assert out["role"] == role
    assert isinstance(out["problems"], list) and isinstance(out["steps"], list)
    assert all(step["name"] and step["why"] for step in out["steps"])
    assert out["changes"] == [step["why"] for step in out["steps"]]
    assert out["done"] is (not out["problems"] and not out["steps"])
