"""Errors for scripts (issue 15, item 6): one command per exit code, in human and --json mode.

Human mode: every non-zero exit says why on stderr (a closed stdout, 141, stays quiet, as
`| head` must). --json mode: stderr's last line is ONE JSON object {"error": {"code",
"message", "hint", "exit_code"}} whose exit_code is the real one and whose code is a listed
word (errors.ERROR_CODES, docs/exit-codes.md); nothing else on stderr starts with "{".
Providers answer over real loopback HTTP (the sandbox emulators, steered by their controls).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.errors import ERROR_CODES, ExitCode
from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer
from sms_cli.testing.contract import CANARY, EmulatorControl
from tests.providers.selection import any_provider

A, B = "+46701234567", "+46709999999"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def emu(sandbox: SandboxServer) -> EmulatorControl:
    name = any_provider()
    control = EmulatorControl(sandbox, name, registry.get(name).default_base_url)
    control.wait_idle()
    control.control("reset")
    control.set(tokens=[CANARY], auto_advance=False)
    return control


def run(args: list[str], input: str | None = None) -> Result:
    return CliRunner().invoke(app, args, input=input, prog_name="smsctl")


def add_profile(emu: EmulatorControl, base_url: str | None = None) -> None:
    result = run(
        ["profile", "add", "p", "--provider", emu.name, "--base-url", base_url or emu.base_url,
         "--sender", "Acme", "--token-stdin"],
        input=CANARY,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


def _long_text() -> str:
    return "x" * 400


# Each case: set-up (given the emulator), then the command line; the exit code it must give.
Case = tuple[Callable[[EmulatorControl], None], list[str], ExitCode]


def _nothing(emu: EmulatorControl) -> None:
    return None


def _profile(emu: EmulatorControl) -> None:
    add_profile(emu)


def _reject_b(emu: EmulatorControl) -> None:
    add_profile(emu)
    emu.reject(B)


def _wrong_token(emu: EmulatorControl) -> None:
    add_profile(emu)
    emu.set(tokens=["another-token"])


def _unreachable(emu: EmulatorControl) -> None:
    add_profile(emu, "http://127.0.0.1:9/api")


def _5xx_after_processing(emu: EmulatorControl) -> None:
    add_profile(emu)
    emu.faults(mode="process_then_5xx")


def _sent_and_pending(emu: EmulatorControl) -> None:
    add_profile(emu)
    assert run(["send", "--to", A, "hi"]).exit_code == 0


CASES: dict[str, Case] = {
    "ok": (_nothing, ["split", "hi"], ExitCode.OK),
    "usage-click": (_nothing, ["send", "--no-such-option"], ExitCode.USAGE),
    "invalid-input": (_profile, ["send", "--to", "not-a-number", "hi"], ExitCode.USAGE),
    "partial": (_reject_b, ["send", "--to", A, "--to", B, "hi"], ExitCode.PARTIAL),
    "config": (_nothing, ["send", "--to", A, "hi"], ExitCode.CONFIG),
    "auth": (_wrong_token, ["send", "--to", A, "hi"], ExitCode.AUTH),
    "network": (_unreachable, ["send", "--to", A, "hi"], ExitCode.NETWORK),
    "rejected": (_reject_b, ["send", "--to", B, "hi"], ExitCode.REJECTED),
    "unknown": (_5xx_after_processing, ["send", "--to", A, "hi"], ExitCode.UNKNOWN_OUTCOME),
    "pending": (
        _sent_and_pending,
        ["status", "--last", "--wait", "--timeout", "0.1", "--interval", "0.05"],
        ExitCode.PENDING,
    ),
    "limit": (_nothing, ["split", "--max-segments", "1", _long_text()], ExitCode.LIMIT),
}


def error_object(stderr: str) -> dict[str, Any]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    objects = [line for line in lines if line.startswith("{")]
    assert objects == [lines[-1]], f"one JSON object, last: {stderr!r}"
    document = json.loads(lines[-1])
    assert set(document) == {"error"}
    error: dict[str, Any] = document["error"]
    assert set(error) == {"code", "message", "hint", "exit_code"}
    assert isinstance(error["message"], str) and error["message"]
    assert error["hint"] is None or isinstance(error["hint"], str)
    assert error["code"] in ERROR_CODES, error
    return error


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("mode", ["human", "json"])
def test_every_exit_says_why(emu: EmulatorControl, name: str, mode: str) -> None:
    setup, args, expected = CASES[name]
    setup(emu)
    argv = ["--json", *args] if mode == "json" else args
    result = run(argv)
    assert result.exit_code == expected, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and CANARY not in result.stderr
    if expected == ExitCode.OK:
        assert result.stderr.strip() == ""
        return
    if mode == "human":
        assert result.stderr.strip(), f"exit {expected} said nothing on stderr"
        assert not result.stderr.lstrip().startswith("{")
        return
    error = error_object(result.stderr)
    assert error["exit_code"] == int(expected)
    assert ERROR_CODES[error["code"]][0] == expected, error


def test_json_after_the_command_is_the_same(emu: EmulatorControl) -> None:
    _reject_b(emu)
    result = run(["send", "--to", B, "hi", "--json"])
    assert result.exit_code == ExitCode.REJECTED
    assert error_object(result.stderr)["code"] == "rejected"
    assert json.loads(result.stdout)  # the results stay on stdout, as before


def test_a_label_named_json_is_not_json_mode(emu: EmulatorControl) -> None:
    _profile(emu)
    result = run(["send", "--label", "--json", "--to", "not-a-number", "hi"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("smsctl: error: ")


def test_closed_stdout_is_quiet_in_human_mode_and_an_object_with_json(tmp_path: Path) -> None:
    """141: the reader went away. Human mode prints nothing (`| head`); --json still gives the
    object on stderr, so a script sees one object for every non-zero exit."""
    env = {**os.environ, "NO_COLOR": "1"}
    for mode, argv in (("human", ["split", "hi"]), ("json", ["--json", "providers"])):
        read, write = os.pipe()
        os.close(read)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "sms_cli", *argv],
                stdout=write,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=env,
                timeout=30,
                text=True,
                cwd=ROOT,
            )
        finally:
            os.close(write)
        assert done.returncode == ExitCode.BROKEN_PIPE, done.stderr
        if mode == "human":
            assert done.stderr == ""
        else:
            error = error_object(done.stderr)
            assert (error["code"], error["exit_code"]) == ("broken_pipe", 141)


def test_docs_list_exactly_the_codes_the_code_can_produce() -> None:
    import re

    page = (ROOT / "docs" / "exit-codes.md").read_text(encoding="utf-8")
    section = page.split("## Errors as JSON", 1)[1]
    listed = dict(re.findall(r"^\| `([a-z_]+)` \| (\d+) \|", section, re.MULTILINE))
    assert listed == {code: str(int(exit)) for code, (exit, _) in ERROR_CODES.items()}


def test_every_error_class_has_a_listed_code_with_its_exit_code() -> None:
    import importlib
    import pkgutil

    import sms_cli
    from sms_cli.errors import SmsError

    for module in pkgutil.walk_packages(sms_cli.__path__, "sms_cli."):
        if module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    seen: list[type[SmsError]] = []
    stack = [SmsError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    for cls in seen[1:]:
        assert ERROR_CODES[cls.code][0] == cls.exit_code, cls


@pytest.mark.parametrize("mode", ["human", "json"])
def test_ctrl_c_says_interrupted(mode: str) -> None:
    """130: Ctrl-C while `send` waits for its text on a terminal. The process is interrupted
    once it says it is reading (bounded waits, no sleeping)."""
    import pty
    import select
    import signal

    primary, secondary = pty.openpty()
    argv = ["send", "--to", A] + (["--json"] if mode == "json" else [])
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", *argv],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=ROOT,
    )
    os.close(secondary)
    try:
        assert process.stderr is not None
        ready, _, _ = select.select([process.stderr], [], [], 20)
        assert ready, "smsctl never said it was reading standard input"
        first = os.read(process.stderr.fileno(), 4096).decode()
        assert "reading the text" in first
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=20)
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    stderr = first + rest.decode()
    assert process.returncode == ExitCode.INTERRUPTED, stderr
    if mode == "human":
        assert "smsctl: error: interrupted" in stderr
    else:
        error = error_object(stderr)
        assert (error["code"], error["exit_code"]) == ("interrupted", 130)


@pytest.mark.parametrize("mode", ["human", "json"])
def test_stdout_closed_before_the_start(mode: str) -> None:
    """`smsctl log >&-`: nothing is done, one line says so; with --json, the object."""
    argv = ["log"] + (["--json"] if mode == "json" else [])
    done = subprocess.run(
        [sys.executable, "-m", "sms_cli", *argv],
        preexec_fn=lambda: os.close(1),  # the child starts with no fd 1, as after `>&-`
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=30,
        text=True,
        cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == ExitCode.BROKEN_PIPE, done.stderr
    if mode == "human":
        assert done.stderr.startswith("smsctl: error: standard output is closed")
    else:
        error = error_object(done.stderr)
        assert (error["code"], error["exit_code"]) == ("broken_pipe", 141)
