# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one version comparator of the collection, and the requirement checks built on it.

The install planner and the fleet audit both compare what a user wrote with what a node
reports, and the stack writes one version many ways: Huawei "25.3.RC1", "25.3.rc1" and
"8.3.RC1.B030", PyPI "2.7.1.post2" and "2.7.1+cpu", firmware "7.8.0.1.211", dates
"2026.01.21".  `key` orders all of them PEP 440 style and never raises on garbage, so a
version written in another case or style matches the node's, and a half-provisioned node
(None, "unknown") is reported, not crashed on.

Deviations from PEP 440, on purpose:
- every character but letters and digits is a separator, so "1.0-1" is 1.0.1, not an
  implicit post-release (the stack never writes those; Huawei builds do write "-");
- words PEP 440 does not know (other than a/alpha/b/beta/c/rc/pre/preview, post/rev/r,
  dev) are kept as segments that sort after numbers, as are the segments that follow a
  pre-, post- or dev-release number: "25.3.rc1.1" and "8.3.RC1.B030" are builds of
  25.3.rc1 / 8.3.RC1, after it and before rc2.

The requirement half reads PEP 508 lines as pip requirement files hold them and says which
ones the installed packages do not meet: it checks what is there (pre-releases count),
not what pip would choose, and passes only on evidence (an installed "unknown" meets no
specifier).  Beyond PEP 440, "==25.3.rc1.*" matches that pre-release and its builds.
Runs on the node's system Python (3.9+), standard library only.
"""

import re
from collections import namedtuple

_Parsed = namedtuple("_Parsed", "epoch release pre post dev local")
_LOWEST = (0,)          # None and "": below every real version
_TOKEN = re.compile(r"[0-9]+|[a-z]+")
# word -> (phase, rank); the rank orders the pre-release kinds
_PHASES = {"a": ("pre", 0), "alpha": ("pre", 0), "b": ("pre", 1), "beta": ("pre", 1),
           "c": ("pre", 2), "rc": ("pre", 2), "pre": ("pre", 2), "preview": ("pre", 2),
           "post": ("post", 0), "rev": ("post", 0), "r": ("post", 0), "dev": ("dev", 0)}
_ZERO = (0, 0)

_NAME = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_SPECIFIER = re.compile(r"^(===|~=|==|!=|<=|>=|<|>)\s*(\S+)$")
_SPEC_VERSION = re.compile(r"^v?([0-9]+!)?[0-9][A-Za-z0-9._+!-]*$")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_OPTION_TAIL = re.compile(r"\s--[A-Za-z].*$")     # per-requirement options: --hash=..., --config-settings ...

_MARKER_VARIABLES = ("python_version", "python_full_version", "platform_machine", "sys_platform", "platform_system",
                     "os_name", "implementation_name", "platform_python_implementation", "implementation_version",
                     "platform_release", "platform_version", "extra")
# as packaging: the kernel release ("6.1.0-27-amd64") orders as a version; platform_version ("#1 SMP ...") is a string
_VERSION_VARIABLES = ("python_version", "python_full_version", "implementation_version", "platform_release")
_MARKER_TOKEN = re.compile(r"""\s*(?:('[^']*'|"[^"]*")|(===|~=|==|!=|<=|>=|<|>)|([()])|([A-Za-z_][A-Za-z0-9_.]*))""")


# ---- versions -------------------------------------------------------------------------

def normalize_name(name):
    """PEP 503 normalised distribution name: lower case, runs of -_. become one -."""
    return re.sub(r"[-_.]+", "-", str(name)).lower()


def _segment(token):
    # numbers before words, so "1.0" < "1.0.foo" and int never meets str in a comparison
    return (0, int(token)) if token.isdigit() else (1, token)


def _trim(segments):
    segments = list(segments)
    while segments and segments[-1] == _ZERO:
        segments.pop()
    return tuple(segments)


def _parse(version):
    """_Parsed of any version string, None for None/blank; never raises."""
    text = "" if version is None else str(version).strip().lower()
    if not re.search(r"[0-9a-z]", text):
        return None
    public, dummy, local = text.partition("+")
    public = re.sub(r"^v(?=[0-9])", "", public)
    epoch = 0
    match = re.match(r"^([0-9]+)!", public)
    if match:
        epoch, public = int(match.group(1)), public[match.end():]
    release, phases, tail = [], {}, None
    tokens = _TOKEN.findall(public)
    i = 0
    while i < len(tokens):
        token, i = tokens[i], i + 1
        phase = _PHASES.get(token)
        if phase and phase[0] not in phases:
            number = 0
            if i < len(tokens) and tokens[i].isdigit():
                number, i = int(tokens[i]), i + 1
            tail = []
            phases[phase[0]] = (phase[1], number, tail)
        else:
            # a second "b" after "rc1" is a build tag ("8.3.RC1.B030"), not another pre-release
            (release if tail is None else tail).append(_segment(token))
    local = tuple((1, int(t)) if t.isdigit() else (0, t) for t in _TOKEN.findall(local))  # PEP 440: words first
    return _Parsed(epoch, release, phases.get("pre"), phases.get("post"), phases.get("dev"), local)


def _pre_key(parsed):
    # as PEP 440: 1.0.dev0 < 1.0a1 < 1.0a1.post1 < 1.0 < 1.0.post1.dev0 < 1.0.post1
    if parsed.pre:
        return parsed.pre[0], parsed.pre[1], _trim(parsed.pre[2])
    return (-1,) if parsed.dev and not parsed.post else (3,)


def _key(parsed, local=True):
    if parsed is None:
        return _LOWEST
    post, dev = parsed.post, parsed.dev
    post_key = (0, post[1], _trim(post[2])) if post else (-1,)
    dev_key = (0, dev[1], _trim(dev[2])) if dev else (1,)
    return (1, parsed.epoch, _trim(parsed.release), _pre_key(parsed), post_key, dev_key, parsed.local if local else ())


def key(version):
    """Sortable tuple for any version string; None/"" sort lowest, the local part sorts last."""
    return _key(_parse(version))


def compare(a, b):
    """-1, 0 or 1 as version a is older than, the same as, or newer than b."""
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)


