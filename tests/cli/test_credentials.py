"""Credentials as data: a plugin provider with an account id (not secret) and a secret, installed
through a real entry point, goes through `profile add`, `profile show` and `send` against a
loopback HTTP server that checks both arrive; the secret never shows in output or the history."""

from __future__ import annotations

import json
import os
import pty
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Invoke
from tests.plugins.kit import installed

ACCOUNT = "AC-0042"
SECRET = "s3cr3t-Auth-7f1e9c2b4d"  # the canary: never in any output, error or history

INFO_MODULE = """
import re
from sms_cli.providers.info import Capability, Credential, ProviderInfo, SenderRule
INFO = ProviderInfo(
    name="twocred", title="Two Credentials", default_base_url="https://api.twocred.example",
    max_text_chars=918, sender=SenderRule(11, 15, re.compile(r"[A-Za-z0-9 ]+")),
    client="twocred_client:Client",
    credentials=(
        Credential("account_id", "account id", secret=False),
        Credential("auth_token", "auth token"),
    ),
    capabilities=frozenset({Capability.SEND}),
)
"""

CLIENT_MODULE = """
from sms_cli.providers.base import Provider, SendResult
from twocred_info import INFO

class Client(Provider):
    info = INFO

    def headers(self):
        return {"Authorization": "Bearer " + self.credentials["auth_token"]}

    def send(self, request):
        path = "/accounts/" + self.credentials["account_id"] + "/messages"
        reply = self.transport.send(
            "POST", path, json={"to": [r.number for r in request.recipients], "text": request.text}
        )
        if not reply.is_success:
            return [
                SendResult(r.number, r.local_id, "rejected", error=f"HTTP {reply.status_code}")
                for r in request.recipients
            ]
        ids = reply.json()["ids"]
        return [
            SendResult(r.number, r.local_id, "queued", id=i)
            for r, i in zip(request.recipients, ids)
        ]
"""


