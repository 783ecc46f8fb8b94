"""The fault matrix: every command under every local fault it can meet.

Faults: the history locked by another connection holding a write transaction, damaged (random
bytes, truncated), read-only (file, directory), a full disk (RLIMIT_FSIZE), closed stdout.
Whatever happens, smsctl exits with a documented code other than 1, prints no traceback, and
never prints the token. The cells run once per module; each test reads its cell.

Faults that live in the files (locked, damaged, truncated) run in this process through
CliRunner, one after another: the same command, environment and files, without starting an
interpreter 39 times. Faults that need the process itself run smsctl as a real process, in
parallel: a closed fd 1, RLIMIT_FSIZE, and the read-only cells (as root only a process started
without CAP_DAC_OVERRIDE finds a read-only file read-only).
"""

from __future__ import annotations

import ctypes
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sms_cli.app import app
from sms_cli.errors import ExitCode
from sms_cli.providers.emulation import SandboxServer, all_emulators

CANARY = "CANARY-exits-5d1c0e7a9b3f4a28"
NUMBER = "+46701234567"
DOCUMENTED = {int(code) for code in ExitCode} - {int(ExitCode.INTERNAL)}
# RLIMIT_FSIZE for the full-disk cells: one byte, so any write that grows a file fails (EFBIG).
FULL_DISK_BYTES = 1
# A cell still running after this is a failure (a lock waited on without bound, a hang).
CELL_TIMEOUT = 15

COMMANDS: dict[str, list[str]] = {
    "send-dry-run": ["send", "--dry-run", "--to", NUMBER, "hi"],
    "send": ["send", "--to", NUMBER, "hi"],
    "status": ["status", "77000000001"],
    "status-last": ["status", "--last"],
    "log": ["log"],
    "log-json": ["log", "--json"],
    "inbox": ["inbox"],
    "balance": ["balance"],
    "profile-list": ["profile", "list"],
    "bulk": ["bulk", "{csv}", "--message", "Hi {{name}}", "--yes"],
    "bulk-jobs": ["bulk", "jobs"],
    "split": ["split", "hi"],
    "hooks-list": ["hooks", "list"],
}
FAULTS = (
    "locked",
    "damaged",
    "truncated",
    "read-only-file",
    "read-only-dir",
    "full-disk",
    "closed-stdout",
)
# Faults of the files only: these cells run in-process (see the module's docstring).
IN_PROCESS = {"locked", "damaged", "truncated"}
# Commands that never open the history: a fault of the history does not concern them.
NO_HISTORY = {"send-dry-run", "split", "profile-list", "balance", "hooks-list"}
# What some cells must say, beyond "a documented code": (exit code, text on stderr).
EXPECTED: dict[tuple[str, str], tuple[int, str]] = {
    ("send", "locked"): (4, "nothing was sent"),
    ("send", "damaged"): (4, "is damaged: move it away: mv "),
    ("send", "read-only-file"): (4, "nothing was sent"),
    ("send", "full-disk"): (4, "nothing was sent"),
    ("log", "damaged"): (4, "is damaged: move it away"),
    ("log", "truncated"): (4, "is damaged: move it away"),
    ("status-last", "damaged"): (4, "is damaged"),
    ("log", "locked"): (0, ""),  # reading needs no write lock
    ("log-json", "closed-stdout"): (141, "standard output is closed"),
    ("log", "closed-stdout"): (141, "standard output is closed"),
    ("send", "closed-stdout"): (141, "nothing was done"),
}


@dataclass(frozen=True)
class Cell:
    command: str
    fault: str
    returncode: int
    stdout: str
    stderr: str


def _drop_file_capabilities() -> None:
    """As root, permissions are not enforced: drop the capabilities that bypass them (from the
    bounding set, so the exec'd interpreter starts without them). Harmless when not root."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        libc.prctl(pr_capbset_drop, capability, 0, 0, 0)


def _full_disk() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_DISK_BYTES, FULL_DISK_BYTES))


def _closed_stdout() -> None:
    os.close(1)


PREEXEC: dict[str, Callable[[], None]] = {
    "read-only-file": _drop_file_capabilities,
    "read-only-dir": _drop_file_capabilities,
    "full-disk": _full_disk,
    "closed-stdout": _closed_stdout,
}


def _template_history(path: Path) -> None:
    """A history with one sent message, written by smsctl's own code."""
    from sms_cli.storage.messages import History, MessageRecord, Outcome, text_hash

    history = History(path)
    history.record_intent(
        [MessageRecord("L1", "B1", "sb", "seven", NUMBER, "Acme", "hi", text_hash("hi"), 1, "gsm7")]
    )
    history.record_outcomes([Outcome("L1", "queued", provider_id="77000000001")])
    history.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    history.close()


