"""Tests choose providers by capability, never by name.

A built-in provider's name may appear in a parametrisation or an `==` comparison only in the
tests of its own package, tests/providers/<name>/ (its wire format, its seeds, its client).
Everywhere else a test asks the registry for the providers with a capability, so a new provider
(built-in or plugin) is tested like the others without editing any test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from sms_cli.providers import registry

TESTS = Path(__file__).resolve().parent.parent


def _strings(node: ast.AST) -> Iterator[ast.Constant]:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child


def _is_parametrisation(node: ast.Call) -> bool:
    """`pytest.mark.parametrize(...)`, `pytest.fixture(params=...)`, `pytest.param(...)`."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in ("parametrize", "param"):
        return True
    return name == "fixture" and any(k.arg == "params" for k in node.keywords)


def named_selections(source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line, provider name) of each parametrisation naming a provider, and of each ==/!=
    comparison with a provider's name outside an `assert` (checking a stored value is fine;
    choosing what to do by the name is not)."""
    tree = ast.parse(source)
    asserted = {id(n) for a in ast.walk(tree) if isinstance(a, ast.Assert) for n in ast.walk(a)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        candidates: list[ast.AST] = []
        if isinstance(node, ast.Call) and _is_parametrisation(node):
            candidates = [*node.args, *(k.value for k in node.keywords)]
        elif (
            isinstance(node, ast.Compare)
            and id(node) not in asserted
            and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)
        ):
            candidates = [node.left, *node.comparators]
            candidates = [c for c in candidates if isinstance(c, ast.Constant)]
        for candidate in candidates:
            found.extend((c.lineno, c.value) for c in _strings(candidate) if c.value in names)
    return found


def home_of(path: Path) -> str | None:
    """The provider whose own tests these are: tests/providers/<name>/..."""
    parts = path.relative_to(TESTS).parts
    return parts[1] if len(parts) > 2 and parts[0] == "providers" else None


def test_no_test_selects_a_provider_by_name_outside_its_own_package() -> None:
    names = set(registry.builtin())
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        allowed = {home_of(path)}
        for line, name in named_selections(path.read_text(encoding="utf-8"), names):
            if name not in allowed:
                offenders.append(f"{path.relative_to(TESTS.parent)}:{line}: {name!r}")
    assert not offenders, (
        "choose providers by capability (tests/providers/selection.py), not by name:\n  "
        + "\n  ".join(offenders)
    )


def test_the_check_sees_what_it_should() -> None:
    names = {"acme"}
    source = """
import pytest
@pytest.mark.parametrize("provider", ["acme"], indirect=True)
def test_a(provider): pass
@pytest.fixture(params=["acme", "other"])
def f(request): pass
def test_b(emu):
    if emu.name == "acme": pass
    if "acme" != emu.name: pass
    urls = {"acme": 1}
    assert emu.name in ("acme",)
"""
    assert [line for line, _ in named_selections(source, names)] == [3, 5, 8, 9]
