"""Every default of the collection is written once: in roles/<role>/meta/argument_specs.yml.

The ``options`` of each role's ``main`` entry point are the single source.  This tool generates
from them:

  roles/<role>/defaults/main.yml   the role's defaults, each with its description as comments
  inventories/shared/knobs.yml     every knob of every role, COMMENTED OUT (a reference that the
                                   example inventories link into group_vars/all/)
  README.md                        the knob table between <!-- knobs:begin --> and <!-- knobs:end -->

Usage, from the repository root:

  .venv/bin/python tools/knobs.py            write every generated file that differs, print which
  .venv/bin/python tools/knobs.py --check    write nothing; print each drifting file, exit 1
  .venv/bin/python tools/knobs.py --check --diff   the same, with a unified diff of each

Exit status: 0 all generated files match, 1 drift (or README.md lacks its markers), 2 a spec
cannot be turned into defaults (unreadable YAML, bad structure, a default that does not
survive a YAML round trip).

Importable: ``expected_files(root)`` returns {relative path: expected text};
``marker_problem(root)`` says what is wrong with README.md's markers (None if nothing).
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import math
import os
import re
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.emitter import Emitter
from yaml.resolver import Resolver

ROLE_ORDER = ("ascend", "stack", "artifact", "preflight", "hdk", "cann", "npu_env", "conda", "sglang_npu",
              "verl", "ray", "verify", "audit", "train")
WIDTH = 100          # comments wrap here; collections go block style when their flow form is wider
MAX_LINE = 160       # yamllint's line-length as ansible-lint configures it
KNOBS_PATH = "inventories/shared/knobs.yml"
README_PATH = "README.md"
BEGIN_MARKER = "<!-- knobs:begin -->"
END_MARKER = "<!-- knobs:end -->"
HINT = "run make knobs"
NO_DEFAULT = "(no default: set it in the inventory)"
README_DEFAULT_MAX = 60  # longer defaults are linked to the defaults file instead of inlined

DEFAULTS_HEADER = (
    "# Generated from meta/argument_specs.yml (entry point main) by tools/knobs.py: do not edit here.",
    "# Edit the spec, then run `make knobs`.",
)
KNOBS_HEADER = (
    "# Every knob of every role of the ascend_verl.cluster collection, with its default.",
    "#",
    "# Every knob here is COMMENTED OUT, so each role's defaults/main.yml stays the one effective",
    "# value. Copy this file into your inventory's group_vars/all/, then uncomment and edit what you",
    "# change; host_vars and the group_vars of narrower groups win over group_vars/all.",
    "# Knobs marked \"" + NO_DEFAULT + "\" are inputs the roles need.",
    "#",
    "# Generated from roles/*/meta/argument_specs.yml by tools/knobs.py: do not edit here; edit the",
    "# spec, then run `make knobs`. The full descriptions are in roles/<role>/defaults/main.yml.",
)


class KnobsError(Exception):
    """A spec that cannot be turned into generated files; the message names the file."""


# --------------------------------------------------------------------------------------------
# Specs


@dataclass(frozen=True)
class Option:
    name: str
    role: str
    paragraphs: tuple[str, ...]      # description, raw Ansible markup, one string per paragraph
    has_default: bool
    default: Any = None


@dataclass
class Role:
    name: str
    short_description: str
    spec_path: str                   # relative to the repository root
    options: list[Option] = field(default_factory=list)

    @property
    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options if o.has_default}


def role_sort_key(name: str) -> tuple[int, str]:
    return (ROLE_ORDER.index(name), "") if name in ROLE_ORDER else (len(ROLE_ORDER), name)


def _paragraphs(description: Any, where: str) -> tuple[str, ...]:
    if description is None:
        return ()
    if isinstance(description, str):
        items = [description]
    elif isinstance(description, list):
        items = description
    else:
        raise KnobsError(f"{where}: description must be a string or a list of strings, not {type(description).__name__}")
    return tuple(" ".join(str(item).split()) for item in items if item is not None and str(item).strip())


def _spec_file(role_dir: Path) -> Path | None:
    for name in ("argument_specs.yml", "argument_specs.yaml"):
        if (role_dir / "meta" / name).is_file():
            return role_dir / "meta" / name
    return None


def load_roles(root: Path | str) -> list[Role]:
    """The roles whose main entry point has options, in ROLE_ORDER (others alphabetically after)."""
    root = Path(root)
    roles = []
    for role_dir in sorted((root / "roles").iterdir()) if (root / "roles").is_dir() else ():
        spec_path = _spec_file(role_dir)
        if spec_path is None:
            continue
        rel = spec_path.relative_to(root).as_posix()
        try:
            doc = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise KnobsError(f"{rel}: not valid YAML: {exc}") from exc
        specs = doc.get("argument_specs") if isinstance(doc, dict) else None
        if not isinstance(specs, dict):
            raise KnobsError(f"{rel}: no argument_specs mapping at the top")
        main = specs.get("main")
        if main is None:
            continue
        if not isinstance(main, dict):
            raise KnobsError(f"{rel}: argument_specs.main must be a mapping")
        options = main.get("options") or {}
        if not isinstance(options, dict):
            raise KnobsError(f"{rel}: argument_specs.main.options must be a mapping")
        if not options:
            continue
        role = Role(role_dir.name, " ".join(str(main.get("short_description") or "").split()), rel)
        for name, spec in options.items():
            where = f"{rel}: option {name}"
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise KnobsError(f"{where}: not a valid variable name")
            if spec is None:
                spec = {}
            if not isinstance(spec, dict):
                raise KnobsError(f"{where}: its spec must be a mapping")
            role.options.append(Option(name, role.name, _paragraphs(spec.get("description"), where),
                                       "default" in spec, spec.get("default")))
        roles.append(role)
    roles.sort(key=lambda r: role_sort_key(r.name))
    return roles


# --------------------------------------------------------------------------------------------
# Text: Ansible doc markup, wrapping, first sentences

_SEM_ARG = r"\(((?:[^\\)]+|\\.)+)\)"       # semantic markup: \) and \\ are escapes


def _semantic(match: re.Match) -> str:
    text = re.sub(r"\\(.)", r"\1", match.group(1))
    # O(ns.coll.plugin#type:option) names another plugin's option: keep the option
    return re.sub(r"^[\w.]+#\w+:", "", text)


_MARKUP = (
    (re.compile(r"\bL\(([^)]+?), *([^)]+)\)"), r"\1 (\2)"),
    (re.compile(r"\bR\(([^)]+?), *([^)]+)\)"), r"\1"),
    (re.compile(r"\bP\(([^#)]+)#[\w]+\)"), r"\1"),
    (re.compile(r"\b(?:RV|O|V|E)" + _SEM_ARG), _semantic),
    (re.compile(r"\b[CIMBU]\(([^)]+)\)"), r"\1"),
    (re.compile(r"\bHORIZONTALLINE\b"), ""),
)


def plain_text(text: str) -> str:
    """Ansible doc markup made plain, whitespace collapsed: C(x) -> x, L(t,u) -> t (u), ..."""
    for dummy in range(5):  # nested markup, e.g. B(C(x))
        before = text
        for pattern, repl in _MARKUP:
            text = pattern.sub(repl, text)
        if text == before:
            break
    return " ".join(text.split())


def wrap_comment(text: str, width: int = WIDTH, prefix: str = "# ") -> list[str]:
    """One paragraph as comment lines of at most `width` columns (a longer word stays whole)."""
    if not text.strip():
        return [prefix.rstrip()]
    return textwrap.wrap(text, width=width, initial_indent=prefix, subsequent_indent=prefix,
                         break_long_words=False, break_on_hyphens=False)


def description_comment(paragraphs: tuple[str, ...] | list[str], width: int = WIDTH) -> list[str]:
    """The whole description as comment lines, paragraphs separated by a bare `#` line."""
    lines: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if i:
            lines.append("#")
        lines.extend(wrap_comment(plain_text(paragraph), width))
    return lines


_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bcf)[.!?](?=\s|$)")


def first_sentence(paragraphs: tuple[str, ...] | list[str] | str) -> str:
    """The first sentence of the description, markup made plain."""
    if isinstance(paragraphs, str):
        paragraphs = [paragraphs]
    for paragraph in paragraphs:
        text = plain_text(paragraph)
        if text:
            match = _SENTENCE_END.search(text)
            return text[:match.end()] if match else text
    return ""


# --------------------------------------------------------------------------------------------
# YAML rendering: like a human writes it, checked by loading it back

class _Unrenderable(Exception):
    """A value the hand renderer does not do (dates, binary, ...): PyYAML's dumper does it."""


