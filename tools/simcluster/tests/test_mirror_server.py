"""The HTTP mirror (sim/mirror.py) with basic authentication: nothing without the right
credentials (401 and a challenge), the files with them; every request recorded."""

import base64
import os
import sys
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sim.mirror import Mirror  # noqa: E402


@pytest.fixture
def mirror(tmp_path):
    (tmp_path / "SHA256SUMS").write_text("0" * 64 + "  x.run\n")
    m = Mirror("127.0.0.1", str(tmp_path), "u", "p:w")
    yield m
    m.close()


def get(url, user=None, password=None):
    request = urllib.request.Request(url)
    if user is not None:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


@pytest.mark.parametrize("user, password", [(None, None), ("u", "wrong"), ("v", "p:w")])
def test_refuses_without_the_right_credentials(mirror, user, password):
    status, body, headers = get(mirror.url + "SHA256SUMS", user, password)
    assert (status, body) == (401, b"")
    assert headers["WWW-Authenticate"] == 'Basic realm="simcluster mirror"'
    assert mirror.log == [("/SHA256SUMS", None, 401)]


def test_serves_with_them(mirror):
    assert get(mirror.url + "SHA256SUMS", "u", "p:w")[:2] == (200, b"0" * 64 + b"  x.run\n")
    assert get(mirror.url + "missing.run", "u", "p:w")[0] == 404
    assert mirror.log == [("/SHA256SUMS", "u", 200), ("/missing.run", "u", 404)]
    assert mirror.requests == ["/SHA256SUMS", "/missing.run"]


def test_without_credentials_configured_it_is_open(tmp_path):
    (tmp_path / "a").write_text("a")
    m = Mirror("127.0.0.1", str(tmp_path))
    try:
        assert get(m.url + "a")[:2] == (200, b"a")
    finally:
        m.close()
    assert m.log == [("/a", None, 200)]
