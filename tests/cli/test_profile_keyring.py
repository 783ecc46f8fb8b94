"""`--token-store keyring`: the token in the OS keyring (a file backend here, never the user's),
the profiles file naming only where it is; moved, replaced, renamed and removed with the profile."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import Result

from sms_cli.testing.file_keyring import FileKeyring
from tests.cli.conftest import Invoke
from tests.providers.selection import any_provider

CANARY = "CANARY-kr-1a2b3c4d5e6f7a8b"
NEW_CANARY = "CANARY-kr-9f8e7d6c5b4a3921"
ANY = any_provider()


def no_leak(result: Result) -> Result:
    for secret in (CANARY, NEW_CANARY):
        assert secret not in result.stdout
        assert secret not in result.stderr
    assert "Traceback" not in result.stderr
    return result


def profile_table(tmp_path: Path, name: str = "work") -> dict[str, object]:
    text = (tmp_path / "config" / "profiles.toml").read_text()
    assert CANARY not in text and NEW_CANARY not in text
    table: dict[str, object] = tomllib.loads(text)["profiles"][name]
    return table


def add_in_keyring(smsctl: Invoke) -> Result:
    return no_leak(
        smsctl(
            [
                "profile",
                "add",
                "work",
                "--provider",
                ANY,
                "--token-stdin",
                "--token-store",
                "keyring",
                "--base-url",
                "http://127.0.0.1:9",
            ],
            input=CANARY,
        )
    )


def test_add_keeps_the_token_in_the_keyring_only(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    result = add_in_keyring(smsctl)
    assert result.exit_code == 0, result.stderr
    assert "token in the OS keyring" in result.stderr
    table = profile_table(tmp_path)
    assert table["token_store"] == "keyring" and "token" not in table
    assert FileKeyring.entries(file_keyring) == {table["keyring_id"]: CANARY}
    shown = json.loads(no_leak(smsctl(["profile", "show", "work", "--json"])).stdout)
    assert (shown["token_store"], shown["sources"]["token"], shown["token_set"]) == (
        "keyring",
        "keyring",
        True,
    )
    human = no_leak(smsctl(["profile", "show", "work"])).stdout
    assert "OS keyring" in human.splitlines()[3]  # the token's row: where it lives
    assert no_leak(smsctl(["profile", "set", "work", "--token-store", "file"])).exit_code == 0
    assert "profiles file" in no_leak(smsctl(["profile", "show", "work"])).stdout.splitlines()[3]
    assert no_leak(smsctl(["profile", "set", "work", "--token-store", "keyring"])).exit_code == 0
    assert "(OS keyring)" in no_leak(smsctl(["profile", "list"])).stdout
    # the token read from the keyring is what commands use, and a secret like a file token
    revealed = json.loads(smsctl(["profile", "show", "work", "--reveal", "--json"]).stdout)
    assert revealed["token"] == CANARY
    from sms_cli.core.redaction import redact

    assert CANARY not in redact(f"echoed {CANARY} back")


def test_set_replaces_moves_and_keeps_one_entry(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    add_in_keyring(smsctl)
    first = profile_table(tmp_path)["keyring_id"]
    replaced = no_leak(smsctl(["profile", "set", "work", "--token-stdin"], input=NEW_CANARY))
    assert replaced.stdout == "profile 'work': token replaced\n"
    second = profile_table(tmp_path)["keyring_id"]
    assert second != first
    assert FileKeyring.entries(file_keyring) == {second: NEW_CANARY}
    moved = no_leak(smsctl(["profile", "set", "work", "--token-store", "file"]))
    assert moved.stdout == "profile 'work': token moved (keyring -> file)\n"
    text = (tmp_path / "config" / "profiles.toml").read_text()
    assert f'token = "{NEW_CANARY}"' in text and "keyring" not in text
    assert FileKeyring.entries(file_keyring) == {}
    back = no_leak(smsctl(["profile", "set", "work", "--token-store", "keyring", "--json"]))
    assert json.loads(back.stdout)["changed"] == {
        "token": {"change": "moved", "old": "file", "new": "keyring"}
    }
    table = profile_table(tmp_path)
    assert FileKeyring.entries(file_keyring) == {table["keyring_id"]: NEW_CANARY}


def test_rename_keeps_the_entry_and_remove_deletes_it(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    add_in_keyring(smsctl)
    entry = profile_table(tmp_path)["keyring_id"]
    assert smsctl(["profile", "rename", "work", "office"]).exit_code == 0
    assert profile_table(tmp_path, "office")["keyring_id"] == entry
    revealed = json.loads(smsctl(["profile", "show", "office", "--reveal", "--json"]).stdout)
    assert revealed["token"] == CANARY
    assert no_leak(smsctl(["profile", "remove", "office"])).exit_code == 0
    assert FileKeyring.entries(file_keyring) == {}


def test_add_force_over_a_keyring_profile_deletes_its_entry(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    add_in_keyring(smsctl)
    result = no_leak(
        smsctl(
            ["profile", "add", "work", "--provider", ANY, "--token-stdin", "--force"],
            input=NEW_CANARY,
        )
    )
    assert result.exit_code == 0, result.stderr
    assert FileKeyring.entries(file_keyring) == {}
    assert f'token = "{NEW_CANARY}"' in (tmp_path / "config" / "profiles.toml").read_text()


def test_no_keyring_is_exit_4_with_a_hint_and_nothing_written(
    smsctl: Invoke, tmp_path: Path
) -> None:
    """The tests' default backend is keyring's "fail" one: what a machine without a keyring
    (a CI runner) has."""
    result = add_in_keyring(smsctl)
    assert result.exit_code == 4, result.stderr
    assert "smsctl: error: no OS keyring is available to store the token" in result.stderr
    assert "PYTHON_KEYRING_BACKEND" in result.stderr and "--token-store file" in result.stderr
    assert not (tmp_path / "config" / "profiles.toml").exists()


def test_a_missing_entry_names_the_profile_and_the_fix(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    add_in_keyring(smsctl)
    file_keyring.write_text("{}")
    result = no_leak(smsctl(["send", "--to", "+46701234567", "hi", "--profile", "work"]))
    assert result.exit_code == 4, result.stderr
    assert "profile 'work' keeps its token in the OS keyring, but the keyring has no entry" in (
        result.stderr
    )
    assert "hint: store it again: smsctl profile set work --token-stdin" in result.stderr
    shown = no_leak(smsctl(["profile", "show", "work", "--json"]))
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["token_set"] is False
    fixed = no_leak(smsctl(["profile", "set", "work", "--token-stdin"], input=NEW_CANARY))
    assert fixed.exit_code == 0, fixed.stderr


def test_a_keyring_that_fails_on_read_is_exit_4(
    smsctl: Invoke, file_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_in_keyring(smsctl)
    file_keyring.write_text("not json")  # the backend raises ValueError on every read
    result = no_leak(smsctl(["send", "--to", "+46701234567", "hi"]))
    assert result.exit_code == 4, result.stderr
    assert "the OS keyring failed to read the token of profile 'work'" in result.stderr


def test_token_env_and_keyring_do_not_mix(smsctl: Invoke, file_keyring: Path) -> None:
    result = smsctl(
        [
            "profile",
            "add",
            "work",
            "--provider",
            ANY,
            "--token-env",
            "T",
            "--token-store",
            "keyring",
        ]
    )
    assert result.exit_code == 2
    assert "--token-store keyring keeps a token, not the name of a variable" in result.stderr


def test_no_test_reaches_the_real_keyring() -> None:
    import keyring
    from keyring.backends import fail

    assert isinstance(keyring.get_keyring(), fail.Keyring)


def test_token_env_on_a_keyring_profile_drops_the_entry(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    add_in_keyring(smsctl)
    result = no_leak(smsctl(["profile", "set", "work", "--token-env", "WORK_TOKEN"]))
    assert result.stdout == "profile 'work': token replaced (keyring -> $WORK_TOKEN)\n"
    table = profile_table(tmp_path)
    assert table.get("token_store") is None and table["token_env"] == "WORK_TOKEN"
    assert FileKeyring.entries(file_keyring) == {}


def test_show_of_a_keyring_profile_without_a_keyring_says_why(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_in_keyring(smsctl)
    from tests.conftest import NO_KEYRING, _reload_keyring_backend

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    _reload_keyring_backend()
    shown = no_leak(smsctl(["profile", "show", "work", "--json"]))
    assert shown.exit_code == 0
    doc = json.loads(shown.stdout)
    assert doc["token_set"] is False
    assert doc["sources"]["token"].startswith("keyring (no OS keyring is available")


def test_a_token_in_the_keyring_is_held_to_the_file_token_rule(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    add_in_keyring(smsctl)
    entry = profile_table(tmp_path)["keyring_id"]
    file_keyring.write_text(json.dumps({f"smsctl\x00{entry}": CANARY + "\r\nX-Evil: 1"}))
    result = no_leak(smsctl(["send", "--to", "+46701234567", "hi"]))
    assert result.exit_code == 4, result.stderr
    assert "the token in the OS keyring is not usable" in result.stderr
    assert "smsctl profile set work --token-stdin" in result.stderr