class Gateway(BaseHTTPRequestHandler):
    """Accepts a send only with the account id in the path and the secret in the header."""

    seen: list[tuple[str, str]]

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.seen.append((self.path, self.headers.get("authorization", "")))
        ok = (
            self.path == f"/accounts/{ACCOUNT}/messages"
            and self.headers.get("authorization") == f"Bearer {SECRET}"
        )
        answer = {"ids": [f"m{i}" for i, _ in enumerate(body.get("to", []))]} if ok else {}
        data = json.dumps(answer).encode()
        self.send_response(200 if ok else 401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    handler = type("Handler", (Gateway,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def plugin(tmp_path: Path) -> Iterator[None]:
    modules = {"twocred_info.py": INFO_MODULE, "twocred_client.py": CLIENT_MODULE}
    with installed(tmp_path, "smsctl-twocred", "0.1", {"twocred": "twocred_info:INFO"}, modules):
        yield


def no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert SECRET[-8:] not in text


def add(smsctl: Invoke, *extra: str, input: str | None = SECRET) -> Any:
    args = ["profile", "add", "acct", "--provider", "twocred", "--token-stdin", *extra]
    if input is None:
        args.remove("--token-stdin")
    result = smsctl(args, input=input)
    no_secret(result.stdout, result.stderr)
    return result


def test_add_show_send_with_two_credentials(
    smsctl: Invoke,
    plugin: None,
    gateway: tuple[str, list[tuple[str, str]]],
    tmp_path: Path,
) -> None:
    url, seen = gateway
    added = add(smsctl, "--credential", f"account_id={ACCOUNT}", "--base-url", url, "--json")
    assert added.exit_code == 0, added.stderr
    assert json.loads(added.stdout)["credentials"]["account_id"]["value"] == ACCOUNT

    shown = smsctl(["profile", "show", "--json"])
    assert shown.exit_code == 0, shown.stderr
    no_secret(shown.stdout, shown.stderr)
    document = json.loads(shown.stdout)
    credentials = document["credentials"]
    assert credentials["account_id"] == {"value": ACCOUNT, "env": None, "secret": False}
    assert credentials["auth_token"]["secret"] is True
    assert credentials["auth_token"]["value"] not in (None, SECRET)
    assert document["token"] == credentials["auth_token"]["value"]  # the first secret, masked
    assert document["sources"]["account_id"] == "profile"
    for command in (["profile", "show"], ["profile", "list"], ["profile", "list", "--json"]):
        listed = smsctl(command)
        assert listed.exit_code == 0, listed.stderr
        no_secret(listed.stdout, listed.stderr)
        assert ACCOUNT in listed.stdout or command == ["profile", "list"]

    sent = smsctl(["send", "--to", "+46701234567", "hello", "--json"])
    no_secret(sent.stdout, sent.stderr)
    assert sent.exit_code == 0, sent.stderr
    assert seen == [(f"/accounts/{ACCOUNT}/messages", f"Bearer {SECRET}")]

    log = smsctl(["log", "--json"])
    assert log.exit_code == 0, log.stderr
    no_secret(log.stdout, log.stderr)
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_a_wrong_secret_is_refused_and_never_shown(
    smsctl: Invoke, plugin: None, gateway: tuple[str, list[tuple[str, str]]]
) -> None:
    url, seen = gateway
    assert add(smsctl, "--credential", "account_id=AC-other", "--base-url", url).exit_code == 0
    sent = smsctl(["send", "--to", "+46701234567", "hello"])
    no_secret(sent.stdout, sent.stderr)
    assert sent.exit_code != 0
    assert seen == [("/accounts/AC-other/messages", f"Bearer {SECRET}")]


def test_a_secret_on_the_command_line_is_refused(smsctl: Invoke, plugin: None) -> None:
    result = smsctl(
        [
            "profile",
            "add",
            "acct",
            "--provider",
            "twocred",
            "--credential",
            f"account_id={ACCOUNT}",
            "--credential",
            f"auth_token={SECRET}",
        ]
    )
    assert result.exit_code == 2
    no_secret(result.stdout, result.stderr)
    assert "is secret and is never taken from the command line" in result.stderr
    assert "--credential-stdin auth_token" in result.stderr
    assert smsctl(["profile", "list", "--json"]).stdout.count('"name"') == 0


def test_credentials_from_stdin_and_the_environment(
    smsctl: Invoke,
    plugin: None,
    gateway: tuple[str, list[tuple[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, seen = gateway
    result = add(
        smsctl,
        "--credential-env",
        "account_id=TWOCRED_ACCOUNT",
        "--base-url",
        url,
        input=SECRET,
    )
    assert result.exit_code == 0, result.stderr
    missing = smsctl(["send", "--to", "+46701234567", "hello"])
    assert missing.exit_code == 4
    assert "account id from $TWOCRED_ACCOUNT, which is not set" in missing.stderr
    monkeypatch.setenv("TWOCRED_ACCOUNT", ACCOUNT)
    shown = json.loads(smsctl(["profile", "show", "--json"]).stdout)
    assert shown["credentials"]["account_id"]["env"] == "TWOCRED_ACCOUNT"
    assert shown["sources"]["account_id"] == "$TWOCRED_ACCOUNT"
    sent = smsctl(["send", "--to", "+46701234567", "hello"])
    no_secret(sent.stdout, sent.stderr)
    assert sent.exit_code == 0, sent.stderr
    assert seen == [(f"/accounts/{ACCOUNT}/messages", f"Bearer {SECRET}")]

    again = smsctl(
        [
            "profile",
            "add",
            "other",
            "--provider",
            "twocred",
            "--credential",
            f"account_id={ACCOUNT}",
            "--credential-stdin",
            "auth_token",
        ],
        input=SECRET,
    )
    no_secret(again.stdout, again.stderr)
    assert again.exit_code == 0, again.stderr


def test_a_missing_credential_is_named(smsctl: Invoke, plugin: None, tmp_path: Path) -> None:
    no_account = add(smsctl)
    assert no_account.exit_code == 2
    assert "no account id given" in no_account.stderr
    assert "--credential account_id=VALUE" in no_account.stderr
    unknown = add(smsctl, "--credential", "region_id=1")
    assert unknown.exit_code == 2
    assert "has no credential 'region_id'" in unknown.stderr
    assert "account_id (account id)" in unknown.stderr

    config = tmp_path / "config"
    config.mkdir(mode=0o700, exist_ok=True)
    (config / "profiles.toml").write_text(
        f'version = 1\ndefault = "acct"\n[profiles.acct]\nprovider = "twocred"\n'
        f'auth_token = "{SECRET}"\n'
    )
    (config / "profiles.toml").chmod(0o600)
    sent = smsctl(["send", "--to", "+46701234567", "hello"])
    no_secret(sent.stdout, sent.stderr)
    assert sent.exit_code == 4
    assert "profile 'acct' has no account id (account_id)" in sent.stderr
    assert "--credential account_id=..." in sent.stderr


def _on_terminal(
    tmp_path: Path, args: list[str], answers: list[bytes], path: str = ""
) -> tuple[int, bytes]:
    """Run smsctl on a pseudo-terminal, answering each prompt; (exit code, transcript)."""
    env = {**os.environ, "SMSCTL_CONFIG_DIR": str(tmp_path / "config"), "PYTHONPATH": path}
    pid, fd = pty.fork()
    if pid == 0:  # child: smsctl on the terminal
        os.execve(sys.executable, [sys.executable, "-m", "sms_cli", *args], env)
    transcript = b""
    pending = list(answers)
    try:
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            transcript += chunk
            if pending and transcript.rstrip().endswith(b":"):
                os.write(fd, pending.pop(0))
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), transcript


def test_ctrl_d_at_the_token_prompt_is_a_clean_exit_2(tmp_path: Path) -> None:
    code, transcript = _on_terminal(
        tmp_path, ["profile", "add", "tty", "--provider", "seven"], [b"\x04"]
    )
    assert code == 2, transcript
    assert b"no token given (input ended)" in transcript
    assert b"internal error" not in transcript
    assert not (tmp_path / "config" / "profiles.toml").exists()


def test_prompts_on_a_terminal_show_the_account_id_and_hide_the_secret(tmp_path: Path) -> None:
    modules = {"twocred_info.py": INFO_MODULE, "twocred_client.py": CLIENT_MODULE}
    entry = {"twocred": "twocred_info:INFO"}
    with installed(tmp_path, "smsctl-twocred", "0.1", entry, modules) as site:
        args = ["profile", "add", "tty", "--provider", "twocred", "--json"]
        code, transcript = _on_terminal(
            tmp_path, args, [ACCOUNT.encode() + b"\n", SECRET.encode() + b"\n"], str(site)
        )
        assert code == 0, transcript
        assert b"Account id for tty:" in transcript
        assert b"Auth token for tty (input hidden):" in transcript
        assert ACCOUNT.encode() in transcript  # echoed as typed: not secret
        assert SECRET.encode() not in transcript
        stored = (tmp_path / "config" / "profiles.toml").read_text()
        assert f'account_id = "{ACCOUNT}"' in stored
        assert f'auth_token = "{SECRET}"' in stored

        code, transcript = _on_terminal(
            tmp_path, ["profile", "add", "eof", "--provider", "twocred"], [b"\x04"], str(site)
        )
        assert code == 2, transcript
        assert b"no account id given (input ended)" in transcript
