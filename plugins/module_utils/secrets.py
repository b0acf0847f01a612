# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials: which knobs are secret, URLs without their userinfo, text with secrets masked,
and the per-task netrc pip reads instead of a password in its argv or environment.

A URL may still carry USER:PASSWORD@ (accepted, as the issue asks): it is split here so the tools
get the password by their own mechanism and everything shown says http://USER:***@host/...
Secrets never go through a task's `environment:` (ansible -vvv prints it in the SSH command line)
nor a command's argv (the result's `cmd`, `ps` on the node).  Pure functions, Python 3.9+,
standard library only (the filters run on the controller, the unit tests anywhere).
"""

import fnmatch
import re

MASK = "***"
# Knob names whose value is a secret; their values are never shown, and layer 1 warns when one is
# set in plain text rather than from Ansible Vault.
SECRET_PATTERNS = ("*_password", "*_token")
# scheme://USER[:PASSWORD]@ at the start of a URL (a password may hold ':' but not '@' or '/')
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:@/\s]*)(?::(?P<password>[^@/\s]*))?@")
_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/\s]*@)?(?P<host>\[[^\]]+\]|[^:/\s?#]+)")


def is_secret(name):
    return any(fnmatch.fnmatchcase(str(name), p) for p in SECRET_PATTERNS)


def split_url(url):
    """'http://u:p@h/x' -> ('http://h/x', 'u', 'p'); no userinfo -> (url, '', '')."""
    text = "" if url is None else str(url)
    match = _USERINFO.match(text)
    if not match:
        return text, "", ""
    return match.group("scheme") + text[match.end():], match.group("user"), match.group("password") or ""


def url_host(url):
    match = _HOST.match(str(url or ""))
    return match.group("host").lower() if match else ""


def strip_userinfo(text):
    """Every URL in the text (a string, or each string of a list) without USER[:PASSWORD]@."""
    if isinstance(text, (list, tuple)):
        return [strip_userinfo(t) for t in text]
    return _USERINFO.sub(lambda m: m.group("scheme"), "" if text is None else str(text))


def mask_text(text, secrets=()):
    """The text with the password of every URL in it, and every literal secret, as ***.
    Secrets shorter than 4 characters are masked only inside URLs (masking 'a' everywhere would
    mangle the message and tell the reader the secret anyway)."""
    if isinstance(text, (list, tuple)):
        return [mask_text(t, secrets) for t in text]
    out = "" if text is None else str(text)

    def one(match):
        if match.group("password") is None:
            return match.group(0)
        return "%s%s:%s@" % (match.group("scheme"), match.group("user"), MASK)
    out = _USERINFO.sub(one, out)
    for secret in sorted(set(str(s) for s in secrets if s not in (None, "")), key=len, reverse=True):
        if len(secret) >= 4:
            out = out.replace(secret, MASK)
    return out


def mask_problem_value(name, value):
    """A knob's value as layer 1 may show it: a secret knob's as ***, URLs masked."""
    if value in (None, ""):
        return value
    if is_secret(name):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, (list, tuple)):
        return [mask_problem_value(name, v) for v in value]
    if isinstance(value, dict):
        return dict((k, mask_problem_value(k, v) if is_secret(k) else mask_problem_value(name, v))
                    for k, v in value.items())
    return value


def mask_problem(item):
    """A layer-1 problem {variable, found, expected} with the value masked as mask_problem_value does."""
    out = dict(item)
    out["found"] = mask_problem_value(re.split(r"[.\[]", str(item.get("variable", "")))[0], item.get("found"))
    out["expected"] = mask_text(item.get("expected"))
    return out


def url_credentials(url, username="", password=""):
    """(URL without userinfo, user, password): the knobs win over the URL's userinfo, so a Vault
    password can complete a URL that names only the user."""
    bare, user, pw = split_url(url)
    return bare, username or user, password or pw


def _netrc_token(value, what):
    if not value or re.search(r"\s", value):
        raise ValueError("a netrc %s cannot be empty or hold whitespace" % what)
    return value


def pip_auth(args, username="", password="", hosts=()):
    """pip's arguments without userinfo, and the netrc pip reads instead (requests honours $NETRC).

    Every user:password of a URL in args becomes a netrc entry for its host; username/password
    (the index knobs) cover `hosts`, the hosts of the site's own indexes, and only those (netrc
    credentials are sent to the host unasked; a public index must not receive them).
    Returns {"args": [...], "netrc": text ('' when there is nothing to authenticate),
    "hosts": [the hosts with credentials]}."""
    entries = {}
    for arg in args or []:
        for match in re.finditer(r"[A-Za-z][A-Za-z0-9+.-]*://\S+", str(arg)):
            bare, user, pw = split_url(match.group(0))
            if user and pw:
                entries.setdefault(url_host(bare), (user, pw))
    if username and password:
        for host in hosts or []:
            name = url_host(host) if "://" in str(host) else str(host).split(":", maxsplit=1)[0].lower()
            if name:
                entries.setdefault(name, (username, password))
    lines = ["machine %s login %s password %s"
             % (_netrc_token(h, "host"), _netrc_token(u, "user"), _netrc_token(p, "password"))
             for h, (u, p) in sorted(entries.items())]
    return {"args": strip_userinfo(list(args or [])), "netrc": "\n".join(lines) + "\n" if lines else "",
            "hosts": sorted(entries)}


# Knobs whose values end up in a file on every node (.condarc, the env file): a credential there
# would stay on disk, readable long after the run, so layer 1 refuses it instead of masking it.
ON_DISK = {"conda_channels": "the .condarc of every node", "conda_channel_alias": "the .condarc of every node",
           "npu_env_extra": "the env file of every node"}


def _has_password(value):
    if isinstance(value, dict):
        return [k for k, v in sorted(value.items(), key=str) if (is_secret(str(k).lower()) and v not in (None, "")) or _has_password(v)]
    if isinstance(value, (list, tuple)):
        return [i for i, v in enumerate(value) if _has_password(v)]
    return bool(isinstance(value, str) and split_url(value)[2])


def on_disk_problems(values):
    """Layer-1 problems {variable, found, expected}: a credential in a knob that is written to the nodes' disks."""
    out = []
    for name in sorted(ON_DISK):
        found = _has_password(values.get(name))
        if found:
            where = name if found is True else "%s[%r]" % (name, found[0])
            out.append({"variable": where, "found": MASK, "expected": "no credentials (it is written to %s); use a "
                        "mirror without a login, or the credential knobs" % ON_DISK[name]})
    return out


