from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app

Invoke = Callable[..., Result]


@pytest.fixture
def smsctl() -> Invoke:
    """Run smsctl in-process: stdout and stderr kept apart, exit codes as a script sees them."""
    runner = CliRunner()

    def invoke(args: Sequence[str], input: str | bytes | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, prog_name="smsctl")

    return invoke
