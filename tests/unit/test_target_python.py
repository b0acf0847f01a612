"""Code shipped to nodes must parse on Python 3.9 (openEuler 22.03's system Python).

ansible-test's compile test covers the Pythons installed here; this check needs none: it
parses every plugin with the 3.9 grammar, which rejects `match`, `except*` and friends.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "plugins").rglob("*.py"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_parses_with_python39_grammar(path):
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))


def test_there_is_something_to_check():
    assert SHIPPED, "no plugin sources found"


def test_grammar_check_catches_newer_syntax():
    with pytest.raises(SyntaxError):
        ast.parse("match x:\n    case 1:\n        pass\n", feature_version=(3, 9))
