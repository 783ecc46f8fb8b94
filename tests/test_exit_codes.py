"""One exit-code contract: `ExitCode` in errors.py, README's table, and no bare numbers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sms_cli.errors import ExitCode, Outcome, exit_code_for

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sms_cli"
EXIT_CALLS = {"Exit", "exit", "_exit", "SystemExit"}


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _target_names(node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = []
    for target in targets:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, ast.Attribute):
            names.append(target.attr)
    return names


def _exitish(name: str) -> bool:
    return "exit" in name.lower() or name == "code"


def _int_literals(node: ast.AST | None) -> list[int]:
    """Int literals an expression can evaluate to (`x or 6`, `7 if a else 3`, `-1`)."""
    if node is None:
        return []
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return [node.value]
    if isinstance(node, ast.BoolOp):
        return [n for value in node.values for n in _int_literals(value)]
    if isinstance(node, ast.IfExp):
        return _int_literals(node.body) + _int_literals(node.orelse)
    if isinstance(node, ast.UnaryOp):
        return _int_literals(node.operand)
    return []


def bare_exit_numbers(source: str, filename: str) -> list[str]:
    """Every int literal used as an exit code: passed to Exit/exit/SystemExit, returned from a
    function named like *exit*, or assigned to a name like *exit* or `code`."""
    found: list[str] = []
    tree = ast.parse(source, filename)

    def visit(node: ast.AST, function: str | None) -> None:
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        elif isinstance(node, ast.Call) and _called_name(node) in EXIT_CALLS:
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                found.extend(f"{where}: {_called_name(node)}({n})" for n in _int_literals(arg))
        elif isinstance(node, ast.Return) and function is not None and _exitish(function):
            found.extend(f"{where}: return {n} in {function}" for n in _int_literals(node.value))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for name in _target_names(node):
                if _exitish(name):
                    found.extend(f"{where}: {name} = {n}" for n in _int_literals(node.value))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def test_no_bare_exit_numbers_outside_errors_py() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "errors.py":
            continue
        found += bare_exit_numbers(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == [], "use ExitCode members:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "raise typer.Exit(2)",
        "sys.exit(141)",
        "raise SystemExit(4) from None",
        "code = 130",
        "self.pause_exit = 8",
        "code = result.pause_exit or 6",
        "def _exit_code(c):\n    return 7 if c else 3",
    ],
)
def test_the_checker_finds_bare_numbers(source: str) -> None:
    assert bare_exit_numbers(source, "x.py")


def test_the_checker_passes_members() -> None:
    source = "raise typer.Exit(int(ExitCode.USAGE))\ncode = ExitCode.OK\nstatus_code = 200\n"
    assert bare_exit_numbers(source, "x.py") == []


def _table(text: str) -> dict[int, str]:
    """The rows of the `| code | meaning | ...` table under an "Exit codes" heading."""
    section = re.search(r"^#+ Exit codes\n(.*?)(?=^#+ |\Z)", text, flags=re.S | re.M)
    assert section is not None, "no 'Exit codes' section"
    rows: dict[int, str] = {}
    for line in section.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            assert int(cells[0]) not in rows, f"code {cells[0]} listed twice"
            rows[int(cells[0])] = cells[1]
    return rows


def _documents() -> list[Path]:
    """Every page with an "Exit codes" section; docs/exit-codes.md must be one of them."""
    candidates = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    docs = [
        p
        for p in candidates
        if re.search(r"^#+ Exit codes", p.read_text(encoding="utf-8"), flags=re.M)
    ]
    assert ROOT / "docs" / "exit-codes.md" in docs
    return docs


@pytest.mark.parametrize("document", _documents(), ids=lambda p: p.name)
def test_the_documented_exit_codes_are_exit_code(document: Path) -> None:
    table = _table(document.read_text(encoding="utf-8"))
    assert sorted(table) == sorted(int(code) for code in ExitCode)
    for code in ExitCode:
        assert code.keyword in table[code].lower(), (code, table[code])


@pytest.mark.parametrize(
    ("outcomes", "options", "expected"),
    [
        ([], {}, ExitCode.OK),
        ([Outcome.DONE, Outcome.DONE], {}, ExitCode.OK),
        ([Outcome.FAILED, Outcome.FAILED], {}, ExitCode.REJECTED),
        ([Outcome.DONE, Outcome.FAILED], {}, ExitCode.PARTIAL),
        ([Outcome.DONE, Outcome.FAILED], {"partial": False}, ExitCode.REJECTED),
        ([Outcome.DONE, Outcome.FAILED, Outcome.UNKNOWN], {}, ExitCode.UNKNOWN_OUTCOME),
        ([Outcome.DONE, Outcome.NOT_SENT], {}, ExitCode.NETWORK),
        ([Outcome.FAILED, Outcome.NOT_SENT], {}, ExitCode.REJECTED),
        ([Outcome.DONE, Outcome.PENDING], {}, ExitCode.OK),
        ([Outcome.DONE, Outcome.PENDING], {"waited": True}, ExitCode.PENDING),
        ([Outcome.PENDING, Outcome.NOT_SENT], {"waited": True}, ExitCode.NETWORK),
        ([Outcome.UNKNOWN], {"interrupted": True}, ExitCode.INTERRUPTED),
        ({Outcome.DONE: 3, Outcome.FAILED: 0}, {}, ExitCode.OK),
        ({Outcome.DONE: 3, Outcome.FAILED: 1}, {}, ExitCode.PARTIAL),
    ],
)
def test_exit_code_for(outcomes: object, options: dict[str, bool], expected: ExitCode) -> None:
    assert exit_code_for(outcomes, **options) is expected  # type: ignore[arg-type]
