"""`smsctl profile ...` as users and scripts see it, with a canary token that must never leak."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import Result

from tests.cli.conftest import Invoke
from tests.providers.selection import any_provider

CANARY = "CANARY-tok-7f3a9c21e5b84d60"
OTHER_CANARY = "CANARY-env-0b1c2d3e4f5a6978"
ANY = any_provider()  # which one does not matter to these paths
PROFILE_KEYS = {
    "name",
    "provider",
    "default",
    "sender",
    "base_url",
    "region",
    "credentials",
    "token",
    "token_env",
    "store_text",
    "price_per_segment",
    "currency",
    "token_store",
    "signing_key",
}


def no_leak(result: Result, *secrets: str) -> Result:
    for secret in secrets or (CANARY, OTHER_CANARY):
        assert secret not in result.stdout
        assert secret not in result.stderr
    assert "Traceback" not in result.stderr
    return result


def add_live(smsctl: Invoke, *extra: str) -> Result:
    result = smsctl(
        [
            "profile",
            "add",
            "live",
            "--provider",
            "seven",
            "--sender",
            "Acme",
            "--token-stdin",
            *extra,
        ],
        input=CANARY + "\n",
    )
    assert result.exit_code == 0, result.stderr
    return no_leak(result)


def config_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "profiles.toml"


def test_add_stores_the_token_privately(smsctl: Invoke, tmp_path: Path) -> None:
    result = add_live(smsctl)
    assert "added profile 'live' (seven, default)" in result.stderr
    path = config_file(tmp_path)
    assert CANARY in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_add_json(smsctl: Invoke) -> None:
    result = add_live(smsctl, "--json", "--region", "se")
    doc = json.loads(result.stdout)
    assert set(doc) == PROFILE_KEYS
    assert doc["token"] == "CA…60"
    assert (doc["region"], doc["default"], doc["base_url"]) == (
        "SE",
        True,
        "https://gateway.seven.io/api",
    )


def test_list_masks_tokens(smsctl: Invoke) -> None:
    add_live(smsctl)
    result = no_leak(smsctl(["profile", "list"]))
    assert result.exit_code == 0
    assert "CA…60" in result.stdout
    doc = json.loads(no_leak(smsctl(["profile", "list", "--json"])).stdout)
    assert doc["default"] == "live"
    assert [p["name"] for p in doc["profiles"]] == ["live"]
    assert set(doc["profiles"][0]) == PROFILE_KEYS


def test_show_masks_unless_revealed(smsctl: Invoke) -> None:
    add_live(smsctl)
    shown = no_leak(smsctl(["profile", "show", "live"]))
    assert "CA…60" in shown.stdout
    doc = json.loads(no_leak(smsctl(["profile", "show", "--json"])).stdout)
    assert doc["token"] == "CA…60"
    assert doc["sources"]["profile"] == "default profile"
    revealed = smsctl(["profile", "show", "live", "--reveal"])
    assert CANARY in revealed.stdout
    revealed_json = json.loads(smsctl(["profile", "show", "live", "--reveal", "--json"]).stdout)
    assert revealed_json["token"] == CANARY


def test_show_says_where_values_come_from(smsctl: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    add_live(smsctl)
    monkeypatch.setenv("SMSCTL_TOKEN", OTHER_CANARY)
    monkeypatch.setenv("SMSCTL_PROFILE", "live")
    doc = json.loads(no_leak(smsctl(["profile", "show", "--json"])).stdout)
    assert doc["sources"]["profile"] == "SMSCTL_PROFILE"
    assert doc["sources"]["token"] == "SMSCTL_TOKEN"
    assert doc["sources"]["base_url"] == "provider default"
    assert doc["token"] == "CA…78"


def test_token_env_stores_only_the_variable_name(
    smsctl: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SMS_TOKEN", OTHER_CANARY)
    result = smsctl(
        ["profile", "add", "ci", "--provider", "connectel", "--token-env", "MY_SMS_TOKEN"]
    )
    assert result.exit_code == 0
    text = config_file(tmp_path).read_text()
    assert 'token_env = "MY_SMS_TOKEN"' in text
    assert OTHER_CANARY not in text
    doc = json.loads(no_leak(smsctl(["profile", "show", "ci", "--json"])).stdout)
    assert (doc["token_set"], doc["sources"]["token"]) == (True, "$MY_SMS_TOKEN")


def test_use_rename_remove(smsctl: Invoke) -> None:
    add_live(smsctl)
    assert (
        smsctl(
            ["profile", "add", "test", "--provider", "connectel", "--token-stdin"],
            input="tok-test-123456",
        ).exit_code
        == 0
    )
    assert json.loads(smsctl(["profile", "list", "--json"]).stdout)["default"] == "live"
    assert smsctl(["profile", "use", "test"]).exit_code == 0
    assert json.loads(smsctl(["profile", "list", "--json"]).stdout)["default"] == "test"
    assert smsctl(["profile", "rename", "test", "staging"]).exit_code == 0
    assert json.loads(smsctl(["profile", "list", "--json"]).stdout)["default"] == "staging"
    removed = smsctl(["profile", "remove", "staging"])
    assert removed.exit_code == 0
    assert "no default profile now" in removed.stderr
    doc = json.loads(smsctl(["profile", "list", "--json"]).stdout)
    assert (doc["default"], [p["name"] for p in doc["profiles"]]) == (None, ["live"])


def test_path(smsctl: Invoke, tmp_path: Path) -> None:
    assert smsctl(["profile", "path"]).stdout.strip() == str(config_file(tmp_path))
    doc = json.loads(smsctl(["profile", "path", "--json"]).stdout)
    assert doc == {"path": str(config_file(tmp_path)), "exists": False}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["profile", "show", "nope"], 4, "no profile named 'nope'"),
        (["profile", "use", "nope"], 4, "no profile named 'nope'"),
        (["profile", "remove", "nope"], 4, "no profile named 'nope'"),
        (["profile", "rename", "nope", "x"], 4, "no profile named 'nope'"),
        (["profile", "rename", "live", "bad name"], 2, "not a usable profile name"),
        (["profile", "add", "x", "--provider", "twilio", "--token-stdin"], 2, "unknown provider"),
        (
            [
                "profile",
                "add",
                "x",
                "--provider",
                ANY,
                "--sender",
                "WayTooLongSender",
                "--token-stdin",
            ],
            2,
            "at most 11",
        ),
        (
            [
                "profile",
                "add",
                "x",
                "--provider",
                ANY,
                "--base-url",
                "ftp://h",
                "--token-stdin",
            ],
            2,
            "not an http",
        ),
        (
            ["profile", "add", "x", "--provider", ANY, "--region", "XX", "--token-stdin"],
            2,
            "not a country code",
        ),
        (["profile", "add", "live", "--provider", ANY, "--token-stdin"], 2, "exists already"),
        (
            ["profile", "add", "x", "--provider", ANY, "--token-env", "1BAD"],
            2,
            "not an environment",
        ),
        (
            ["profile", "add", "x", "--provider", ANY, "--token-stdin", "--token-env", "V"],
            2,
            "not both",
        ),
        (["profile", "add", "x", "--provider", ANY], 2, "no token given"),
    ],
)
def test_failing_paths_exit_with_documented_codes_and_never_leak(
    smsctl: Invoke, args: list[str], code: int, message: str
) -> None:
    add_live(smsctl)
    result = no_leak(smsctl(args, input=OTHER_CANARY + "\n"))
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_no_profiles_hint(smsctl: Invoke) -> None:
    result = smsctl(["profile", "show"])
    assert result.exit_code == 4
    assert "smsctl profile add" in result.stderr


def test_unknown_profile_from_environment(smsctl: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    add_live(smsctl)
    monkeypatch.setenv("SMSCTL_PROFILE", "ghost")
    result = no_leak(smsctl(["profile", "show"]))
    assert result.exit_code == 4
    assert "no profile named 'ghost'" in result.stderr
    assert "known profiles: live" in result.stderr


def test_malformed_file_is_reported_and_kept(smsctl: Invoke, tmp_path: Path) -> None:
    path = config_file(tmp_path)
    path.parent.mkdir(parents=True)
    broken = f'version = 1\n[profiles.live]\nprovider = "seven"\ntoken = "{CANARY}\n'
    path.write_text(broken)
    for args in (["profile", "list"], ["profile", "show"], ["profile", "use", "live"]):
        result = no_leak(smsctl(args))
        assert result.exit_code == 4
        assert f"{path}, line 4: not valid TOML" in result.stderr
    result = no_leak(
        smsctl(
            ["profile", "add", "x", "--provider", "seven", "--token-stdin"], input="tok-x-1234567"
        )
    )
    assert result.exit_code == 4
    assert path.read_text() == broken


def test_loose_permissions_are_warned_about(smsctl: Invoke, tmp_path: Path) -> None:
    add_live(smsctl)
    config_file(tmp_path).chmod(0o644)
    result = no_leak(smsctl(["profile", "list"]))
    assert "can be read by other users (mode 0644)" in result.stderr


def test_debug_traceback_is_redacted(
    smsctl: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a bug's traceback must not carry a token: plant a bug that puts one in a message."""
    add_live(smsctl)
    config_file(tmp_path).write_text(
        f'version = 1\ndefault = "live"\n[profiles.live]\nprovider = "seven"\ntoken = "{CANARY}"\n'
    )
    from sms_cli.storage import profiles

    def broken_get(self: profiles.ProfileFile, name: str) -> profiles.Profile:
        raise RuntimeError(f"bug while handling {self.profiles[name].token}")

    monkeypatch.setattr(profiles.ProfileFile, "get", broken_get)
    result = smsctl(["--debug", "profile", "show"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "[redacted]" in result.stderr
    assert CANARY not in result.stderr


def test_hidden_prompt_on_a_terminal(tmp_path: Path) -> None:
    """On a real terminal the token is asked for without echo, and never printed."""
    env = {**os.environ, "SMSCTL_CONFIG_DIR": str(tmp_path / "config")}
    pid, fd = pty.fork()
    if pid == 0:  # child: smsctl on the terminal
        os.execve(
            sys.executable,
            [sys.executable, "-m", "sms_cli", "profile", "add", "tty", "--provider", "seven"],
            env,
        )
    transcript = b""
    deadline = time.monotonic() + 30
    while b"input hidden" not in transcript and time.monotonic() < deadline:
        transcript += os.read(fd, 1024)
    os.write(fd, (CANARY + "\n").encode())
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        transcript += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert CANARY.encode() not in transcript
    saved = subprocess.run(
        [sys.executable, "-m", "sms_cli", "profile", "show", "tty", "--reveal", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(saved.stdout)["token"] == CANARY