_RESOLVER = Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
# Readers (YAML 1.1 vs 1.2, humans) disagree on what these are: always quote them.
_NUMBER_LIKE = re.compile(r"[-+.]?[0-9]")
_AMBIGUOUS_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", ".nan", "inf", ".inf"}


def _loads_back(text: str, expected: Any) -> bool:
    try:
        return same(yaml.safe_load(text), expected)
    except yaml.YAMLError:
        return False


def plain_allowed(text: str, flow: bool = False) -> bool:
    """Whether a string can be written without quotes (in a flow collection when `flow`)."""
    if not text or text != text.strip() or "\n" in text or "\t" in text:
        return False
    if _NUMBER_LIKE.match(text) or text.lower() in _AMBIGUOUS_WORDS:
        return False
    if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != _STR_TAG:
        return False
    analysis = Emitter(io.StringIO()).analyze_scalar(text)
    if not flow:
        return analysis.allow_block_plain
    if analysis.allow_flow_plain:
        return True
    # PyYAML's emitter refuses ':' inside flow plain scalars (URLs); YAML allows it unless
    # a flow indicator or a space follows: accept it when both contexts load it back.
    if not analysis.allow_block_plain or any(c in text for c in ",[]{}"):
        return False
    return _loads_back(f"[{text}]", [text]) and _loads_back(f"{{{text}: {text}}}", {text: text})


