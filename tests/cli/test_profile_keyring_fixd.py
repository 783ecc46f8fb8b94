"""Round-2 fixes (fix D) around the OS keyring: an entry two profiles of one file name (a table
copied by hand) stays while either still names it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from sms_cli.testing.file_keyring import FileKeyring
from tests.cli.conftest import Invoke
from tests.providers.selection import any_provider

CANARY = "CANARY-krfixd-1a2b3c4d5e6f7a8b"
ANY = any_provider()


def test_removing_one_of_two_profiles_sharing_a_keyring_entry_keeps_the_token(
    smsctl: Invoke, tmp_path: Path, file_keyring: Path
) -> None:
    added = smsctl(
        ["profile", "add", "work", "--provider", ANY, "--token-stdin", "--token-store", "keyring",
         "--base-url", "http://127.0.0.1:9"],
        input=CANARY,
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    path = tmp_path / "config" / "profiles.toml"
    text = path.read_text()
    table = text[text.index("[profiles.work]") :]
    path.write_text(text + "\n" + table.replace("[profiles.work]", "[profiles.home]", 1))
    entry = tomllib.loads(path.read_text())["profiles"]["home"]["keyring_id"]
    assert FileKeyring.entries(file_keyring) == {entry: CANARY}

    removed = smsctl(["profile", "remove", "work"])
    assert removed.exit_code == 0, removed.stderr
    assert FileKeyring.entries(file_keyring) == {entry: CANARY}
    assert "another profile" in removed.stderr
    shown = smsctl(["profile", "show", "home", "--reveal", "--json"])
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["token"] == CANARY

    # The last profile naming it takes it along.
    assert smsctl(["profile", "remove", "home"]).exit_code == 0
    assert FileKeyring.entries(file_keyring) == {}
    assert FileKeyring.owners(file_keyring) == {}