def same(a, b):
    """True when a and b are the same version in any case or style; None equals only None."""
    if a is None or b is None:
        return a is None and b is None
    return key(a) == key(b)


# ---- specifiers -----------------------------------------------------------------------

def _is_pre(parsed):
    return bool(parsed.pre or parsed.dev)


def _base(parsed):
    return parsed.epoch, _trim(parsed.release)


def _phases(parsed):
    out = []
    for name in ("pre", "post", "dev"):
        phase = getattr(parsed, name)
        if phase:
            out.append((name, phase[0], phase[1]))
            out.extend(phase[2])
    return out


def _prefix_match(candidate, prefix):
    """PEP 440 `==prefix.*`: the candidate's release padded with zeros starts with the prefix."""
    if candidate is None or prefix is None or candidate.epoch != prefix.epoch:
        return False
    if not (prefix.pre or prefix.post or prefix.dev):
        size = len(prefix.release)
        return (candidate.release + [_ZERO] * size)[:size] == prefix.release
    # "==25.3.rc1.*": that pre-release and its builds, post- and dev-releases
    wanted = _phases(prefix)
    return _base(candidate) == _base(prefix) and _phases(candidate)[:len(wanted)] == wanted


def _matches(version, op, spec):
    """Does installed `version` satisfy the specifier `op spec` (PEP 440 semantics)?"""
    if op == "===":
        return str(version).strip().lower() == str(spec).strip().lower()
    if not re.search(r"[0-9]", "" if version is None else str(version)):
        return False        # "unknown" meets nothing, not even "!=1.0": a check passes only on evidence
    if spec.endswith(".*"):
        if op not in ("==", "!="):
            raise ValueError("%s%s: a wildcard needs == or !=" % (op, spec))
        hit = _prefix_match(_parse(version), _parse(spec[:-2]))
        return hit if op == "==" else not hit
    found, wanted = _parse(version), _parse(spec)
    if wanted is None:
        raise ValueError("%s: no version after the operator" % op)
    public, target = _key(found, local=False), _key(wanted, local=False)
    if op in ("==", "!="):
        # "==2.7.1" is met by 2.7.1+cpu; "==2.7.1+cpu" needs that local version
        equal = (_key(found) == _key(wanted)) if wanted.local else public == target
        return equal if op == "==" else not equal
    if op == "~=":
        if len(wanted.release) < 2:
            raise ValueError("~=%s: a compatible release needs at least two numbers" % spec)
        prefix = _Parsed(wanted.epoch, wanted.release[:-1], None, None, None, ())
        return public >= target and _prefix_match(found, prefix)
    if op == "<":
        # "<2.0" means "<2.0.dev0": it does not admit 2.0rc1 unless it names a pre-release itself
        return public < (target if _is_pre(wanted) else _key(wanted._replace(dev=(0, 0, [])), local=False))
    if op == ">":
        # ">2.7.1" does not admit 2.7.1.post2 (nor ">1.0a1" 1.0a1.post1) unless it names a post- or dev-release
        own_post = found.post and not (wanted.post or wanted.dev) and _base(found) == _base(wanted) and \
            _pre_key(found) == _pre_key(wanted)
        return public > target and not own_post
    if op == "<=":
        return public <= target
    if op == ">=":
        return public >= target
    raise ValueError("unknown version operator %r" % op)


