"""The bulk lifecycle code in one shape (review of issue 14): services import no private name
of each other, one confirmation, one live-runner refusal, one short id, rules in services."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "sms_cli"


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_retry_uses_the_public_job_functions() -> None:
    retry = ROOT / "services" / "bulk" / "retry.py"
    assert not {name for name in _imported(retry) if name.startswith("_")}
    assert {"confirmed", "refuse_live_runner", "run_job", "check_provider"} <= _imported(retry)
    assert not {"_short_ids", "_short_id", "_confirmed"} & _defined(retry)
    assert "is being run by" not in retry.read_text(encoding="utf-8")  # refuse_live_runner says it
    assert "retry_failed" in _defined(retry)


def test_the_bulk_command_holds_no_rule_and_no_file_io() -> None:
    command = ROOT / "commands" / "bulk.py"
    assert not {"_check_argv_text", "_check_writable"} & _defined(command)
    assert "send options it was started with" not in command.read_text(encoding="utf-8")


def test_resume_refuses_send_options_itself() -> None:
    from sms_cli.errors import InputError
    from sms_cli.services.bulk.jobs import RunOptions, resume
    from sms_cli.services.bulk.options import BulkSendArgs

    with pytest.raises(InputError, match="send options it was started with"):
        resume("last", retry_unknown=False, profile=None, yes=True,
               run=RunOptions(1, None, 1, 1.0, None, False), view=None,  # type: ignore[arg-type]
               send=BulkSendArgs(label="x"))  # fmt: skip
