"""A provider that cannot check a token (no Capability.CHECK_TOKEN): `profile add` saves the
profile with a note, `profile check` reports it `not_checkable` and exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.cli.test_credentials import ACCOUNT, CLIENT_MODULE, INFO_MODULE, SECRET
from tests.plugins.kit import installed


def test_a_provider_without_a_token_check_is_saved_with_a_note(
    smsctl: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMSCTL_NO_CHECK", raising=False)
    modules = {"twocred_info.py": INFO_MODULE, "twocred_client.py": CLIENT_MODULE}
    with installed(tmp_path, "smsctl-twocred", "0.1", {"twocred": "twocred_info:INFO"}, modules):
        added = smsctl(
            [
                "profile",
                "add",
                "two",
                "--provider",
                "twocred",
                "--credential",
                f"account_id={ACCOUNT}",
                "--credential-stdin",
                "auth_token",
            ],
            input=SECRET,
        )
        assert added.exit_code == 0, added.stderr
        assert "note: the token was not checked: Two Credentials offers no way" in added.stderr
        checked = smsctl(["profile", "check", "--json"])
        assert checked.exit_code == 0, checked.stderr
        entry = json.loads(checked.stdout)["profiles"][0]
        assert entry["result"] == "not_checkable"
        assert entry["latency_ms"] is None
        for stream in (added.stdout, added.stderr, checked.stdout, checked.stderr):
            assert SECRET not in stream
