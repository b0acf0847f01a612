"""Credentials: URLs split and masked, text scrubbed, pip's netrc, layer 1's plain-text warnings."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.filter import secrets as filters
from ansible_collections.ascend_verl.cluster.plugins.module_utils import secrets as s


@pytest.mark.parametrize("url, bare, user, password", [
    ("http://u:p%40ss@mirror:8080/ascend/", "http://mirror:8080/ascend/", "u", "p%40ss"),
    ("https://u:a:b@h/x", "https://h/x", "u", "a:b"),
    ("https://u@h/x", "https://h/x", "u", ""),
    ("https://h/x?a=b@c", "https://h/x?a=b@c", "", ""),          # an @ after the host is not userinfo
    ("http://h/", "http://h/", "", ""),
    ("", "", "", ""),
    (None, "", "", ""),
])
def test_split_url(url, bare, user, password):
    assert s.split_url(url) == (bare, user, password)


def test_url_credentials_the_knobs_win_over_the_url():
    assert s.url_credentials("http://u:old@h/a", "", "") == ("http://h/a", "u", "old")
    assert s.url_credentials("http://u:old@h/a", "v", "new") == ("http://h/a", "v", "new")
    assert s.url_credentials("http://u@h/a", "", "vaulted") == ("http://h/a", "u", "vaulted")
    assert filters.url_credentials("http://u:p@h/a") == {"url": "http://h/a", "username": "u", "password": "p"}


def test_mask_text():
    text = "node1: cannot read http://USER:S3cret!@10.0.0.1:8080/ascend/SHA256SUMS and https://tok@h/ too"
    assert s.mask_text(text) == "node1: cannot read http://USER:***@10.0.0.1:8080/ascend/SHA256SUMS and https://tok@h/ too"
    assert s.mask_text("http://u:p@h/x") == "http://u:***@h/x"
    assert s.mask_text("Status 401 for S3cretPass and ab", ["S3cretPass", "ab", "", None]) == "Status 401 for *** and ab"
    assert s.mask_text(["http://a:b@h", "x"]) == ["http://a:***@h", "x"]
    assert s.mask_text(None) == ""


def test_strip_userinfo():
    assert s.strip_userinfo("--index-url=https://u:p@pypi.site/simple") == "--index-url=https://pypi.site/simple"
    assert s.strip_userinfo(["-i", "http://u@h/", "numpy"]) == ["-i", "http://h/", "numpy"]


@pytest.mark.parametrize("name, secret", [("artifact_source_password", True), ("hf_token", True),
                                          ("artifact_source_username", False), ("password_file", False)])
def test_is_secret(name, secret):
    assert s.is_secret(name) is secret


def test_mask_problem_never_shows_a_secret():
    assert s.mask_problem({"variable": "artifact_source_password", "found": 42, "expected": "a string"})["found"] == "***"
    url = {"variable": "artifact_source_url", "found": "ftp://u:pw@h/", "expected": "http:// or https:// URL"}
    assert s.mask_problem(url)["found"] == "ftp://u:***@h/"
    item = {"variable": "conda_pip_extra_index_urls[1]", "found": ["http://u:pw@h/"], "expected": "x"}
    assert s.mask_problem(item)["found"] == ["http://u:***@h/"]
    env = {"variable": "sglang_npu_upstream_env", "found": {"proxy_password": "pw", "HTTPS_PROXY": "http://u:pw@p:3128"},
           "expected": "x"}
    assert s.mask_problem(env)["found"] == {"proxy_password": "***", "HTTPS_PROXY": "http://u:***@p:3128"}
    assert s.mask_problem({"variable": "x_password", "found": "", "expected": "x"})["found"] == ""


def test_pip_auth_moves_userinfo_into_netrc_and_the_knobs_cover_only_the_site_hosts():
    args = ["--index-url", "https://alice:pw1@pypi.site:8443/simple", "--extra-index-url=https://download.pytorch.org/whl",
            "--extra-index-url=http://mirror.site/extra", "torch==2.7.1"]
    out = s.pip_auth(args, "bob", "pw2", ["https://pypi.site:8443/simple", "http://mirror.site/extra"])
    assert out["args"] == ["--index-url", "https://pypi.site:8443/simple", "--extra-index-url=https://download.pytorch.org/whl",
                           "--extra-index-url=http://mirror.site/extra", "torch==2.7.1"]
    # the URL's own user wins for its host; the knobs cover the other site index; pytorch.org gets nothing
    assert out["netrc"] == "machine mirror.site login bob password pw2\nmachine pypi.site login alice password pw1\n"
    assert out["hosts"] == ["mirror.site", "pypi.site"]
    assert filters.FilterModule().filters()["pip_auth"] is s.pip_auth


def test_pip_auth_without_credentials_changes_nothing():
    args = ["--no-index", "--find-links", "/var/cache/wheelhouse", "numpy"]
    assert s.pip_auth(args, "", "", ["pypi.site"]) == {"args": args, "netrc": "", "hosts": []}
    assert s.pip_auth(args, "bob", "", ["pypi.site"])["netrc"] == ""      # a user without a password is no credential


def test_pip_auth_refuses_what_netrc_cannot_hold():
    with pytest.raises(ValueError, match="whitespace"):
        s.pip_auth([], "bob", "two words", ["pypi.site"])


def test_plaintext_secrets_names_the_knob_never_the_value():
    values = {"artifact_source_password": "S3cret", "conda_pip_index_password": "V4ult", "artifact_source_url":
              "http://u:S3cret@h/", "conda_pip_extra_index_urls": ["http://h/", "http://u:x@h2/"],
              "artifact_source_username": "u", "verify_report_dir": "", "hf_token": ""}
    out = s.plaintext_secrets(values, {"conda_pip_index_password": True})
    assert [w.split()[0] for w in out] == ["artifact_source_password", "artifact_source_url", "conda_pip_extra_index_urls"]
    assert "plain text" in out[0] and "Ansible Vault" in out[0]
    assert not any("S3cret" in w or ":x@" in w for w in out)
    assert s.plaintext_secrets(values, dict.fromkeys(values, True)) == []


def test_credentials_in_knobs_written_to_the_nodes_are_refused():
    values = {"conda_channels": ["https://conda.site/main", "https://u:pw@conda.site/forge"],
              "conda_channel_alias": "https://u:pw@conda.site", "npu_env_extra": {"HF_TOKEN": "hf_x", "EMPTY_TOKEN": ""},
              "artifact_source_url": "http://u:pw@h/"}        # not written anywhere: masked, not refused
    out = s.on_disk_problems(values)
    assert [(p["variable"], p["found"]) for p in out] == [("conda_channel_alias", "***"), ("conda_channels[1]", "***"),
                                                          ("npu_env_extra['HF_TOKEN']", "***")]
    assert "the .condarc of every node" in out[0]["expected"] and "the env file" in out[2]["expected"]
    assert s.on_disk_problems({"conda_channels": ["https://conda.site/main"], "npu_env_extra": {"EMPTY_TOKEN": ""}}) == []