def split_env(env):
    """({name: value} safe to show and to pass as a task's environment, {name: value} that is
    secret): a variable named like a secret (HTTPS_PROXY_PASSWORD, HF_TOKEN) or whose value is a
    URL with a password (http://USER:PASSWORD@proxy:3128) is secret."""
    public, secret = {}, {}
    for name, value in (env or {}).items():
        hidden = (is_secret(str(name).lower()) and value not in (None, "")) or _has_password(value)
        (secret if hidden else public)[name] = value
    return public, secret


def env_secrets(env):
    return split_env(env)[1]


def plaintext_secrets(values, vaulted):
    """Layer 1's warnings: secret knobs set in plain text, and URLs that carry a password.
    values: {knob: value}; vaulted: {knob: True when the value came from Ansible Vault}.
    The warnings name the knob, never its value."""
    out = []
    for name in sorted(values):
        value = values[name]
        if value in (None, "") or vaulted.get(name):
            continue
        if is_secret(name):
            out.append("%s is set in plain text; keep it in Ansible Vault (ansible-vault encrypt_string, or a "
                       "vault-encrypted vars file)" % name)
        elif _has_password(value):
            out.append("%s carries a password in its URL in plain text; give it to the credential knob from Ansible "
                       "Vault instead (the URL is shown masked, http://USER:***@host/...)" % name)
    return out
