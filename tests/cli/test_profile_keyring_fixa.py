"""The OS keyring entries `profile remove` and `profile set` delete (a file backend here): a
broken profile's entry goes with it, and an entry another profiles file still names (a copied
config directory) is left where it is, with a word saying so."""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from sms_cli.testing.file_keyring import FileKeyring
from tests.cli.conftest import Invoke
from tests.providers.selection import any_provider

CANARY = "CANARY-krfix-1a2b3c4d5e6f7a8b"
NEW_CANARY = "CANARY-krfix-9f8e7d6c5b4a3921"
ANY = any_provider()


def profiles_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "profiles.toml"


def add_in_keyring(smsctl: Invoke) -> None:
    args = ["profile", "add", "work", "--provider", ANY, "--token-stdin"]
    added = smsctl([*args, "--token-store", "keyring", "--base-url", "http://127.0.0.1:9"],
                   input=CANARY)  # fmt: skip
    assert added.exit_code == 0, added.stderr


def test_removing_a_broken_keyring_profile_deletes_its_entry(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    add_in_keyring(smsctl)
    path = profiles_file(tmp_path)
    entry = tomllib.loads(path.read_text())["profiles"]["work"]["keyring_id"]
    assert FileKeyring.entries(file_keyring) == {entry: CANARY}
    path.write_text(path.read_text().replace('base_url = "http://127.0.0.1:9"', 'base_url = "x"'))
    listed = smsctl(["profile", "list"])
    assert "work" in listed.stdout + listed.stderr
    removed = smsctl(["profile", "remove", "work"])
    assert removed.exit_code == 0, removed.stderr
    assert "work" not in tomllib.loads(path.read_text()).get("profiles", {})
    assert FileKeyring.entries(file_keyring) == {}


def test_a_copied_config_directory_leaves_the_originals_entry(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_in_keyring(smsctl)
    original = profiles_file(tmp_path)
    entry = tomllib.loads(original.read_text())["profiles"]["work"]["keyring_id"]
    assert FileKeyring.owners(file_keyring) == {entry: os.path.realpath(original)}
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "config", copy)
    monkeypatch.setenv("SMSCTL_CONFIG_DIR", str(copy))
    replaced = smsctl(["profile", "set", "work", "--token-stdin"], input=NEW_CANARY)
    assert replaced.exit_code == 0, replaced.stderr
    assert f"it belongs to {os.path.realpath(original)}, which still names it" in replaced.stderr
    removed = smsctl(["profile", "remove", "work"])
    assert removed.exit_code == 0, removed.stderr
    # The copy's own new entry is gone with its profile; the original's token is still there.
    assert FileKeyring.entries(file_keyring) == {entry: CANARY}
    monkeypatch.setenv("SMSCTL_CONFIG_DIR", str(tmp_path / "config"))
    shown = smsctl(["profile", "show", "work", "--reveal", "--json"])
    assert json.loads(shown.stdout)["token"] == CANARY
    assert smsctl(["profile", "remove", "work"]).exit_code == 0
    assert FileKeyring.entries(file_keyring) == {}
    assert FileKeyring.owners(file_keyring) == {}


def test_an_entry_whose_owner_file_is_gone_is_deleted(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_in_keyring(smsctl)
    moved = tmp_path / "moved"
    (tmp_path / "config").rename(moved)
    monkeypatch.setenv("SMSCTL_CONFIG_DIR", str(moved))
    removed = smsctl(["profile", "remove", "work"])
    assert removed.exit_code == 0, removed.stderr
    assert "left the old token" not in removed.stderr
    assert FileKeyring.entries(file_keyring) == {}
    assert FileKeyring.owners(file_keyring) == {}


def test_check_with_a_failing_keyring_says_keyring_and_puts_the_reason_in_detail(
    smsctl: Invoke, file_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_in_keyring(smsctl)
    from tests.conftest import NO_KEYRING, _reload_keyring_backend

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    _reload_keyring_backend()
    checked = smsctl(["profile", "check", "--json"])
    assert checked.exit_code == 4, checked.stderr
    entry = json.loads(checked.stdout)["profiles"][0]
    assert entry["token_source"] == "keyring"
    assert entry["result"] == "no_token"
    assert "no OS keyring is available" in entry["detail"]