def _double_quoted(text: str) -> str:
    printable = all(c.isprintable() or c in "\n\t" for c in text)
    return json.dumps(text, ensure_ascii=not printable)


def render_scalar(value: Any, flow: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return yaml.safe_dump(value).splitlines()[0]
    if isinstance(value, str):
        return value if plain_allowed(value, flow) else _double_quoted(value)
    raise _Unrenderable(type(value).__name__)


def render_key(key: Any, flow: bool = False) -> str:
    if isinstance(key, (dict, list)):
        raise _Unrenderable("collection as a mapping key")
    return render_scalar(key, flow)


def render_flow(value: Any) -> str:
    """The value on one line: [a, b], {a: 1}, scalars as render_scalar."""
    if isinstance(value, list):
        return "[" + ", ".join(render_flow(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{render_key(k, True)}: {render_flow(v)}" for k, v in value.items()) + "}"
    return render_scalar(value, flow=True)


def _leaf(value: Any) -> str | None:
    """A scalar or an empty collection, as it follows `key: ` or `- ` in block style; else None."""
    if isinstance(value, (dict, list)):
        return render_flow(value) if not value else None
    return render_scalar(value)


def _entry(key_text: str, value: Any, indent: int, width: int) -> list[str]:
    head = " " * indent + key_text + ":"
    leaf = _leaf(value)
    if leaf is not None:
        return [f"{head} {leaf}"]
    inline = render_flow(value)
    if len(head) + 1 + len(inline) <= width:
        return [f"{head} {inline}"]
    return [head] + _body(value, indent + 2, width)


def _body(value: Any, indent: int, width: int) -> list[str]:
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            lines += _entry(render_key(key), item, indent, width)
        return lines
    pad = " " * indent
    for item in value:
        leaf = _leaf(item)
        if leaf is not None:
            lines.append(f"{pad}- {leaf}")
            continue
        inline = render_flow(item)
        if indent + 2 + len(inline) <= width:
            lines.append(f"{pad}- {inline}")
            continue
        nested = _body(item, indent + 2, width)          # compact form: "- key: v" / "- - a"
        nested[0] = f"{pad}- {nested[0][indent + 2:]}"
        lines += nested
    return lines


class _BlockDumper(yaml.SafeDumper):
    """PyYAML's dumper with sequences indented under their key (yamllint's indent-sequences)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar(_STR_TAG, data, style=style)


_BlockDumper.add_representer(str, _represent_str)


def render_option(name: str, value: Any, width: int = WIDTH, max_line: int = MAX_LINE) -> list[str]:
    """`name: value` as YAML lines: flow style when it fits in `width` columns, else block style.

    Values the hand renderer cannot write within `max_line` columns (or at all) go through
    PyYAML's dumper; callers check the result by loading it back.
    """
    try:
        lines = _entry(render_key(name), value, 0, width)
    except _Unrenderable:
        lines = None
    if lines is None or any(len(line) > max_line for line in lines):
        dumped = yaml.dump({name: value}, Dumper=_BlockDumper, default_flow_style=False, sort_keys=False,
                           allow_unicode=True, width=width, explicit_end=False)
        lines = dumped.rstrip("\n").splitlines()
    return lines


def same(a: Any, b: Any) -> bool:
    """Equality that also tells true from 1 and 1 from 1.0 (a YAML round trip must keep types)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


# --------------------------------------------------------------------------------------------
# Generated files

def _check_loads_back(text: str, expected: dict[str, Any] | None, path: str) -> None:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KnobsError(f"{path}: the generated YAML does not load: {exc}") from exc
    if expected is None:
        if loaded is not None:
            raise KnobsError(f"{path}: generated to be all comments, but it loads as {loaded!r}")
        return
    if not isinstance(loaded, dict):
        raise KnobsError(f"{path}: the generated YAML loads as {type(loaded).__name__}, not a mapping")
    wrong = [k for k in expected if k not in loaded or not same(loaded[k], expected[k])]
    extra = [k for k in loaded if k not in expected]
    if wrong or extra:
        details = "; ".join([f"{k}: spec {expected[k]!r}, generated {loaded.get(k)!r}" for k in wrong]
                            + [f"{k}: not in the spec" for k in extra])
        raise KnobsError(f"{path}: the generated YAML does not load back to the spec's defaults: {details}")


def _check_lint(text: str, path: str) -> None:
    """What yamllint (as ansible-lint runs it) would refuse and the renderer could produce."""
    problems = []
    if not text.startswith("---\n"):
        problems.append("no document start")
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append("must end with exactly one newline")
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE:
            problems.append(f"line {number} is {len(line)} > {MAX_LINE} characters")
        if line != line.rstrip():
            problems.append(f"line {number} has trailing spaces")
        if "\t" in line:
            problems.append(f"line {number} has a tab")
        stripped = line.lstrip()
        if stripped.startswith("#") and stripped not in ("#",) and not stripped.startswith("# "):
            problems.append(f"line {number}: no space after #")
    if problems:
        raise KnobsError(f"{path}: generated text would fail yamllint: " + "; ".join(problems))


def defaults_path(role: Role) -> str:
    return f"roles/{role.name}/defaults/main.yml"


def defaults_text(role: Role) -> str:
    path = defaults_path(role)
    lines = ["---", *DEFAULTS_HEADER]
    inputs = [o.name for o in role.options if not o.has_default]
    if inputs:
        lines += wrap_comment("Inputs without a default (the inventory sets them): " + ", ".join(inputs) + ".")
    for option in role.options:
        if option.has_default:
            lines.append("")
            lines += description_comment(option.paragraphs)
            lines += render_option(option.name, option.default)
    text = "\n".join(lines) + "\n"
    _check_lint(text, path)
    _check_loads_back(text, role.defaults, path)
    return text


def knobs_text(roles: list[Role]) -> str:
    lines = ["---", *KNOBS_HEADER]
    for role in roles:
        title = plain_text(role.short_description)
        lines += ["", f"# --- {role.name}: {title} ---" if title else f"# --- {role.name} ---"]
        for option in role.options:
            lines.append("")
            sentence = first_sentence(option.paragraphs)
            if sentence:
                lines += wrap_comment(sentence)
            if option.has_default:
                block = render_option(option.name, option.default, WIDTH - 2, MAX_LINE - 2)
                # the same block, uncommented, must give the default
                _check_loads_back("\n".join(block) + "\n", {option.name: option.default},
                                  f"{KNOBS_PATH} ({option.name})")
                lines += [f"# {line}" for line in block]
            else:
                lines.append(f"# {option.name}: {NO_DEFAULT}")
    text = "\n".join(lines) + "\n"
    _check_lint(text, KNOBS_PATH)
    _check_loads_back(text, None, KNOBS_PATH)
    return text


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" or text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{_md_cell(text)}{pad}{fence}"


def _md_default(option: Option) -> str:
    if not option.has_default:
        return "*none: set it in the inventory*"
    try:
        text = render_flow(option.default)
    except _Unrenderable:
        text = json.dumps(option.default, default=str)
    if len(text) > README_DEFAULT_MAX:
        path = f"roles/{option.role}/defaults/main.yml"
        count = len(option.default) if isinstance(option.default, (dict, list)) else None
        what = f"{count} {'entries' if isinstance(option.default, dict) else 'items'}" if count else "long"
        return f"{what}, see [{path}]({path})"
    return _md_code(text)


def knob_table(roles: list[Role]) -> str:
    rows = ["| knob | role | default | what it does |", "|---|---|---|---|"]
    for role in roles:
        for option in role.options:
            rows.append(f"| {_md_code(option.name)} | {role.name} | {_md_default(option)} "
                        f"| {_md_cell(first_sentence(option.paragraphs))} |")
    return "\n".join(rows) + "\n"


def _marker_lines(readme: str) -> tuple[list[int], list[int]]:
    lines = readme.splitlines()
    return ([i for i, line in enumerate(lines) if line.strip() == BEGIN_MARKER],
            [i for i, line in enumerate(lines) if line.strip() == END_MARKER])


_MARKER_HOWTO = (f"put the two lines {BEGIN_MARKER} and {END_MARKER}, each on a line of its own, where "
                 f"the knob table belongs (e.g. after the paragraph that names {KNOBS_PATH}), then "
                 f"{HINT}")


def marker_problem(root: Path | str) -> str | None:
    """What keeps the knob table out of README.md, or None."""
    path = Path(root) / README_PATH
    if not path.is_file():
        return "missing"
    begins, ends = _marker_lines(path.read_text(encoding="utf-8"))
    if not begins and not ends:
        return f"no knob table markers: {_MARKER_HOWTO}"
    if len(begins) != 1 or len(ends) != 1 or begins[0] > ends[0]:
        return (f"needs exactly one {BEGIN_MARKER} line followed by exactly one {END_MARKER} "
                f"line (found {len(begins)} and {len(ends)}{', in the wrong order' if begins and ends and begins[0] > ends[0] else ''})")
    return None


def readme_text(readme: str, table: str) -> str:
    """README.md with the lines between its markers replaced by the table."""
    (begin,), (end,) = _marker_lines(readme)
    lines = readme.splitlines(keepends=True)
    return "".join(lines[:begin + 1]) + "\n" + table + "\n" + "".join(lines[end:])


def expected_files(root: Path | str) -> dict[str, str]:
    """{path relative to root: the text the file must have}.  README.md only if it has its markers."""
    root = Path(root)
    roles = load_roles(root)
    files = {defaults_path(role): defaults_text(role) for role in roles if role.defaults}
    if roles:
        files[KNOBS_PATH] = knobs_text(roles)
        if marker_problem(root) is None:
            files[README_PATH] = readme_text((root / README_PATH).read_text(encoding="utf-8"), knob_table(roles))
    return files


def ungenerated_defaults(root: Path | str) -> list[str]:
    """defaults/main.yml files of roles whose spec declares no defaults: nothing keeps them in step."""
    root = Path(root)
    generated = {defaults_path(role) for role in load_roles(root) if role.defaults}
    found = sorted(p.relative_to(root).as_posix() for p in root.glob("roles/*/defaults/main.y*ml"))
    return [p for p in found if p not in generated]


def _current(root: Path, rel: str) -> str | None:
    path = root / rel
    return path.read_text(encoding="utf-8") if path.is_file() else None


def drifting(root: Path | str, files: dict[str, str] | None = None) -> list[str]:
    """Paths whose text on disk is not the generated text."""
    root = Path(root)
    files = expected_files(root) if files is None else files
    return [rel for rel, text in files.items() if _current(root, rel) != text]


def _write(path: Path, text: str) -> None:
    """Replace the file in one step, keeping its mode (symlinks pointing at it keep working)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file drifted")
    parser.add_argument("--diff", action="store_true", help="with --check: show what would change")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent),
                        help="repository root (default: the one this tool lives in)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    try:
        files = expected_files(root)
    except KnobsError as exc:
        print(f"knobs: error: {exc}", file=sys.stderr)
        return 2
    stale = drifting(root, files)
    problem = marker_problem(root)
    for rel in ungenerated_defaults(root):
        print(f"knobs: warning: {rel} is not generated (its role's spec declares no defaults): "
              "move its defaults into meta/argument_specs.yml", file=sys.stderr)

    if args.check:
        for rel in stale:
            print(f"{rel}: differs from what roles/*/meta/argument_specs.yml generate ({HINT})")
            if args.diff:
                sys.stdout.writelines(difflib.unified_diff(
                    (_current(root, rel) or "").splitlines(keepends=True), files[rel].splitlines(keepends=True),
                    f"a/{rel}", f"b/{rel}"))
        if problem:
            print(f"{README_PATH}: {problem}")
        return 1 if stale or problem else 0

    for rel in stale:
        _write(root / rel, files[rel])
        print(f"wrote {rel}")
    if problem:
        print(f"knobs: {README_PATH}: {problem}", file=sys.stderr)
        return 1
    if not stale:
        print("knobs: every generated file is up to date")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:          # `--check --diff | head`
        sys.stderr.close()
        sys.exit(1)
