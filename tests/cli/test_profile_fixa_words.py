"""One word for one change across profile commands, and messages that say what happened: a
token replaced by a variable in `profile edit`, `add --force` moving a token out of the OS
keyring, an editor killed by a signal."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.providers.selection import any_provider

CANARY = "CANARY-words-0a1b2c3d4e5f6789"
NEW_CANARY = "CANARY-words-9876f5e4d3c2b1a0"
ANY = any_provider()


def editor(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """EDITOR runs `code` with `p` the draft's path."""
    script = f"import os, signal, sys; p = sys.argv[-1]; {code}"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", shlex.join([sys.executable, "-c", script]))


def add(smsctl: Invoke, *extra: str, token: str = CANARY) -> None:
    args = ["profile", "add", "work", "--provider", ANY, "--token-stdin", *extra]
    added = smsctl([*args, "--base-url", "http://127.0.0.1:9"], input=token)
    assert added.exit_code == 0, added.stderr


def test_edit_replacing_the_token_by_a_variable_says_replaced_as_set_does(
    smsctl: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(smsctl)
    editor(
        monkeypatch,
        "t = open(p).read().replace('token = \"<unchanged>\"', 'token_env = \"WORK_TOKEN\"'); "
        "open(p, 'w').write(t)",
    )
    edited = smsctl(["profile", "edit", "work"])
    assert edited.exit_code == 0, edited.stderr
    assert edited.stdout == "profile 'work': token replaced (file -> $WORK_TOKEN)\n"


def test_add_force_over_a_keyring_profile_warns(smsctl: Invoke, file_keyring: Path) -> None:
    add(smsctl, "--token-store", "keyring")
    args = ["profile", "add", "work", "--provider", ANY, "--token-stdin", "--force"]
    forced = smsctl([*args, "--base-url", "http://127.0.0.1:9"], input=NEW_CANARY)
    assert forced.exit_code == 0, forced.stderr
    assert "token replaced (keyring -> file)" in forced.stderr
    assert CANARY not in forced.stderr and NEW_CANARY not in forced.stderr


def test_an_editor_killed_by_a_signal_is_named(
    smsctl: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(smsctl)
    editor(monkeypatch, "os.kill(os.getpid(), signal.SIGKILL)")
    edited = smsctl(["profile", "edit", "work"])
    assert edited.exit_code == 2, edited.stderr
    assert "the editor was killed by SIGKILL; nothing was saved" in edited.stderr
    assert "-9" not in edited.stderr
