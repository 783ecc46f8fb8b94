"""`smsctl profile edit`: the profile's table in $VISUAL/$EDITOR (a fake editor script here),
checked as loading checks it, saved only when it passes; secrets never in the edited file."""

from __future__ import annotations

import json
import os
import pty
import shlex
import sys
import time
import tomllib
from pathlib import Path

import pytest
from typer.testing import Result

from sms_cli.testing.file_keyring import FileKeyring
from tests.cli.conftest import Invoke
from tests.providers.selection import any_provider

CANARY = "CANARY-ed-3c4d5e6f7a8b9c0d"
ANY = any_provider()

# The fake editor: records what it was given (its text, mode and directory), then edits the
# file as FAKE_EDITS says for this run (a JSON list, one [old, new] pair or null per run).
FAKE_EDITOR = r"""
import json, os, sys
path = sys.argv[-1]
state = os.environ["FAKE_STATE"]
runs = len(os.listdir(state))
text = open(path, encoding="utf-8").read()
with open(os.path.join(state, f"run{runs}.json"), "w") as seen:
    json.dump({"text": text, "mode": os.stat(path).st_mode & 0o777,
               "dir": os.path.dirname(path), "path": path, "argv": sys.argv[1:-1]}, seen)
edits = json.loads(os.environ.get("FAKE_EDITS", "[]"))
edit = edits[runs] if runs < len(edits) else None
if edit is not None:
    old, new = edit
    text = text.replace(old, new) if old else text + new
    open(path, "w", encoding="utf-8").write(text)
meanwhile = os.environ.get("FAKE_MEANWHILE")  # [file, old, new]: another writer's change
if meanwhile:
    other, old, new = json.loads(meanwhile)
    changed = open(other, encoding="utf-8").read().replace(old, new)
    open(other, "w", encoding="utf-8").write(changed)
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """EDITOR is the fake editor; the directory its runs are recorded in."""
    script = tmp_path / "fake_editor.py"
    script.write_text(FAKE_EDITOR)
    state = tmp_path / "editor-runs"
    state.mkdir()
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", shlex.join([sys.executable, str(script)]))
    monkeypatch.setenv("FAKE_STATE", str(state))
    return state


def edits(monkeypatch: pytest.MonkeyPatch, *runs: tuple[str, str] | None) -> None:
    monkeypatch.setenv("FAKE_EDITS", json.dumps(list(runs)))


def runs(state: Path) -> list[dict[str, object]]:
    return [
        json.loads((state / f"run{i}.json").read_text()) for i in range(len(list(state.iterdir())))
    ]


def no_leak(result: Result) -> Result:
    assert CANARY not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def config(tmp_path: Path) -> Path:
    return tmp_path / "config"


def add_work(smsctl: Invoke, *extra: str) -> None:
    result = smsctl(
        ["profile", "add", "work", "--provider", ANY, "--token-stdin", "--sender", "Acme", *extra],
        input=CANARY,
    )
    assert result.exit_code == 0, result.stderr


def leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in config(tmp_path).iterdir() if p.name.startswith(".edit-"))


def test_edit_saves_a_checked_change_and_never_writes_the_token(
    smsctl: Invoke, tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    edits(monkeypatch, ('sender = "Acme"', 'sender = "Shop"\nregion = "se"'))
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "profile 'work': sender Acme -> Shop; region (not set) -> SE\n"
    (seen,) = runs(editor)
    assert CANARY not in str(seen["text"])
    assert 'token = "<unchanged>"' in str(seen["text"])
    assert (seen["mode"], seen["dir"]) == (0o600, str(config(tmp_path)))
    assert leftovers(tmp_path) == []
    table = tomllib.loads((config(tmp_path) / "profiles.toml").read_text())["profiles"]["work"]
    assert (table["sender"], table["region"], table["token"]) == ("Shop", "SE", CANARY)


def test_unchanged_is_no_change(
    smsctl: Invoke, tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    before = (config(tmp_path) / "profiles.toml").read_bytes()
    edits(monkeypatch, None)
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert (result.exit_code, result.stdout) == (0, "profile 'work': no change\n")
    edits(monkeypatch, ("", "\n# only a comment\n"))
    result = no_leak(smsctl(["profile", "edit", "work", "--json"]))
    assert json.loads(result.stdout) == {"profile": "work", "changed": {}}
    assert (config(tmp_path) / "profiles.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('sender = "Acme"', 'region = "QQ"'), "line 8: 'region': 'QQ' is not a country code"),
        (('sender = "Acme"', "region = SE"), "line 8: not valid TOML"),
        (('sender = "Acme"', 'colour = "red"'), "unknown key 'colour'"),
        (("provider = ", 'provider = "other" #'), "the provider of profile 'work' cannot be"),
        (('token = "<unchanged>"', 'token = "two words"'), "the token contains spaces"),
        (("", 'keyring_id = "0"'), "'keyring_id' is not edited here"),
    ],
)
def test_an_edit_that_fails_the_checks_saves_nothing(
    smsctl: Invoke,
    tmp_path: Path,
    editor: Path,
    monkeypatch: pytest.MonkeyPatch,
    edit: tuple[str, str],
    message: str,
) -> None:
    add_work(smsctl)
    before = (config(tmp_path) / "profiles.toml").read_bytes()
    edits(monkeypatch, edit)
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert "profile 'work' is unchanged" in result.stderr
    assert (config(tmp_path) / "profiles.toml").read_bytes() == before
    assert leftovers(tmp_path) == []


def test_an_editor_that_fails_or_is_missing_saves_nothing(
    smsctl: Invoke, tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    before = (config(tmp_path) / "profiles.toml").read_bytes()
    edits(monkeypatch, ('sender = "Acme"', 'sender = "Shop"'))
    monkeypatch.setenv("FAKE_EXIT", "3")
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.exit_code == 2
    assert "the editor exited with status 3; nothing was saved" in result.stderr
    monkeypatch.setenv("VISUAL", str(tmp_path / "no-such-editor"))
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.exit_code == 4
    assert "cannot start the editor" in result.stderr and "EDITOR" in result.stderr
    assert (config(tmp_path) / "profiles.toml").read_bytes() == before
    assert leftovers(tmp_path) == []


def test_visual_wins_and_an_editor_command_may_have_arguments(
    smsctl: Invoke, tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    script = tmp_path / "fake_editor.py"
    monkeypatch.setenv("EDITOR", "false")
    monkeypatch.setenv("VISUAL", shlex.join([sys.executable, str(script), "-w", "--new window"]))
    edits(monkeypatch, ('sender = "Acme"', 'sender = "Shop"'))
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.exit_code == 0, result.stderr
    assert runs(editor)[0]["argv"] == ["-w", "--new window"]


def test_unknown_profile_is_exit_4_without_an_editor(smsctl: Invoke, editor: Path) -> None:
    result = smsctl(["profile", "edit", "ghost"])
    assert result.exit_code == 4
    assert runs(editor) == []


def test_a_token_typed_in_replaces_it_and_a_deleted_line_removes_it(
    smsctl: Invoke, tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    edits(monkeypatch, ('token = "<unchanged>"', 'token = "typed-in-token-1234"'))
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.stdout == "profile 'work': token replaced\n"
    assert "typed-in-token-1234" not in result.stdout + result.stderr
    edits(monkeypatch, None, ('token = "<unchanged>"', ""))
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.stdout == "profile 'work': token removed\n"


def test_a_keyring_profile_is_edited_without_its_token(
    smsctl: Invoke,
    tmp_path: Path,
    editor: Path,
    monkeypatch: pytest.MonkeyPatch,
    file_keyring: Path,
) -> None:
    add_work(smsctl, "--token-store", "keyring")
    entries = FileKeyring.entries(file_keyring)
    edits(monkeypatch, ('sender = "Acme"', 'sender = "Shop"'))
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.exit_code == 0, result.stderr
    text = str(runs(editor)[0]["text"])
    assert "token =" not in text and "keyring_id" not in text
    assert "smsctl profile set work --token-stdin" in text
    assert FileKeyring.entries(file_keyring) == entries
    table = tomllib.loads((config(tmp_path) / "profiles.toml").read_text())["profiles"]["work"]
    assert (table["sender"], table["token_store"]) == ("Shop", "keyring")


def test_on_a_terminal_a_failed_check_offers_to_edit_again(
    smsctl: Invoke, tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    # first run: a bad region; second run (after "y"): the fix
    edits(monkeypatch, ('sender = "Acme"', 'region = "QQ"'), ('region = "QQ"', 'region = "DE"'))
    pid, fd = pty.fork()
    if pid == 0:  # child: smsctl on the terminal
        os.execve(sys.executable, [sys.executable, "-m", "sms_cli", "profile", "edit", "work"],
                  dict(os.environ))  # fmt: skip
    transcript = b""
    deadline = time.monotonic() + 30
    while b"Edit again?" not in transcript and time.monotonic() < deadline:
        transcript += os.read(fd, 1024)
    assert b"'QQ' is not a country code" in transcript
    os.write(fd, b"y\n")
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        transcript += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, transcript
    assert b"region (not set) -> DE" in transcript
    assert len(runs(editor)) == 2
    assert 'region = "QQ"' in str(runs(editor)[1]["text"])  # the user's text, to fix
    assert leftovers(tmp_path) == []


def test_a_profile_changed_while_it_was_edited_is_not_overwritten(
    smsctl: Invoke, tmp_path: Path, editor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    path = config(tmp_path) / "profiles.toml"
    edits(monkeypatch, ('sender = "Acme"', 'sender = "Shop"'))
    monkeypatch.setenv(
        "FAKE_MEANWHILE", json.dumps([str(path), 'sender = "Acme"', 'sender = "Other"'])
    )
    result = no_leak(smsctl(["profile", "edit", "work"]))
    assert result.exit_code == 4
    assert "was changed by another smsctl while it was being edited" in result.stderr
    assert 'sender = "Other"' in path.read_text()
    assert leftovers(tmp_path) == []
