"""The artifact plan: SHA256SUMS parsing, what to fetch, what is refused, what to unpack."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import artifact as a

DRIVER, TOOLKIT, CONDA = "1" * 64, "2" * 64, "a" * 64

SUMS = """\
# SHA256SUMS of the mirror
%s  Ascend-hdk-910b-npu-driver_25.3.rc1_linux-aarch64.run
%s *Ascend-cann-toolkit_8.3.RC1_linux-aarch64.run
%s  ./conda/Miniforge3-25.3.1-0-Linux-aarch64.sh
not a sum line
%s  too-short.run
""" % (DRIVER, TOOLKIT, CONDA.upper(), "f" * 63)

RUN = "Ascend-hdk-910b-npu-driver_25.3.rc1_linux-aarch64.run"
TK = "Ascend-cann-toolkit_8.3.RC1_linux-aarch64.run"
SH = "Miniforge3-25.3.1-0-Linux-aarch64.sh"


def test_parse_sums():
    assert a.parse_sums(SUMS) == {RUN: DRIVER, TK: TOOLKIT, SH: CONDA}


@pytest.mark.parametrize("text", [None, "", "junk\n\n"])
def test_parse_sums_of_nothing(text):
    assert a.parse_sums(text) == {}


def run(knobs, **inputs):
    return a.artifact({}, {}, knobs, inputs)


@pytest.fixture
def art(knobs):
    return knobs("artifact", artifact_source_path="/srv/ascend")


FETCH = [
    # the node's sha256sum output, fetched, bad (each bad file holds DRIVER's bytes where TOOLKIT is wanted)
    ("", [RUN, TK], []),
    ("%s  /var/cache/x/%s\n" % (DRIVER, RUN), [TK], []),
    ("%s  %s\n%s  %s\n" % (DRIVER, RUN, DRIVER, TK), [TK], [TK]),
    ("%s  %s\n%s  %s\n" % (DRIVER.upper(), RUN, TOOLKIT, TK), [], []),
]


@pytest.mark.parametrize("hashes, fetch, bad", FETCH)
def test_fetch(art, hashes, fetch, bad):
    out = run(art, sums=SUMS, files=[RUN, TK], hashes=hashes)
    assert out["problems"] == []
    assert out["fetch"] == fetch
    assert [s["file"] for s in out["steps"]] == fetch and all(s["name"] == "fetch" for s in out["steps"])
    assert out["bad"] == ["%s from /srv/ascend has sha256 %s but SHA256SUMS says %s" % (f, DRIVER, TOOLKIT) for f in bad]
    assert out["sums"] == {RUN: DRIVER, TK: TOOLKIT}
    assert out["done"] is (not fetch)


@pytest.mark.parametrize("kind, path, url, shown", [
    ("controller", "/srv/ascend", "", "/srv/ascend"),
    ("mirror", "", "http://mirror.internal/ascend/", "http://mirror.internal/ascend"),
    # a password in the URL never reaches a message
    ("mirror", "", "http://USER:S3cret@mirror.internal/ascend/", "http://USER:***@mirror.internal/ascend"),
])
def test_missing_checksums_name_files_and_source(knobs, kind, path, url, shown):
    k = knobs("artifact", artifact_source_type=kind, artifact_source_path=path, artifact_source_url=url)
    out = run(k, sums=SUMS, files=[RUN, "x.run", "y.whl"])
    assert out["problems"] == ["no sha256 for x.run, y.whl in SHA256SUMS of %s (or artifact_checksums); "
                               "refusing to use unchecked packages" % shown]
    assert out["fetch"] == [RUN] and out["source"] == shown
    bad = run(k, sums=SUMS, files=[RUN], hashes="%s  /cache/%s" % ("0" * 64, RUN))["bad"]
    assert bad[0].startswith("%s from %s has sha256" % (RUN, shown)) and "S3cret" not in bad[0]


def test_artifact_checksums_fill_in_and_override(knobs):
    k = knobs("artifact", artifact_source_path="/srv/ascend", artifact_checksums={"x.run": "C" * 64, RUN: "D" * 64})
    out = run(k, sums=SUMS, files=[RUN, "x.run"], hashes="%s  %s\n" % (DRIVER, RUN))
    assert out["problems"] == []
    assert out["sums"] == {RUN: "d" * 64, "x.run": "c" * 64}
    assert out["fetch"] == [RUN, "x.run"]
    assert out["bad"] == ["%s from /srv/ascend has sha256 %s but SHA256SUMS says %s" % (RUN, DRIVER, "d" * 64)]


UNPACK = [
    # held text ("<dir>\t<sha>" lines), unpacked?
    ("/opt/src/tk\t%s\n" % TOOLKIT, False),
    ("/opt/src/tk\t%s\n" % TOOLKIT.upper(), False),
    ("/opt/src/tk\t%s\n" % DRIVER, True),        # holds another archive
    ("/opt/src/tk\t\n", True),                   # exists, holds nothing recorded
    ("/opt/src/other\t%s\n" % TOOLKIT, True),    # not read at all
    ("", True),
]


@pytest.mark.parametrize("held, unpacked", UNPACK)
def test_unpack(art, held, unpacked):
    item = {"file": TK, "dest": "/opt/src/tk"}
    out = run(art, sums=SUMS, files=[TK], hashes="%s  %s\n" % (TOOLKIT, TK), unpack=[item], held=held)
    assert out["unpack"] == ([item] if unpacked else [])
    assert out["steps"] == ([{"name": "unpack", "file": TK, "dest": "/opt/src/tk", "why": "/opt/src/tk: does not hold " + TK}]
                            if unpacked else [])


def test_parse_held():
    assert a.parse_held("/a\tABC\n/b\t\n/c\n\n") == {"/a": "abc", "/b": None, "/c": None}
