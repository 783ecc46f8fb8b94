"""`profile check` and `profile add`'s token check, over loopback HTTP against every emulator
whose provider can check a token (built-ins and the Textbelt plugin alike)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import Result

from sms_cli.providers import registry
from sms_cli.providers.emulation import SandboxServer
from sms_cli.providers.info import Capability
from sms_cli.testing.contract import CANARY, EmulatorControl, run

CHECKABLE = sorted(
    name
    for name, info in registry.available().items()
    if info.supports(Capability.CHECK_TOKEN) and info.emulator
)
WRONG = "wrong-token-7f3a9c"
PROFILE_KEYS = {
    "name",
    "provider",
    "base_url",
    "default",
    "token_source",
    "result",
    "detail",
    "hint",
    "latency_ms",
}


@pytest.fixture(autouse=True)
def checking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMSCTL_NO_CHECK", raising=False)


@pytest.fixture(params=CHECKABLE)
def emu(sandbox: SandboxServer, request: pytest.FixtureRequest) -> EmulatorControl:
    name: str = request.param
    control = EmulatorControl(sandbox, name, registry.get(name).default_base_url)
    control.wait_idle()
    control.control("reset")
    control.set(tokens=[CANARY])
    return control


def add(name: str, provider: str, url: str, token: str, *extra: str) -> Result:
    return run(
        [
            "profile",
            "add",
            name,
            "--provider",
            provider,
            "--base-url",
            url,
            "--sender",
            "Acme",
            "--token-stdin",
            *extra,
        ],
        input=token,
    )


def stored(tmp_path: Path) -> str:
    path = tmp_path / "config" / "profiles.toml"
    return path.read_text() if path.exists() else ""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def no_secret(result: Result, token: str) -> None:
    for stream in (result.stdout, result.stderr):
        assert token not in stream
        assert token[:8] not in stream


def test_add_checks_the_token_and_saves_an_accepted_one(emu: EmulatorControl) -> None:
    added = add("live", emu.name, emu.base_url, CANARY)
    assert added.exit_code == 0, added.stderr
    assert "token checked: accepted by" in added.stderr
    assert [r for r in emu.requests() if r["method"] == "GET"], "no check request was made"
    assert not emu.sends()  # nothing sent


def test_add_refuses_a_rejected_token_and_saves_nothing(
    emu: EmulatorControl, tmp_path: Path
) -> None:
    added = add("live", emu.name, emu.base_url, WRONG)
    assert added.exit_code == 5, added.stderr
    assert "the token was not saved" in added.stderr
    assert "--no-check" in added.stderr
    assert "live" not in stored(tmp_path)
    no_secret(added, WRONG)
    # --no-check saves it without asking
    before = len(emu.requests())
    saved = add("live", emu.name, emu.base_url, WRONG, "--no-check")
    assert saved.exit_code == 0, saved.stderr
    assert "[profiles.live]" in stored(tmp_path)
    assert len(emu.requests()) == before


def test_add_warns_and_saves_when_the_provider_cannot_be_reached(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    added = add("offline", "seven", url, CANARY)
    assert added.exit_code == 0, added.stderr
    assert "warning: the token could not be checked" in added.stderr
    assert "smsctl profile check offline" in added.stderr
    assert "[profiles.offline]" in stored(tmp_path)


def test_add_refuses_a_base_url_with_no_api(sandbox: SandboxServer, tmp_path: Path) -> None:
    added = add("typo", "seven", f"{sandbox.url}/nowhere", CANARY)
    assert added.exit_code == 4, added.stderr
    assert "the profile was not saved" in added.stderr
    assert "typo" not in stored(tmp_path)


def test_check_reports_each_profile_with_a_stable_json_schema(emu: EmulatorControl) -> None:
    assert add("good", emu.name, emu.base_url, CANARY).exit_code == 0
    assert add("bad", emu.name, emu.base_url, WRONG, "--no-check").exit_code == 0
    checked = run(["profile", "check", "--json"])
    assert checked.exit_code == 5, checked.stderr
    document = json.loads(checked.stdout)
    assert set(document) == {"profiles", "exit_code"}
    assert document["exit_code"] == 5
    profiles = document["profiles"]
    assert [p["name"] for p in profiles] == ["good", "bad"]  # the default first
    for entry in profiles:
        assert set(entry) == PROFILE_KEYS
        assert entry["provider"] == emu.name
        assert entry["base_url"] == emu.base_url
        assert entry["token_source"] == "profile"
    good, bad = profiles
    assert good["result"] == "ok" and good["default"] is True
    assert isinstance(good["latency_ms"], int)
    assert bad["result"] == "rejected"
    assert bad["hint"] == "set the right token: smsctl profile set bad --token-stdin"
    assert "profile bad: rejected" in checked.stderr
    no_secret(checked, WRONG)

    one = run(["profile", "check", "good"])
    assert one.exit_code == 0, one.stderr
    assert "good (default)" in one.stdout and "bad" not in one.stdout


def test_unreachable_provider_exits_6_with_the_reason() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    assert add("gone", "seven", url, CANARY, "--no-check").exit_code == 0
    checked = run(["profile", "check", "--json"])
    assert checked.exit_code == 6, checked.stderr
    entry = json.loads(checked.stdout)["profiles"][0]
    assert entry["result"] == "unreachable"
    assert "cannot reach seven.io" in entry["detail"]
    assert entry["latency_ms"] is None


def test_token_from_an_unset_variable_is_reported_exit_4(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECKS_TOKEN", CANARY)
    added = run(
        [
            "profile",
            "add",
            "env",
            "--provider",
            "seven",
            "--token-env",
            "CHECKS_TOKEN",
            "--base-url",
            "http://127.0.0.1:9",
            "--no-check",
        ]
    )
    assert added.exit_code == 0, added.stderr
    monkeypatch.delenv("CHECKS_TOKEN")
    checked = run(["profile", "check", "--json"])
    assert checked.exit_code == 4, checked.stderr
    entry = json.loads(checked.stdout)["profiles"][0]
    assert entry["result"] == "no_token"
    assert entry["token_source"] == "$CHECKS_TOKEN"
    assert "CHECKS_TOKEN, which is not set" in entry["detail"]


def test_broken_profile_is_reported_and_the_others_still_checked(
    emu: EmulatorControl, tmp_path: Path
) -> None:
    assert add("good", emu.name, emu.base_url, CANARY).exit_code == 0
    path = tmp_path / "config" / "profiles.toml"
    path.write_text(path.read_text() + '\n[profiles.odd]\nprovider = "seven"\nregion = "XX"\n')
    checked = run(["profile", "check", "--json"])
    assert checked.exit_code == 4, checked.stderr
    results = {p["name"]: p["result"] for p in json.loads(checked.stdout)["profiles"]}
    assert results == {"good": "ok", "odd": "broken"}
    named = run(["profile", "check", "odd"])
    assert named.exit_code == 4
    assert "profile odd: broken" in named.stderr
    unknown = run(["profile", "check", "nosuch"])
    assert unknown.exit_code == 4
    assert "no profile named 'nosuch'" in unknown.stderr


def test_precedence_rejected_over_unreachable_over_broken(emu: EmulatorControl) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    assert add("a-gone", "seven", url, CANARY, "--no-check").exit_code == 0
    run(["profile", "add", "b-env", "--provider", "seven", "--token-env", "UNSET_VAR_X"])
    assert run(["profile", "check"]).exit_code == 6  # unreachable beats a missing token
    assert add("c-bad", emu.name, emu.base_url, WRONG, "--no-check").exit_code == 0
    assert run(["profile", "check"]).exit_code == 5  # a rejected token beats both


def test_no_profiles_is_ok_and_says_so() -> None:
    checked = run(["profile", "check"])
    assert checked.exit_code == 0
    assert "no profiles to check" in checked.stderr
