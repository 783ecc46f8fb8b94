"""Commands hand their result to one `emit` of their render module; they neither build JSON
documents nor choose between a `_json` and a `_human` renderer themselves."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import pytest

from sms_cli.render import split as render_split
from sms_cli.services.preview import build_preview

COMMANDS = Path(__file__).resolve().parent.parent / "sms_cli" / "commands"
THIN = (
    ("send", None),
    ("status", None),
    ("log", None),
    ("inbox", None),
    ("split", None),
    ("listen", None),
    ("balance", None),
    ("hooks", None),
    ("providers", None),
    ("profile", "list_command"),
    ("profile", "show_command"),
    ("profile", "path_command"),
)


@pytest.mark.parametrize(("name", "function"), THIN)
def test_the_command_calls_emit_not_a_chosen_renderer(name: str, function: str | None) -> None:
    tree: ast.AST = ast.parse((COMMANDS / f"{name}.py").read_text(encoding="utf-8"))
    if function is not None:
        (tree,) = (
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name == function
        )
    called = {
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }
    assert "print_json" not in called
    assert "dumps" not in called  # no JSON built here
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sms_cli.render.")
        for alias in node.names
    }
    chosen = sorted(n for n in imported if n.endswith(("_json", "_human", "_csv")))
    assert not chosen, chosen


def test_emit_prints_what_the_renderers_print(monkeypatch: pytest.MonkeyPatch) -> None:
    preview = build_preview("Hi “there”")
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    render_split.emit(preview, json=True)
    assert json.loads(out.getvalue()) == render_split.split_json(preview)
    assert err.getvalue() == "".join(f"smsctl: warning: {w.message}\n" for w in preview.warnings)
