"""`profile set` in one smsctl process while another runs `profile add`: the store's lock makes
them take turns, each applies its change to the file as the other left it, and neither is lost,
also when both write tokens to the OS keyring (a file backend here)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from sms_cli.app import app
from sms_cli.testing.file_keyring import FileKeyring
from tests.providers.selection import any_provider

ANY = any_provider()
TOKEN_A = "CANARY-two-a-0123456789ab"
TOKEN_B = "CANARY-two-b-ba9876543210"
TOKEN_C = "CANARY-two-c-13579bdf2468"


def smsctl(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SMSCTL_BUSY_TIMEOUT": "30"}
    return subprocess.Popen(
        [sys.executable, "-m", "sms_cli", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def holds_open(process: subprocess.Popen[str], path: Path) -> bool:
    """Whether the process has `path` open (Linux /proc): it has reached the store's lock."""
    try:
        fds = os.listdir(f"/proc/{process.pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{process.pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            continue
    return False


def both_wait_for_the_lock(config: Path, *processes: subprocess.Popen[str]) -> None:
    """Hold the store's lock until both processes are queued on it, then let them go."""
    lock_path = config / ".profiles.toml.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        deadline = time.monotonic() + 15
        while not all(holds_open(p, lock_path) for p in processes):
            assert time.monotonic() < deadline, "the processes never reached the lock"
            for p in processes:
                assert p.poll() is None, p.stderr.read() if p.stderr else ""
            with contextlib.suppress(subprocess.TimeoutExpired):
                processes[0].wait(timeout=0.02)  # paces the poll; it cannot end while locked
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def finish(process: subprocess.Popen[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = process.communicate(stdin, timeout=30)
    for token in (TOKEN_A, TOKEN_B, TOKEN_C):
        assert token not in out + err
    return process.returncode, out, err


def add_work(*extra: str) -> None:
    result = CliRunner().invoke(
        app,
        ["profile", "add", "work", "--provider", ANY, "--token-stdin", "--sender", "Acme", *extra],
        input=TOKEN_A,
    )
    assert result.exit_code == 0, result.stderr


def test_set_and_add_in_two_processes_keep_both_changes(tmp_path: Path) -> None:
    add_work()
    config = tmp_path / "config"
    setter = smsctl("profile", "set", "work", "--region", "SE", "--json")
    adder = smsctl("profile", "add", "other", "--provider", ANY, "--token-stdin")
    assert setter.stdin is not None and adder.stdin is not None
    adder.stdin.write(TOKEN_B)
    adder.stdin.close()
    adder.stdin = None
    both_wait_for_the_lock(config, setter, adder)
    code, out, err = finish(setter)
    assert code == 0, err
    assert json.loads(out)["changed"] == {"region": {"old": None, "new": "SE"}}
    code, _, err = finish(adder)
    assert code == 0, err
    document = tomllib.loads((config / "profiles.toml").read_text())
    work, other = document["profiles"]["work"], document["profiles"]["other"]
    assert (work["region"], work["sender"], work["token"]) == ("SE", "Acme", TOKEN_A)
    assert other["token"] == TOKEN_B
    assert oct((config / "profiles.toml").stat().st_mode & 0o777) == "0o600"


def test_keyring_tokens_written_by_two_processes_are_both_kept(
    tmp_path: Path, file_keyring: Path
) -> None:
    add_work("--token-store", "keyring")
    config = tmp_path / "config"
    setter = smsctl("profile", "set", "work", "--token-stdin")
    adder = smsctl("profile", "add", "other", "--provider", ANY, "--token-stdin")
    for process, token in ((setter, TOKEN_C), (adder, TOKEN_B)):
        assert process.stdin is not None
        process.stdin.write(token)
        process.stdin.close()
        process.stdin = None
    # `add` has no --token-store here: its token goes to the file, set's to the keyring
    both_wait_for_the_lock(config, setter, adder)
    assert finish(setter)[0] == 0
    assert finish(adder)[0] == 0
    document = tomllib.loads((config / "profiles.toml").read_text())
    work = document["profiles"]["work"]
    assert FileKeyring.entries(file_keyring) == {work["keyring_id"]: TOKEN_C}
    assert document["profiles"]["other"]["token"] == TOKEN_B


def test_ctrl_c_in_the_editor_saves_nothing_and_leaves_no_file(tmp_path: Path) -> None:
    """The terminal's Ctrl-C reaches smsctl while the editor runs (here the editor sends it):
    exit 130, the profile as it was, the edited copy removed."""
    add_work()
    config = tmp_path / "config"
    before = (config / "profiles.toml").read_bytes()
    editor = tmp_path / "interrupting_editor.py"
    editor.write_text(
        "import os, signal, sys\n"
        "open(sys.argv[1], 'a').write('region = \"SE\"\\n')\n"
        "os.kill(os.getppid(), signal.SIGINT)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "profile", "edit", "work"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "VISUAL": f"{sys.executable} {editor}"},
    )
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert (config / "profiles.toml").read_bytes() == before
    assert [p.name for p in config.iterdir() if p.name.startswith(".edit-")] == []
