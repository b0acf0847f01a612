"""pip really authenticates from the netrc pip_auth writes (what roles/conda/tasks/pip.yml and the
upstream script give it through $NETRC), against the simulator's mirror with basic auth serving a
PEP 503 index; without it the index refuses pip.  Runs the controller's pip on 127.0.0.1."""

import os
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import secrets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "simcluster"))
from sim.mirror import Mirror  # noqa: E402

WHEEL = "secdemo-1.0-py3-none-any.whl"


@pytest.fixture
def index(tmp_path):
    root = tmp_path / "index"
    (root / "simple" / "secdemo").mkdir(parents=True)
    with zipfile.ZipFile(str(root / "simple" / "secdemo" / WHEEL), "w") as whl:
        whl.writestr("secdemo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: secdemo\nVersion: 1.0\n")
        whl.writestr("secdemo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                                    "Tag: py3-none-any\n")
        whl.writestr("secdemo-1.0.dist-info/RECORD", "")
    (root / "simple" / "secdemo" / "index.html").write_text('<a href="%s">%s</a>\n' % (WHEEL, WHEEL))
    m = Mirror("127.0.0.1", str(root), "deploy", "Pa55-word")
    yield m
    m.close()


def pip_download(args, env, target):
    return subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                           "--no-input", "--no-cache-dir", "--retries", "0", "-d", str(target)] + args + ["secdemo==1.0"],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)


@pytest.mark.parametrize("url, username, password", [
    ("http://deploy:Pa55-word@127.0.0.1:{port}/simple/", "", ""),      # the URL's userinfo, moved to the netrc
    ("http://127.0.0.1:{port}/simple/", "deploy", "Pa55-word"),        # the index knobs
])
def test_pip_authenticates_from_the_netrc_only(index, tmp_path, url, username, password):
    url = url.format(port=index.server.server_address[1])
    auth = secrets.pip_auth(["--index-url", url], username, password, [url])
    assert "Pa55-word" not in " ".join(auth["args"])
    netrc = tmp_path / "netrc"
    netrc.write_text(auth["netrc"])
    netrc.chmod(0o600)
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("PIP_"))
    env["HOME"] = str(tmp_path)                     # no ~/.netrc of the machine running the tests
    refused = pip_download(auth["args"], env, tmp_path / "refused")
    assert refused.returncode != 0 and ("/simple/secdemo/", None, 401) in index.log, refused.stdout
    env["NETRC"] = str(netrc)
    done = pip_download(auth["args"], env, tmp_path / "done")
    assert done.returncode == 0, done.stdout
    assert os.listdir(str(tmp_path / "done")) == [WHEEL]
    assert ("/simple/secdemo/" + WHEEL, "deploy", 200) in index.log
    assert "Pa55-word" not in refused.stdout + done.stdout