# ---- requirements ---------------------------------------------------------------------

def _specifiers(text):
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if not text:
        return []
    out = []
    for item in text.split(","):
        match = _SPECIFIER.match(item.strip())
        if not match:
            raise ValueError("%r is not a version specifier" % item.strip())
        op, version = match.groups()
        if op != "===":
            wildcard = version.endswith(".*")
            bare = version[:-2] if wildcard else version
            if not _SPEC_VERSION.match(bare) or (wildcard and op not in ("==", "!=")):
                raise ValueError("%r is not a version specifier" % item.strip())
            if op == "~=" and (wildcard or len(_parse(bare).release) < 2):
                raise ValueError("%r: a compatible release needs at least two numbers" % item.strip())
        out.append((op, version))
    return out


def parse_requirement(text):
    """{name, extras, specifiers [(op, version)], marker, url} of one PEP 508 requirement line.

    ValueError for what is not a requirement: blank text, pip options ("-r x", "--index-url"),
    bare paths or URLs without a name, malformed specifiers or markers.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty requirement")
    text = text.strip()
    if text.startswith("-"):
        raise ValueError("%r is a pip option, not a requirement" % text)
    match = _NAME.match(text)
    if not match:
        raise ValueError("%r does not start with a distribution name" % text)
    rest = text[match.end():].lstrip()
    extras = []
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            raise ValueError("%r: unclosed extras" % text)
        for extra in (e.strip() for e in rest[1:close].split(",")):
            if extra and not _NAME.fullmatch(extra):
                raise ValueError("%r: bad extra %r" % (text, extra))
            if extra:
                extras.append(normalize_name(extra))
        rest = rest[close + 1:].lstrip()
    url, marker = None, None
    if rest.startswith("@"):
        # PEP 508: the URL ends at whitespace, since ";" may be part of it
        parts = rest[1:].strip().split(None, 1)
        if not parts:
            raise ValueError("%r: no URL after @" % text)
        url, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        if rest and not rest.startswith(";"):
            raise ValueError("%r: unexpected %r after the URL" % (text, rest))
        specifiers = []
    else:
        specifiers = _specifiers(rest.partition(";")[0])
    if ";" in rest:
        marker = rest.partition(";")[2].strip()
        if not marker:
            raise ValueError("%r: empty marker" % text)
        _parse_marker(marker)
    return {"name": normalize_name(match.group(1)), "extras": extras, "specifiers": specifiers,
            "marker": marker, "url": url}


def requirement_lines(text):
    """The requirement strings of a pip requirements file, in file order.

    As pip does: a trailing backslash joins the next line; a comment starts at a "#" at the
    start of a line or after whitespace (so "...whl#egg=x" keeps its fragment); option
    lines ("-r", "-c", "-e", "--index-url", ...) are skipped, and per-requirement options
    ("--hash=...") are cut off.  Environment variables are not expanded.
    """
    joined, pending = [], ""
    for line in (text or "").splitlines():
        if line.endswith("\\") and not _COMMENT.match(line):
            pending += line[:-1]
            continue
        joined.append(pending + line)
        pending = ""
    if pending:
        joined.append(pending)
    out = []
    for line in joined:
        line = _COMMENT.sub("", line).strip()
        if line and not line.startswith("-"):
            out.append(_OPTION_TAIL.sub("", line).strip())
    return out


# ---- markers --------------------------------------------------------------------------

def _marker_tokens(marker):
    tokens, pos, text = [], 0, marker.rstrip()
    while pos < len(text):
        match = _MARKER_TOKEN.match(text, pos)
        if not match:
            raise ValueError("marker %r: cannot read %r" % (marker, text[pos:]))
        pos = match.end()
        string, op, paren, word = match.groups()
        if string is not None:
            tokens.append(("str", string[1:-1]))
        elif op:
            tokens.append(("op", op))
        elif paren:
            tokens.append((paren, paren))
        elif word in ("and", "or", "not", "in"):
            tokens.append((word, word))
        elif word in _MARKER_VARIABLES:
            tokens.append(("var", word))
        else:
            raise ValueError("marker %r: unknown variable %r" % (marker, word))
    return tokens


def _kind(tokens, pos):
    return tokens[pos][0] if pos < len(tokens) else None


def _marker_group(tokens, pos, word, inner):
    """`inner (word inner)*` -> ((word, [nodes]), pos)."""
    nodes = []
    while True:
        node, pos = inner(tokens, pos)
        nodes.append(node)
        if _kind(tokens, pos) != word:
            return (word, nodes), pos
        pos += 1


def _marker_or(tokens, pos):
    return _marker_group(tokens, pos, "or", _marker_and)


def _marker_and(tokens, pos):
    return _marker_group(tokens, pos, "and", _marker_expr)


def _marker_expr(tokens, pos):
    if _kind(tokens, pos) == "(":
        node, pos = _marker_or(tokens, pos + 1)
        if _kind(tokens, pos) != ")":
            raise ValueError("marker: unbalanced parentheses")
        return node, pos + 1
    lhs, kind = pos, _kind(tokens, pos + 1)
    if kind == "not" and _kind(tokens, pos + 2) == "in":
        op, rhs = "not in", pos + 3
    elif kind in ("op", "in"):
        op, rhs = tokens[pos + 1][1], pos + 2
    else:
        raise ValueError("marker: expected `value operator value`")
    if _kind(tokens, lhs) not in ("var", "str") or _kind(tokens, rhs) not in ("var", "str"):
        raise ValueError("marker: expected `value operator value`")
    return ("cmp", tokens[lhs], op, tokens[rhs]), rhs + 1


def _parse_marker(marker):
    tokens = _marker_tokens(marker)
    tree, pos = _marker_or(tokens, 0)
    if pos != len(tokens):
        raise ValueError("marker %r: unexpected %r" % (marker, tokens[pos][1]))
    return tree


def _marker_value(token, env):
    kind, value = token
    if kind == "str":
        return value
    if value not in env or env[value] is None:
        if value == "extra":        # a requirements file installs no extra
            return ""
        raise ValueError("marker variable %r is not in the environment" % value)
    return str(env[value])


def _evaluate(node, env):
    if node[0] in ("or", "and"):
        # evaluate every term, so a variable missing from env fails on every platform alike
        results = [_evaluate(child, env) for child in node[1]]
        return any(results) if node[0] == "or" else all(results)
    dummy, lhs, op, rhs = node
    left, right = _marker_value(lhs, env), _marker_value(rhs, env)
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    if any(side[0] == "var" and side[1] in _VERSION_VARIABLES for side in (lhs, rhs)):
        return _matches(left, op, right)
    if op in ("==", "==="):
        return left == right
    if op == "!=":
        return left != right
    if op == "~=":
        raise ValueError("~= needs versions, %r and %r are strings" % (left, right))
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def evaluate_marker(marker, env):
    """Truth of a PEP 508 environment marker in env ({variable: value}); no marker is True.

    Version variables compare with `key` ("3.11" > "3.9"), the others as Python strings
    (as PEP 508 says; recent `packaging` makes "<" on strings always false).  env is
    explicit: the Python running this module (the node's system Python) is not the one the
    requirements are installed into.  ValueError on syntax, an unknown variable, or one env
    lacks (`extra` defaults to "").
    """
    if marker is None or not str(marker).strip():
        return True
    return _evaluate(_parse_marker(str(marker)), env or {})


def unmet(requirements, installed, env=None):
    """One "<requirement> (why)" string per requirement the installed packages do not meet.

    requirements: requirement strings (or a requirements file's text); installed:
    {distribution name: version or None (absent)}; env: the marker environment.  A false
    marker is met; extras are not checked; a URL requirement is never known to be met.
    """
    if isinstance(requirements, str):
        requirements = requirement_lines(requirements)
    found_by_name = dict((normalize_name(name), version) for name, version in (installed or {}).items())
    out = []
    for line in requirements:
        line = line.strip()
        req = parse_requirement(line)
        if not evaluate_marker(req["marker"], env):
            continue
        found = found_by_name.get(req["name"])
        if req["url"]:
            out.append("%s (a URL requirement)" % line)
        elif found is None:
            out.append("%s (not installed)" % line)
        elif not all(_matches(found, op, version) for op, version in req["specifiers"]):
            out.append("%s (found %s)" % (line, found))
    return out
