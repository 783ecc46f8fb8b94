"""Small things a script or a new user meets: `--json=true` (a JSON usage error that says
the right spelling), global options in the root help, `log -p TYPO` (exit 4), metavars that
say the choices, one metavar per option name, required arguments without braces."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from sms_cli.app import app

runner = CliRunner()


@pytest.mark.parametrize(
    "args", [["--json=true", "split", "hi"], ["split", "hi", "--json=1"], ["--json=true"]]
)
def test_json_with_a_value_is_a_json_usage_error_with_the_spelling(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    error = json.loads(result.stderr.strip().splitlines()[-1])["error"]
    assert error["code"] == "usage" and error["exit_code"] == 2, error
    assert "--json, not --json=true" in error["hint"], error


def test_root_help_says_where_global_options_go() -> None:
    text = " ".join(runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output.split())
    assert "Global options, before or after the command: --json" in text
    assert "-p/--profile NAME" in text


def test_log_with_an_unknown_profile_is_exit_4() -> None:
    result = runner.invoke(app, ["log", "-p", "typo"])
    assert result.exit_code == 4, result.output
    result = runner.invoke(app, ["--json", "log", "-p", "typo"])
    assert result.exit_code == 4
    assert json.loads(result.stderr.strip().splitlines()[-1])["error"]["code"] == "config"


def _option_line(args: list[str], option: str) -> str:
    out = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "250"}).output
    return next(line for line in out.splitlines() if re.search(rf"{option}\b", line))


@pytest.mark.parametrize(
    ("args", "option", "metavar"),
    [
        (["profile", "add"], "--token-store", "file|keyring"),
        (["profile", "set"], "--token-store", "file|keyring"),
        (["profile", "add"], "--region", "REGION"),
        (["profile", "set"], "--region", "REGION"),
        (["hooks", "add"], "--event", "dlr|sms_mo|all"),
        (["hooks", "add"], "--method", "POST|GET|JSON"),
        (["bulk", "start"], "--to-column", "COL"),
        (["bulk", "start"], "--sender-column", "COL"),
    ],
)
def test_metavars_say_the_value(args: list[str], option: str, metavar: str) -> None:
    line = _option_line(args, option)
    assert f" {metavar} " in line, line


@pytest.mark.parametrize(
    ("args", "usage"),
    [(["bulk", "show"], "smsctl bulk show [OPTIONS] JOB"), (["hooks", "add"], "[OPTIONS] URL")],
)
def test_required_arguments_in_usage_have_no_braces(args: list[str], usage: str) -> None:
    out = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"}).output
    assert usage in out and "{" not in out.split("\n\n")[0] + out.splitlines()[1], out[:300]
