"""tools/knobs.py: the files generated from roles/*/meta/argument_specs.yml are what is on disk,
and its helpers (markup, wrapping, YAML rendering) do what the generated files rely on."""

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _load_tool():
    spec = importlib.util.spec_from_file_location("ascend_verl_tools_knobs", ROOT / "tools" / "knobs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


knobs = _load_tool()

# yamllint as ansible-lint runs it (ansiblelint/data/.yamllint), with the document start required.
YAMLLINT_CONFIG = """
extends: default
rules:
  comments:
    min-spaces-from-content: 1
  comments-indentation: false
  document-start: enable
  line-length:
    max: 160
  braces:
    min-spaces-inside: 0
    max-spaces-inside: 1
  octal-values:
    forbid-implicit-octal: true
    forbid-explicit-octal: true
"""


# --- the repository ---------------------------------------------------------------------------

def test_generated_files_match_the_specs():
    files = knobs.expected_files(ROOT)
    stale = knobs.drifting(ROOT, files)
    problem = knobs.marker_problem(ROOT)
    messages = [f"{path}: differs from what roles/*/meta/argument_specs.yml generate" for path in stale]
    if problem:
        messages.append(f"{knobs.README_PATH}: {problem}")
    if messages:
        pytest.fail("generated files drifted from roles/*/meta/argument_specs.yml (run make knobs, i.e. "
                    ".venv/bin/python tools/knobs.py):\n  " + "\n  ".join(messages), pytrace=False)


def test_generated_yaml_passes_yamllint():
    yamllint_config = pytest.importorskip("yamllint.config")
    linter = pytest.importorskip("yamllint.linter")
    conf = yamllint_config.YamlLintConfig(YAMLLINT_CONFIG)
    problems = []
    for path, text in knobs.expected_files(ROOT).items():
        if path.endswith(".yml"):
            problems += [f"{path}:{p.line}:{p.column} {p.message}" for p in linter.run(text, conf)]
    assert not problems, "\n".join(problems)


def test_defaults_load_back_to_the_spec_defaults():
    files = knobs.expected_files(ROOT)
    for role in knobs.load_roles(ROOT):
        if role.defaults:
            loaded = yaml.safe_load(files[knobs.defaults_path(role)])
            assert knobs.same(loaded, role.defaults), role.name


def test_knobs_reference_is_all_comments_and_names_every_option():
    text = knobs.expected_files(ROOT)[knobs.KNOBS_PATH]
    assert yaml.safe_load(text) is None             # loaded as group_vars: sets nothing
    for role in knobs.load_roles(ROOT):
        assert f"\n# --- {role.name}: " in text
        for option in role.options:
            assert f"\n# {option.name}:" in text, option.name


def test_role_order():
    names = ["zeta", "audit", "ascend", "alpha", "verl", "stack"]
    assert sorted(names, key=knobs.role_sort_key) == ["ascend", "stack", "verl", "audit", "alpha", "zeta"]


# --- markup, wrapping, sentences --------------------------------------------------------------

@pytest.mark.parametrize("raw, plain", [
    ("C(set_env.sh) and V(true) and I(x) and M(ns.coll.mod) and B(bold) and U(https://x.y/)",
     "set_env.sh and true and x and ns.coll.mod and bold and https://x.y/"),
    ("role P(ascend_verl.cluster.stack#role).", "role ascend_verl.cluster.stack."),
    ("see L(the docs,https://example.org/a) now", "see the docs (https://example.org/a) now"),
    ("with O(sglang_npu_method=upstream_script), then", "with sglang_npu_method=upstream_script, then"),
    ("O(conda_prefix) and E(PATH) and RV(result)", "conda_prefix and PATH and result"),
    ("C(bash <cache>/<file> <flags>)", "bash <cache>/<file> <flags>"),
    ("V(a\\)b)", "a)b"),
    ("B(C(x))", "x"),
    ("ABC(x) stays", "ABC(x) stays"),
    ("  spaces\n  collapse  ", "spaces collapse"),
])
def test_plain_text(raw, plain):
    assert knobs.plain_text(raw) == plain


def test_wrap_comment():
    text = "word " * 60 + "60000-60050 https://example.org/" + "x" * 120
    lines = knobs.wrap_comment(text)
    assert all(line.startswith("# ") for line in lines)
    assert all(len(line) <= 100 for line in lines[:-1])
    assert "# " + "https://example.org/" + "x" * 120 in lines       # a long word is not broken
    assert any("60000-60050" in line for line in lines)              # nor at a hyphen
    assert " ".join(line[2:] for line in lines) == " ".join(text.split())
    assert knobs.wrap_comment("") == ["#"]


def test_description_comment_paragraphs():
    lines = knobs.description_comment(["First C(one).", "Second."])
    assert lines == ["# First one.", "#", "# Second."]


@pytest.mark.parametrize("description, sentence", [
    ("Root of the install. The driver is read under it.", "Root of the install."),
    (["Install it, e.g. with pip. Then more.", "Second paragraph."], "Install it, e.g. with pip."),
    ("Reads C(vars/stacks/<name>.yml) first. More.", "Reads vars/stacks/<name>.yml first."),
    ("0..N-1 from the devices", "0..N-1 from the devices"),
    ("Ends with a question? Then not.", "Ends with a question?"),
    ([], ""),
])
def test_first_sentence(description, sentence):
    assert knobs.first_sentence(description) == sentence


# --- YAML rendering ---------------------------------------------------------------------------

TRICKY = [
    ("", 'k: ""'),
    ("60000-60050", 'k: "60000-60050"'),
    ("3.9", 'k: "3.9"'),
    ("12", 'k: "12"'),
    ("yes", 'k: "yes"'),
    ("null", 'k: "null"'),
    ("{{ ascend_root }}/x", 'k: "{{ ascend_root }}/x"'),
    ("a: b", 'k: "a: b"'),
    ("say # not a comment", 'k: "say # not a comment"'),
    (" padded", 'k: " padded"'),
    ("plain/path-1.2", "k: plain/path-1.2"),
    ("numpy<2.0.0", "k: numpy<2.0.0"),
    ("https://example.org/simple/", "k: https://example.org/simple/"),
    ({"/usr/local": 8192}, "k: {/usr/local: 8192}"),
    (["a", "b"], "k: [a, b]"),
    (["--nox11", "--full"], "k: [--nox11, --full]"),
    (["https://example.org/simple/"], "k: [https://example.org/simple/]"),
    (["a,b", "[c]"], 'k: ["a,b", "[c]"]'),
    ({"https://github.com/": "https://git.example/github/"}, "k: {https://github.com/: https://git.example/github/}"),
    ([{"distribution": "Debian", "versions": ["12"]}], 'k: [{distribution: Debian, versions: ["12"]}]'),
    (True, "k: true"),
    (False, "k: false"),
    (0, "k: 0"),
    (1800, "k: 1800"),
    (2.5, "k: 2.5"),
    (None, "k: null"),
    ([], "k: []"),
    ({}, "k: {}"),
    ("multi\nline", 'k: "multi\\nline"'),
]


@pytest.mark.parametrize("value, rendered", TRICKY)
def test_render_option_tricky_defaults(value, rendered):
    lines = knobs.render_option("k", value)
    assert "\n".join(lines) == rendered
    assert knobs.same(yaml.safe_load("\n".join(lines)), {"k": value})


def test_long_collections_go_block_style_and_load_back():
    value = [{"distribution": name, "versions": ["22.03", "24.03"], "note": "x" * 20} for name in
             ("openEuler", "Ubuntu", "Kylin Linux Advanced Server")]
    value.append({"nested": {"deeper": [{"a": i, "text": "y" * 30} for i in range(4)]}, "other": [True, None]})
    nested_lists = [["a" * 40, "b" * 40], ["c" * 40, "d" * 40]]
    for v in (value, nested_lists, {"k" * 10: value}, ["word%d" % i for i in range(40)]):
        lines = knobs.render_option("knob", v)
        text = "\n".join(lines) + "\n"
        assert lines[0] == "knob:"
        assert all(len(line) <= 100 for line in lines), text
        assert knobs.same(yaml.safe_load(text), {"knob": v}), text
    lines = knobs.render_option("knob", value)
    assert lines[1] == '  - {distribution: openEuler, versions: ["22.03", "24.03"], note: xxxxxxxxxxxxxxxxxxxx}'


def test_values_the_hand_renderer_does_not_do_still_load_back():
    import datetime
    for value in ("many words " * 30, "long line\n" * 30, datetime.date(2024, 1, 2), {"when": datetime.date(2024, 1, 2)}):
        lines = knobs.render_option("k", value)
        assert all(len(line) <= 160 for line in lines)
        assert knobs.same(yaml.safe_load("\n".join(lines) + "\n"), {"k": value})


def test_a_default_yamllint_would_refuse_fails_loudly():
    role = knobs.Role("demo", "", "roles/demo/meta/argument_specs.yml",
                      [knobs.Option("demo_token", "demo", (), True, "x" * 300)])   # no space to fold at
    with pytest.raises(knobs.KnobsError, match="roles/demo/defaults/main.yml: .* > 160 characters"):
        knobs.defaults_text(role)


def test_same_tells_types_apart():
    assert knobs.same({"a": [1, "x"]}, {"a": [1, "x"]})
    assert not knobs.same(True, 1)
    assert not knobs.same(1, 1.0)
    assert not knobs.same("1", 1)
    assert not knobs.same([1], [1, 2])


# --- the tool on a small repository -----------------------------------------------------------

SPEC = """\
---
argument_specs:
  main:
    short_description: A role with C(tricky) defaults
    options:
      demo_required:
        type: str
        description: Set it in the inventory. Nothing else.
      demo_range: &range
        type: str
        default: "60000-60050"
        description:
          - The C(HCCL) range (V(START-END)) | piped.
          - A second paragraph.
      demo_free_mb:
        type: dict
        default: {/usr/local: 8192}
        description: Free space per path.
      demo_paths:
        type: list
        default: ["{{ ascend_root }}/a", "{{ ascend_root }}/b"]
      demo_flag:
        type: bool
        default: false
        description: See L(docs,https://example.org).
  other:
    options:
      demo_other: *range
"""


def _repo(tmp_path, readme="# demo\n"):
    (tmp_path / "roles" / "demo" / "meta").mkdir(parents=True)
    (tmp_path / "roles" / "demo" / "meta" / "argument_specs.yml").write_text(SPEC)
    (tmp_path / "roles" / "empty" / "meta").mkdir(parents=True)
    (tmp_path / "roles" / "empty" / "meta" / "argument_specs.yml").write_text("---\nargument_specs:\n  main: {}\n")
    (tmp_path / "README.md").write_text(readme)
    return tmp_path


def test_cli_on_a_small_repository(tmp_path, capsys):
    root = _repo(tmp_path)
    assert knobs.main(["--check", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "roles/demo/defaults/main.yml: " in out and "run make knobs" in out
    assert "README.md: no knob table markers" in out and knobs.BEGIN_MARKER in out
    assert not (root / "roles" / "demo" / "defaults").exists()        # --check writes nothing

    assert knobs.main(["--root", str(root)]) == 1                     # writes, but README has no markers
    assert sorted(knobs.expected_files(root)) == ["inventories/shared/knobs.yml", "roles/demo/defaults/main.yml"]
    assert not (root / "roles" / "empty" / "defaults").exists()
    defaults = (root / "roles" / "demo" / "defaults" / "main.yml").read_text()
    assert defaults == textwrap.dedent("""\
        ---
        # Generated from meta/argument_specs.yml (entry point main) by tools/knobs.py: do not edit here.
        # Edit the spec, then run `make knobs`.
        # Inputs without a default (the inventory sets them): demo_required.

        # The HCCL range (START-END) | piped.
        #
        # A second paragraph.
        demo_range: "60000-60050"

        # Free space per path.
        demo_free_mb: {/usr/local: 8192}

        demo_paths: ["{{ ascend_root }}/a", "{{ ascend_root }}/b"]

        # See docs (https://example.org).
        demo_flag: false
        """)
    reference = (root / "inventories" / "shared" / "knobs.yml").read_text()
    assert yaml.safe_load(reference) is None
    assert "# --- demo: A role with tricky defaults ---" in reference
    assert "# Set it in the inventory.\n# demo_required: (no default: set it in the inventory)\n" in reference
    assert '# The HCCL range (START-END) | piped.\n# demo_range: "60000-60050"\n' in reference
    assert "demo_other" not in reference                                # only the main entry point

    (root / "README.md").write_text(f"# demo\n\n{knobs.BEGIN_MARKER}\nold table\n{knobs.END_MARKER}\n\nmore\n")
    capsys.readouterr()
    assert knobs.main(["--root", str(root)]) == 0
    assert capsys.readouterr().out == "wrote README.md\n"
    readme = (root / "README.md").read_text()
    assert "old table" not in readme and readme.endswith(f"{knobs.END_MARKER}\n\nmore\n")
    assert "| `demo_range` | demo | `\"60000-60050\"` | The HCCL range (START-END) \\| piped. |" in readme
    assert "| `demo_required` | demo | *none: set it in the inventory* | Set it in the inventory. |" in readme
    assert knobs.main(["--check", "--root", str(root)]) == 0

    (root / "roles" / "demo" / "defaults" / "main.yml").write_text(defaults.replace("8192", "1"))
    assert knobs.main(["--check", "--root", str(root)]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("roles/demo/defaults/main.yml: ")


def test_marker_problems(tmp_path):
    root = _repo(tmp_path, f"{knobs.END_MARKER}\n{knobs.BEGIN_MARKER}\n")
    assert "wrong order" in knobs.marker_problem(root)
    (root / "README.md").write_text(f"{knobs.BEGIN_MARKER}\n")
    assert "exactly one" in knobs.marker_problem(root)


def test_bad_spec_fails_loudly(tmp_path, capsys):
    root = _repo(tmp_path)
    (root / "roles" / "demo" / "meta" / "argument_specs.yml").write_text("---\nargument_specs: [\n")
    with pytest.raises(knobs.KnobsError, match="roles/demo/meta/argument_specs.yml: not valid YAML"):
        knobs.expected_files(root)
    assert knobs.main(["--check", "--root", str(root)]) == 2
    assert "knobs: error: roles/demo/meta/argument_specs.yml" in capsys.readouterr().err
