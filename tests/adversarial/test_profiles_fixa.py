"""Review fixes of issue 15's profiles and checks (fix round A): a real smsctl process checking
several profiles at once, a hostile server's answers in a check, the keyring entries a profile
removal deletes, and a hostile editor."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer
from sms_cli.providers.info import Capability
from sms_cli.testing.contract import CANARY, EmulatorControl, run
from tests.adversarial.loopback import LoopbackServer, Reply

CHECKABLE = sorted(
    name
    for name, info in registry.available().items()
    if info.supports(Capability.CHECK_TOKEN) and info.emulator
)


def smsctl(*args: str, stdin: str = "", timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """smsctl as a real process, with this test's config and data directories."""
    return subprocess.run(
        [sys.executable, "-m", "sms_cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=timeout,
    )


def test_checking_many_profiles_at_once_keeps_the_json_on_stdout(sandbox: SandboxServer) -> None:
    """Clients load once, in the calling thread, before the checks' threads start: stdout is
    never left swapped for stderr by two imports racing (stdout was empty, the JSON on stderr)."""
    names = []
    for provider in CHECKABLE:
        control = EmulatorControl(sandbox, provider, registry.get(provider).default_base_url)
        control.control("reset")
        control.set(tokens=[CANARY])
        for n in range(3):
            name = f"{provider}-{n}"
            names.append(name)
            added = run(
                ["profile", "add", name, "--provider", provider, "--base-url", control.base_url,
                 "--sender", "Acme", "--token-stdin", "--no-check"], input=CANARY,
            )  # fmt: skip
            assert added.exit_code == 0, added.stderr
    assert len(names) >= 4
    for command in (["profile", "check", "--json"], ["doctor", "--json"]):
        checked = smsctl(*command)
        assert checked.stdout.strip(), checked.stderr
        document = json.loads(checked.stdout)
        assert sorted(p["name"] for p in document["profiles"]) == sorted(names)
        assert {p["result"] for p in document["profiles"]} == {"ok"}, checked.stdout
        assert '"profiles"' not in checked.stderr


EDITOR_WAITS = shlex.join(
    [sys.executable, "-c", "import time; print('editing', flush=True); time.sleep(20)"]
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_profile_edit_removes_the_draft_and_says_so(
    signum: signal.Signals, tmp_path: Path
) -> None:
    added = run(["profile", "add", "work", "--provider", CHECKABLE[0], "--token-stdin",
                 "--sender", "Acme", "--no-check"], input=CANARY)  # fmt: skip
    assert added.exit_code == 0, added.stderr
    config = tmp_path / "config"
    before = (config / "profiles.toml").read_text()
    process = subprocess.Popen(
        [sys.executable, "-m", "sms_cli", "profile", "edit", "work"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "EDITOR": EDITOR_WAITS, "VISUAL": ""},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "editing\n"  # the editor runs: the draft exists
        assert list(config.glob(".edit-*"))
        process.send_signal(signum)
        _out, err = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait(10)
    assert process.returncode == 130, err
    assert f"{signum.name} received: profile 'work' is unchanged" in err
    assert "error: interrupted" in err
    assert "Traceback" not in err
    assert list(config.glob(".edit-*")) == []
    assert (config / "profiles.toml").read_text() == before


REPLACE_DRAFT = {
    "symlink to /dev/zero": "os.unlink(p); os.symlink('/dev/zero', p)",
    "fifo": "os.unlink(p); os.mkfifo(p)",
    "2 MiB file": "open(p, 'w').write('# x\\n' * (1 << 19))",
}


@pytest.mark.parametrize("replace", sorted(REPLACE_DRAFT))
def test_a_hostile_editor_result_is_refused_exit_2(replace: str, tmp_path: Path) -> None:
    """The draft is read once, as a regular file of at most 1 MiB, never following a link:
    /dev/zero was a MemoryError (exit 1), a FIFO a hang."""
    added = run(["profile", "add", "work", "--provider", CHECKABLE[0], "--token-stdin",
                 "--sender", "Acme", "--no-check"], input=CANARY)  # fmt: skip
    assert added.exit_code == 0, added.stderr
    before = (tmp_path / "config" / "profiles.toml").read_text()
    code = f"import os, sys; p = sys.argv[1]; {REPLACE_DRAFT[replace]}"
    edited = subprocess.run(
        [sys.executable, "-m", "sms_cli", "profile", "edit", "work"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "EDITOR": shlex.join([sys.executable, "-c", code]), "VISUAL": ""},
        timeout=10,
    )
    assert edited.returncode == 2, edited.stderr
    assert "not read" in edited.stderr
    assert "profile 'work' is unchanged" in edited.stderr
    assert "Traceback" not in edited.stderr
    assert (tmp_path / "config" / "profiles.toml").read_text() == before
    assert list((tmp_path / "config").glob(".edit-*")) == []


class NoApi(LoopbackServer):
    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        return 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"


@pytest.mark.parametrize("provider", CHECKABLE)
def test_a_wrong_url_in_a_check_hints_profile_set_with_the_profiles_name(provider: str) -> None:
    server = NoApi()
    try:
        added = run(["profile", "add", "sand.box-1", "--provider", provider, "--base-url",
                     server.url, "--sender", "Acme", "--token-stdin", "--no-check"],
                    input=CANARY)  # fmt: skip
        assert added.exit_code == 0, added.stderr
        checked = run(["profile", "check", "--json"])
    finally:
        server.close()
    assert checked.exit_code == 4, checked.stderr
    entry = json.loads(checked.stdout)["profiles"][0]
    assert entry["result"] == "wrong_url"
    assert "smsctl profile set sand.box-1 --base-url URL" in entry["hint"]
    assert "--force" not in entry["hint"] and "profile add" not in entry["hint"]
    assert "nothing was changed" not in entry["detail"]
