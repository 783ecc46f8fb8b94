"""`smsctl doctor` on real directories, a real history file and a real emulator over loopback:
each check's status, the exit code, and the --json schema."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer
from sms_cli.testing.contract import CANARY, EmulatorControl, run

CHECK_KEYS = {"name", "status", "detail", "fix", "path"}


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of the test's own: no completions installed unless a test puts them there."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return tmp_path / "home"


@pytest.fixture
def emu(sandbox: SandboxServer) -> EmulatorControl:
    control = EmulatorControl(sandbox, "seven", registry.get("seven").default_base_url)
    control.wait_idle()
    control.control("reset")
    control.set(tokens=[CANARY])
    return control


@pytest.fixture
def profile(emu: EmulatorControl) -> str:
    args = ["profile", "add", "live", "--provider", "seven", "--base-url", emu.base_url]
    added = run([*args, "--token-stdin"], input=CANARY)
    assert added.exit_code == 0, added.stderr
    return "live"


def doctor(*args: str) -> tuple[int, dict[str, Any], str]:
    result = run(["doctor", "--json", *args])
    document = json.loads(result.stdout)
    assert set(document) == {"checks", "profiles", "exit_code"}
    assert document["exit_code"] == result.exit_code
    for check in document["checks"]:
        assert set(check) == CHECK_KEYS
        assert check["status"] in {"ok", "info", "warning", "error", "skipped"}
    return result.exit_code, document, result.stderr


def status(document: dict[str, Any], name: str) -> str:
    found: str = next(c["status"] for c in document["checks"] if c["name"] == name)
    return found


def test_a_sound_setup_passes_with_every_check_named(profile: str, emu: EmulatorControl) -> None:
    code, document, _ = doctor()
    assert code == 0
    names = [c["name"] for c in document["checks"]]
    assert names == [
        "config_dir",
        "profiles_file",
        "data_dir",
        "history",
        "profile:live",
        "clock",
        "completions",
    ]
    assert status(document, "profile:live") == "ok"
    assert status(document, "clock") == "ok"  # the emulator's Date header, compared
    assert status(document, "completions") == "info"
    assert document["profiles"][0]["result"] == "ok"
    human = run(["doctor"])
    assert human.exit_code == 0
    assert "smsctl --install-completion" in human.stdout


def test_offline_asks_no_provider(profile: str, emu: EmulatorControl) -> None:
    before = len(emu.requests())
    code, document, _ = doctor("--offline")
    assert code == 0
    assert len(emu.requests()) == before
    assert status(document, "profile:live") == "skipped"
    assert status(document, "clock") == "skipped"


def test_a_rejected_token_is_exit_5(profile: str, emu: EmulatorControl) -> None:
    emu.set(tokens=["another-token"])
    code, document, stderr = doctor()
    assert code == 5
    assert status(document, "profile:live") == "error"
    assert "profile:live" in stderr


def test_world_readable_profiles_and_read_only_config_are_warnings(
    profile: str, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    (config / "profiles.toml").chmod(0o644)
    config.chmod(0o500)
    try:
        code, document, stderr = doctor("--offline")
    finally:
        config.chmod(0o700)
    assert code == 0  # warnings only
    assert status(document, "profiles_file") == "warning"
    assert status(document, "config_dir") == "warning"
    files = next(c for c in document["checks"] if c["name"] == "profiles_file")
    assert files["fix"] == f"chmod 600 {config / 'profiles.toml'}"
    assert "warning(s)" in stderr


def test_a_locked_history_is_an_error_exit_4(
    profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sms_cli.storage.db import Database

    Database().close()  # a history with its schema
    monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "0.1")
    holder = sqlite3.connect(tmp_path / "data" / "history.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, document, stderr = doctor("--offline")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 4
    history = next(c for c in document["checks"] if c["name"] == "history")
    assert history["status"] == "error"
    assert "locked by another smsctl process" in history["detail"]
    assert "Traceback" not in stderr
    code, document, _ = doctor("--offline")
    assert code == 0 and status(document, "history") == "ok"


def test_a_damaged_history_is_an_error_exit_4(profile: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    code, document, stderr = doctor("--offline")
    assert code == 4
    history = next(c for c in document["checks"] if c["name"] == "history")
    assert "damaged" in history["detail"]
    assert "internal error" not in stderr


def test_a_broken_profiles_file_is_an_error_exit_4(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir(mode=0o700)
    (config / "profiles.toml").write_text("version = 1\n[profiles\n")
    (config / "profiles.toml").chmod(0o600)
    code, document, _ = doctor()
    assert code == 4
    assert status(document, "profiles_file") == "error"


def test_clock_skew_past_a_minute_is_a_warning(profile: str) -> None:
    from sms_cli.services.doctor import run as run_doctor

    ahead = run_doctor(now=lambda: datetime.now(UTC) + timedelta(minutes=5))
    clock = next(c for c in ahead.checks if c.name == "clock")
    assert clock.status == "warning"
    assert "ahead of seven's clock" in clock.detail
    assert ahead.exit_code == 0
    behind = run_doctor(now=lambda: datetime.now(UTC) - timedelta(seconds=30))
    assert next(c for c in behind.checks if c.name == "clock").status == "ok"


def test_installed_completions_are_found(home: Path) -> None:
    fish = home / ".config" / "fish" / "completions" / "smsctl.fish"
    fish.parent.mkdir(parents=True)
    fish.write_text("# completion\n")
    code, document, _ = doctor("--offline")
    assert code == 0
    completions = next(c for c in document["checks"] if c["name"] == "completions")
    assert completions["status"] == "ok"
    assert f"fish ({fish})" in completions["detail"]
