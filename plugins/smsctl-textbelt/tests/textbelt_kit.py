"""What the plugin's CLI tests share: the canary key and a run that checks it never shows."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from sms_cli.app import app

KEY = "tb-CANARY-key-5c1d9e"  # must never be shown, whole or in part


def run(*args: str, input: str | None = None) -> Result:
    """smsctl in-process; no output may show the key (or the canary marker) or a traceback."""
    result = CliRunner().invoke(app, list(args), input=input, prog_name="smsctl")
    for stream in (result.stdout, result.stderr):
        assert KEY not in stream and "CANARY" not in stream
        assert "Traceback" not in stream
    return result
