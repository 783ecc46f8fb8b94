"""The layers show in the folders, and imports point one way:
commands -> render -> services -> providers / storage -> core.

`errors` (the exit-code contract) and the package root sit below everything. Providers and
storage do not know each other. A module may import its own layer and anything below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sms_cli"

LAYERS: dict[str, int] = {
    "errors": 0,
    "core": 1,
    "storage": 2,
    "providers": 2,
    "services": 3,
    "render": 4,
    "commands": 5,
    "app": 6,
    "__main__": 6,
    "testing": 6,
}

# Imports that still point the wrong way. Each one is a debt: the test fails when an entry is no
# longer needed, so the list only shrinks.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "sms_cli":
        raise ValueError(module)
    if len(parts) == 1:
        return "errors"  # sms_cli itself: __version__
    return parts[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("sms_cli"):
                found.add(node.module)
                if node.module == "sms_cli":
                    found.update(
                        f"sms_cli.{alias.name}"
                        for alias in node.names
                        if (PACKAGE / alias.name).is_dir()
                        or (PACKAGE / f"{alias.name}.py").exists()
                    )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sms_cli"))
    return found


def edges() -> list[tuple[str, str]]:
    result = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        for target in imports_of(path):
            result.append((source, target))
    return result


def wrong_way(source: str, target: str) -> bool:
    if target == "sms_cli":
        return False
    a, b = layer_of(source), layer_of(target)
    if a == b:
        return False
    if {a, b} == {"storage", "providers"}:
        return True
    return LAYERS[b] > LAYERS[a]


def test_every_top_level_module_has_a_layer() -> None:
    names = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    names -= {"__init__", "__pycache__", "py"}
    names = {n for n in names if not n.startswith(".")}
    assert names <= set(LAYERS), sorted(names - set(LAYERS))


def test_imports_point_down_the_layers() -> None:
    violations = {(s, t) for s, t in edges() if wrong_way(s, t)}
    new = violations - KNOWN_VIOLATIONS
    assert not new, "imports that point up the layers:\n" + "\n".join(
        f"  {s} -> {t}" for s, t in sorted(new)
    )


def test_known_violations_are_still_real() -> None:
    violations = {(s, t) for s, t in edges() if wrong_way(s, t)}
    stale = KNOWN_VIOLATIONS - violations
    assert not stale, f"fixed, remove from KNOWN_VIOLATIONS: {sorted(stale)}"


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("sms_cli.commands.send", "sms_cli.services.sending", False),
        ("sms_cli.services.sending", "sms_cli.render.output", True),
        ("sms_cli.storage.messages", "sms_cli.providers.base", True),
        ("sms_cli.core.numbers", "sms_cli.errors", False),
        ("sms_cli.core.callbacks", "sms_cli.providers.base", True),
    ],
)
def test_the_rule_itself(source: str, target: str, expected: bool) -> None:
    assert wrong_way(source, target) is expected
