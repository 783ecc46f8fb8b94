"""A token prompt answered with nothing (Enter alone) or an empty standard input: a clear
message and exit 2, never a traceback, and nothing saved. Ctrl-D: tests/cli/test_credentials.py."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Invoke
from tests.cli.test_credentials import _on_terminal


def test_enter_alone_at_the_token_prompt_is_a_clean_exit_2(tmp_path: Path) -> None:
    code, transcript = _on_terminal(
        tmp_path, ["profile", "add", "tty", "--provider", "seven"], [b"\n"]
    )
    assert code == 2, transcript
    assert b"no token given (empty input)" in transcript
    assert b"hint: pipe it in with --token-stdin" in transcript
    assert b"internal error" not in transcript
    assert not (tmp_path / "config" / "profiles.toml").exists()


def test_empty_standard_input_for_the_token_is_exit_2(smsctl: Invoke, tmp_path: Path) -> None:
    added = smsctl(["profile", "add", "x", "--provider", "seven", "--token-stdin"], input="")
    assert added.exit_code == 2
    assert "no token given (standard input was empty)" in added.stderr
    assert "hint:" in added.stderr
    assert not (tmp_path / "config" / "profiles.toml").exists()


def test_enter_alone_at_the_signing_key_prompt_is_exit_2(smsctl: Invoke) -> None:
    added = smsctl(["profile", "add", "s", "--provider", "seven", "--token-stdin"], input="tok")
    assert added.exit_code == 0, added.stderr
    stored = smsctl(["profile", "signing-key", "s", "--stdin"], input="\n")
    assert stored.exit_code == 2
    assert "no signing key given (standard input was empty)" in stored.stderr
