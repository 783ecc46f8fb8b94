"""The OS keyring entries `profile remove` and `profile set` delete (a file backend here): a
broken profile's entry goes with it, and an entry another profiles file still names (a copied
config directory) is left where it is, with a word saying so."""

from __future__ import annotations

import tomllib
from pathlib import Path

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