def _prepare(root: Path, fault: str, template: Path, config: Path) -> tuple[Path, Path]:
    """A data directory holding the history in the state `fault` asks for, and its config."""
    data = root / "data"
    data.mkdir(parents=True)
    history = data / "history.sqlite3"
    shutil.copyfile(template, history)
    cell_config = root / "config"
    shutil.copytree(config, cell_config)
    if fault == "damaged":
        history.write_bytes(random.Random(7).randbytes(history.stat().st_size))
    elif fault == "truncated":
        with history.open("r+b") as file:
            file.truncate(history.stat().st_size // 2 + 100)
    elif fault == "read-only-file":
        history.chmod(0o400)
    elif fault == "read-only-dir":
        history.chmod(0o400)
        data.chmod(0o500)
    return data, cell_config


PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


def _cell_settings(data: Path, cell_config: Path) -> dict[str, str]:
    return {
        "SMSCTL_CONFIG_DIR": str(cell_config),
        "SMSCTL_DATA_DIR": str(data),
        "SMSCTL_BUSY_TIMEOUT": "0.3",
        "NO_COLOR": "1",
    }


def _run_cell_in_process(
    command: str, fault: str, root: Path, template: Path, config: Path, csv: Path
) -> Cell:
    """The cell through CliRunner, with the environment the process would get: the cell's
    settings, no other SMSCTL_* and no proxy. An exception that escapes is shown as the
    traceback a process would print, so the same assertions catch it."""
    data, cell_config = _prepare(root, fault, template, config)
    env: dict[str, str | None] = {
        **{k: None for k in os.environ if k.startswith("SMSCTL_") or k in PROXIES},
        **_cell_settings(data, cell_config),
    }
    args = [a.format(csv=csv) for a in COMMANDS[command]]
    locker = None
    if fault == "locked":
        locker = sqlite3.connect(data / "history.sqlite3", isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
    try:
        result = CliRunner().invoke(app, args, env=env, prog_name="smsctl")
    finally:
        if locker is not None:
            locker.execute("ROLLBACK")
            locker.close()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = result.exception
        stderr += "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return Cell(command, fault, result.exit_code, result.stdout, stderr)


def _run_cell(
    command: str, fault: str, root: Path, template: Path, config: Path, csv: Path
) -> Cell:
    data, cell_config = _prepare(root, fault, template, config)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SMSCTL_")},
        **_cell_settings(data, cell_config),
    }
    for name in PROXIES:
        env.pop(name, None)
    args = [a.format(csv=csv) for a in COMMANDS[command]]
    try:
        process = subprocess.run(
            [sys.executable, "-m", "sms_cli", *args],
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=CELL_TIMEOUT,
            preexec_fn=PREEXEC.get(fault),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return Cell(command, fault, -1, "", f"still running after {CELL_TIMEOUT} s")
    finally:
        data.chmod(0o700)
    return Cell(command, fault, process.returncode, process.stdout, process.stderr)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer(all_emulators())
    server.start_in_thread()
    httpx.post(f"{server.url}/seven/__emu/set", json={"tokens": [CANARY]}, timeout=10)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def matrix(
    sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Cell]:
    base = tmp_path_factory.mktemp("matrix")
    config = base / "config"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SMSCTL_")},
        "SMSCTL_CONFIG_DIR": str(config),
        "SMSCTL_DATA_DIR": str(base / "unused"),
    }
    subprocess.run(
        [sys.executable, "-m", "sms_cli", "profile", "add", "sb", "--provider", "seven",
         "--base-url", f"{sandbox.url}/seven/api", "--sender", "Acme", "--token-stdin"],
        input=CANARY, env=env, check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    template = base / "template.sqlite3"
    _template_history(template)
    csv = base / "people.csv"
    csv.write_text(f"phone,name\n{NUMBER},Anna\n")
    cells = [(c, f) for f in FAULTS for c in COMMANDS]
    with ThreadPoolExecutor(max_workers=max(4, (os.cpu_count() or 2) * 2)) as pool:
        futures = {
            (c, f): pool.submit(_run_cell, c, f, base / f"{f}-{c}", template, config, csv)
            for c, f in cells
            if f not in IN_PROCESS
        }
        # Meanwhile, here: CliRunner swaps this process's stdio and environment, one at a time.
        done = {
            (c, f): _run_cell_in_process(c, f, base / f"{f}-{c}", template, config, csv)
            for c, f in cells
            if f in IN_PROCESS
        }
        done.update((key, future.result()) for key, future in futures.items())
        return done


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_fault_exits_with_a_documented_code(
    matrix: dict[tuple[str, str], Cell], command: str, fault: str
) -> None:
    cell = matrix[command, fault]
    detail = f"exit {cell.returncode}\nstdout: {cell.stdout[:500]}\nstderr: {cell.stderr[:2000]}"
    assert cell.returncode in DOCUMENTED, detail
    assert "Traceback" not in cell.stderr, detail
    assert "bug in smsctl" not in cell.stderr, detail
    assert "Exception ignored" not in cell.stderr, detail
    for fragment in (CANARY, CANARY[:12], CANARY[-12:]):
        assert fragment not in cell.stdout + cell.stderr, detail
    # Errors are one line (and perhaps a hint), never a dump.
    assert len(cell.stderr.splitlines()) <= 6, detail
    if (command, fault) in EXPECTED:
        code, text = EXPECTED[command, fault]
        assert cell.returncode == code, detail
        assert text in cell.stderr, detail
    elif command in NO_HISTORY and fault not in ("closed-stdout", "full-disk"):
        assert cell.returncode == 0, detail
