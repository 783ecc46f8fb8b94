"""The provider contract: what every provider, built-in or plugin, must do through the real CLI.

Subclass `ProviderContract` in a test module and name the provider:

    class TestMyProvider(ProviderContract):
        provider = "myprovider"

Every inherited test then runs the real `smsctl` commands (typer's CliRunner, in-process) against
the provider's emulator (`INFO.emulator`) on a loopback port, over real HTTP, with config and data
directories of their own. The suite drives the emulator only through the control API every
emulator shares (sms_cli/providers/emulation.py): `reset`, `set {"tokens": ...}`, `faults`,
`reject`, `script {"outcome": ...}` (from the emulator's `outcomes` table), `advance`,
`inbound`, `flush`, `idle`, `requests` and `messages`, and the emulator's declared
`account_refusal` settings. Tests of a capability the provider does not declare are skipped
with the reason; every emulator must script the outcomes `delivered` and `failed`
(`REQUIRED_OUTCOMES`: a test fails when it cannot), the rarer ones may be skipped. Callbacks
reach smsctl's receiver (what `smsctl listen` serves): through `smsctl hooks add` when the
provider declares `Capability.HOOKS`, otherwise through the emulator setting `callback_url` (the
URL a user would set in the provider's portal).
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner, Result

from sms_cli.providers.emulation import Emulator, SandboxServer

CANARY = "CANARY-tok-3e8f1a2b9c7d4e60"  # the token every test uses: it must never be printed
_CANARY_PIECES = (CANARY, "3e8f1a2b9c7d4e60", "3e8f1a2b")
SECRET = "contract-secret-0123456789"  # the path secret of the receiver
FIRST, SECOND = "+46701234567", "+46731234567"
SENT = ("queued", "enroute")
RESULT_KEYS = {
    "recipient",
    "status",
    "id",
    "parts",
    "price",
    "error",
    "local_id",
    "bulk_id",
    "provider_code",
    "provider_text",
    "provider_encoding",
    "address_book",
}
DOCUMENT_KEYS = {
    "dry_run",
    "test",
    "provider",
    "profile",
    "sender",
    "batch_id",
    "foreign_id",
    "encoding",
    "characters",
    "segment_count",
    "total_price",
    "currency",
    "balance",
    "results",
}
# The delivery outcomes every emulator must be able to script (`Emulator.outcomes`): without
# them the status tests would be skipped and a client that reads a failure as a delivery would
# pass. The others (rejected, expired, unknown, enroute) may be missing for a provider with no
# word for them.
REQUIRED_OUTCOMES = ("delivered", "failed")
AMBIGUOUS_FAULTS = ("drop_before", "drop_after", "error_5xx", "process_then_5xx", "malformed")
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


_CONTROL: list[httpx.Client] = []


def _control() -> httpx.Client:
    """One client for every control call: each new httpx client loads the CA bundle (30 to
    300 ms). Made on first use; its timeout leaves room for `wait_idle`'s own."""
    if not _CONTROL:
        _CONTROL.append(httpx.Client(timeout=30))
    return _CONTROL[0]


class EmulatorControl:
    """One emulator's control API (sms_cli/providers/emulation.py), over HTTP."""

    def __init__(self, server: SandboxServer, name: str, default_base_url: str) -> None:
        self.name = name
        self.root = f"{server.url}/{name}"
        # The emulator answers under /<name>/ the paths the real API has under its base URL.
        self.base_url = self.root + urlsplit(default_base_url).path.rstrip("/")

    def control(self, action: str, payload: dict[str, Any] | None = None) -> Any:
        response = _control().post(f"{self.root}/__emu/{action}", json=payload or {})
        response.raise_for_status()
        return response.json()

    def requests(self) -> list[dict[str, Any]]:
        response = _control().get(f"{self.root}/__emu/requests")
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def sends(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r["method"] == "POST"]

    def messages(self) -> list[dict[str, Any]]:
        """The messages the emulator accepted, in order: what the provider would deliver.
        Each is {"id", "to", "from", "text"} (its `describe`)."""
        response = _control().get(f"{self.root}/__emu/messages")
        response.raise_for_status()
        return [m for m in response.json() if m.get("accepted", True)]

    def faults(self, **settings: Any) -> None:
        self.control("faults", settings)

    def reject(self, *numbers: str) -> None:
        self.control("reject", {"numbers": list(numbers)})

    def set(self, **settings: Any) -> None:
        self.control("set", settings)

    def wait_idle(self, hurry: bool = True, timeout: float = 10.0) -> None:
        """Until no request is being answered and no callback is pending (bounded); `hurry`
        ends slow answers (`latency`) under way at once."""
        self.control("idle", {"hurry": hurry, "timeout": timeout})

    def script(self, number: str, outcome: str) -> None:
        """Play the provider's raw states that end in `outcome`. An emulator that cannot fails
        the test for a required outcome (REQUIRED_OUTCOMES), and skips it for a rarer one."""
        response = _control().post(
            f"{self.root}/__emu/script", json={"number": number, "outcome": outcome}
        )
        if response.status_code == 400:
            why = f"the {self.name} emulator cannot script {outcome!r} (its `outcomes`)"
            if outcome in REQUIRED_OUTCOMES:
                pytest.fail(f"{why}: every emulator must script {', '.join(REQUIRED_OUTCOMES)}")
            pytest.skip(why)
        response.raise_for_status()


def run(args: list[str], input: str | None = None) -> Result:
    """`smsctl ARGS`, in-process; no test token in any output, no traceback."""
    from sms_cli.app import app

    result = CliRunner().invoke(app, args, input=input, prog_name="smsctl")
    for stream in (result.stdout, result.stderr):
        for piece in _CANARY_PIECES:
            assert piece not in stream, f"the token was printed by smsctl {' '.join(args)}"
    assert "Traceback" not in result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _names(request: dict[str, Any], number: str) -> bool:
    """Whether a recorded send request asked to reach `number` (the emulator's `addressed`)."""
    return number in (request.get("to") or [])


def document(result: Result) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def statuses(result: Result) -> list[str]:
    return [item["status"] for item in document(result)["results"]]


# -- the provider's declarations, through the registry ---------------------------------------------


def _info(name: str) -> Any:
    from sms_cli.providers import registry

    return registry.get(name)


def _supports(info: Any, capability: str) -> bool:
    from sms_cli.providers.info import Capability

    return bool(info.supports(Capability(capability)))


@dataclass
class Receiving:
    """smsctl's receiver under test: its URL (add /<provider>) and what it took or refused."""

    url: str
    events: list[Any] = field(default_factory=list)
    refusals: list[Any] = field(default_factory=list)


@contextmanager
def receiver_running(app: Any, sock: Any) -> Iterator[Any]:
    """Serve smsctl's receiver app (what `smsctl listen` runs) on a bound socket, in a thread,
    until the block ends; yields the uvicorn server once it accepts connections. The caller
    owns the socket; the app is closed here."""
    from sms_cli.services.receiving import make_server

    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    try:
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the receiver did not start within 10 s")
            time.sleep(0.005)
        yield server
    finally:
        server.should_exit = True
        thread.join(10)
        app.close()


class ProviderContract:
    """The contract suite; subclass it and set `provider` to the provider's `INFO.name`."""

    provider: ClassVar[str]

    # -- fixtures ----------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def isolated(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        """Config and data of this test only; no SMSCTL_* setting or proxy from outside."""
        for name in list(os.environ):
            if name.startswith("SMSCTL_"):
                monkeypatch.delenv(name)
        for name in _PROXIES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("SMSCTL_CONFIG_DIR", str(tmp_path / "config"))
        monkeypatch.setenv("SMSCTL_DATA_DIR", str(tmp_path / "data"))
        yield
        from sms_cli.core import redaction

        # The redaction registry is process-wide: one test's token must not redact another's.
        redaction.forget_secrets()

    @pytest.fixture(scope="class")
    @classmethod
    def info(cls) -> Any:
        """The provider's ProviderInfo, from the registry (built-in or entry point)."""
        return _info(cls.provider)

    @pytest.fixture(scope="class")
    @classmethod
    def sandbox(cls, info: Any) -> Iterator[SandboxServer]:
        """The provider's emulator alone, on a loopback port, for the whole class."""
        from sms_cli.providers.registry import load

        if info.emulator is None:
            pytest.skip(f"{info.title} declares no emulator (ProviderInfo.emulator)")
        server = SandboxServer({info.name: load(info.emulator)()})
        server.start_in_thread()
        yield server
        server.stop()

    @pytest.fixture
    def emu(self, sandbox: SandboxServer, info: Any) -> EmulatorControl:
        """The emulator, reset, accepting only the test token."""
        control = EmulatorControl(sandbox, info.name, info.default_base_url)
        control.control("reset")
        control.set(tokens=[CANARY])
        return control

    @pytest.fixture
    def profile(self, emu: EmulatorControl, info: Any, monkeypatch: pytest.MonkeyPatch) -> str:
        """A default profile `contract` pointing at the emulator, with the test token."""
        args = ["profile", "add", "contract", "--provider", info.name]
        # --no-check: the tests count the requests the emulator saw (test_check_token checks).
        args += ["--base-url", emu.base_url, "--token-stdin", "--no-check"]
        if info.sender.problem("Acme") is None:
            args += ["--sender", "Acme"]
        first_secret = True
        for credential in info.credentials:
            if credential.secret and first_secret:
                first_secret = False  # the token, from stdin
            elif credential.env:
                monkeypatch.setenv(credential.env, f"contract-{credential.name}")
            else:
                args += ["--credential", f"{credential.name}=contract-{credential.name}"]
        result = run(args, input=CANARY)
        assert result.exit_code == 0, result.stderr
        return "contract"

    def needs(self, info: Any, capability: str) -> None:
        if not _supports(info, capability):
            pytest.skip(f"{info.title} does not declare Capability.{capability.upper()}")

    # -- what it declares --------------------------------------------------------------------------

    def test_info_names_the_provider(self, info: Any) -> None:
        assert info.name == self.provider
        assert info.name == info.name.lower() and info.title
        assert info.max_text_chars > 0
        assert info.max_recipients_per_request is None or info.max_recipients_per_request >= 1
        assert _supports(info, "send")
        secrets = [c for c in info.credentials if c.secret]
        assert secrets, "at least one secret credential (the token)"

    def test_declared_capabilities_match_the_client(self, info: Any) -> None:
        """INFO.capabilities says what the client's ABCs implement (providers/base.py)."""
        from sms_cli.providers.base import Provider, inherited_capabilities
        from sms_cli.providers.info import Capability
        from sms_cli.providers.registry import load

        client = load(info.client)
        assert issubclass(client, Provider)
        declared = {c.value for c in info.capabilities} - {Capability.SIGNED_CALLBACKS.value}
        assert declared == set(inherited_capabilities(client)), (
            f"{info.title} declares {sorted(declared)}; its client implements "
            f"{sorted(inherited_capabilities(client))}"
        )
        if info.supports(Capability.SIGNED_CALLBACKS):
            assert info.supports(Capability.CALLBACKS)

    # -- send --------------------------------------------------------------------------------------

    def test_send_to_one_recipient(self, emu: EmulatorControl, profile: str, info: Any) -> None:
        result = run(["send", "--json", "--to", FIRST, "Hello from the contract suite"])
        assert result.exit_code == 0, result.stderr
        doc = document(result)
        assert set(doc) == DOCUMENT_KEYS
        assert (doc["provider"], doc["profile"]) == (info.name, profile)
        (item,) = doc["results"]
        assert set(item) == RESULT_KEYS
        assert (item["recipient"], item["error"]) == (FIRST, None)
        assert item["status"] in SENT
        assert item["id"]
        assert len(emu.sends()) == 1
        (message,) = emu.messages()
        assert (message.get("to", FIRST), message.get("text", "Hello from the contract suite")) == (
            FIRST,
            "Hello from the contract suite",
        )

    def test_send_to_several_recipients(
        self, emu: EmulatorControl, profile: str, info: Any
    ) -> None:
        result = run(["send", "--json", "--to", f"{FIRST},{SECOND}", "Hi all"])
        assert result.exit_code == 0, result.stderr
        results = document(result)["results"]
        assert [r["recipient"] for r in results] == [FIRST, SECOND]
        assert all(r["status"] in SENT for r in results)
        assert len({r["id"] for r in results}) == 2
        assert len(emu.sends()) <= math.ceil(2 / (info.max_recipients_per_request or 2))
        assert sorted(m.get("to", "") for m in emu.messages()) in (["", ""], [FIRST, SECOND])

    def test_what_was_sent_is_in_the_history(self, emu: EmulatorControl, profile: str) -> None:
        doc = document(run(["send", "--json", "--to", FIRST, "--to", SECOND, "Hi there"]))
        logged = run(["log", "--json"])
        assert logged.exit_code == 0, logged.stderr
        rows = sorted(json.loads(logged.stdout)["messages"], key=lambda m: m["recipient"])
        assert [(r["recipient"], r["id"], r["batch_id"]) for r in rows] == sorted(
            (item["recipient"], item["id"], doc["batch_id"]) for item in doc["results"]
        )
        assert {r["text"] for r in rows} == {"Hi there"}
        assert {r["status"] for r in rows} <= set(SENT)

    def test_a_bulk_run_batches_identical_texts(
        self, emu: EmulatorControl, profile: str, info: Any, tmp_path: Path
    ) -> None:
        count = 7
        numbers = [f"+4670{i:07d}" for i in range(count)]
        path = tmp_path / "recipients.csv"
        path.write_text("phone\n" + "".join(f"{n}\n" for n in numbers), encoding="utf-8")
        # --rate: the provider's documented pace (Textbelt: 1/s) is not what this test is about.
        result = run(
            ["bulk", str(path), "--message", "Same for all", "--yes", "--json", "--rate", "1000"]
        )
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["rows"] == {"accepted": count}
        per_request = info.max_recipients_per_request or count
        assert 1 <= len(emu.sends()) <= math.ceil(count / per_request)
        recipients = sorted(m.get("to", "") for m in emu.messages())
        assert recipients in ([""] * count, numbers)  # each once

    # -- refusals and faults -----------------------------------------------------------------------

    def test_every_recipient_rejected_exits_7(self, emu: EmulatorControl, profile: str) -> None:
        emu.reject(FIRST)
        result = run(["send", "--json", "--to", FIRST, "Hi"])
        assert result.exit_code == 7, result.stderr
        (item,) = document(result)["results"]
        assert item["status"] == "rejected"
        assert item["error"], "a rejection says why"

    def test_a_refusal_is_rejected_and_nothing_is_queued(
        self, emu: EmulatorControl, profile: str
    ) -> None:
        """The emulator's `reject` control: the provider refuses the recipient. smsctl says
        so (exit 7, `rejected`, in the history too) and the emulator took nothing."""
        emu.reject(FIRST)
        result = run(["send", "--json", "--to", FIRST, "Hi"])
        assert result.exit_code == 7, result.stderr
        (item,) = document(result)["results"]
        assert item["status"] == "rejected"
        assert emu.messages() == []
        (logged,) = json.loads(run(["log", "--json"]).stdout)["messages"]
        assert logged["status"] == "rejected"

    def test_an_account_refusal_is_refused_never_queued(
        self, emu: EmulatorControl, profile: str, info: Any, tmp_path: Path
    ) -> None:
        """The account cannot pay (the emulator's `account_refusal` settings: out of credit or
        quota). `send` reports the refusal (exit 7, `rejected`), and a bulk job pauses or
        refuses: nothing is reported queued or accepted, and the emulator took nothing."""
        from sms_cli.providers.registry import load

        emulator = load(info.emulator)
        assert issubclass(emulator, Emulator)
        if not emulator.account_refusal:
            pytest.skip(f"the {info.name} emulator declares no `account_refusal`")
        emu.set(**emulator.account_refusal)
        result = run(["send", "--json", "--to", FIRST, "Hi"])
        assert result.exit_code == 7, result.stderr
        (item,) = document(result)["results"]
        assert item["status"] == "rejected"
        assert item["error"], "a refusal says why"
        path = tmp_path / "recipients.csv"
        path.write_text(f"phone\n{FIRST}\n{SECOND}\n", encoding="utf-8")
        bulk = run(["bulk", str(path), "--message", "Hi", "--yes", "--json"])
        assert bulk.exit_code == 7, bulk.stderr
        rows = json.loads(bulk.stdout)["rows"]
        assert not set(rows) & {"accepted", "unknown", "in_flight"}, rows
        assert emu.messages() == []

    def test_one_of_two_rejected_is_partial(self, emu: EmulatorControl, profile: str) -> None:
        emu.reject(SECOND)
        result = run(["send", "--json", "--to", FIRST, "--to", SECOND, "Hi"])
        assert result.exit_code == 3, result.stderr
        first, second = document(result)["results"]
        assert first["status"] in SENT
        assert second["status"] == "rejected"
        assert second["error"]

    def test_a_refused_token_is_an_auth_error(self, emu: EmulatorControl, profile: str) -> None:
        emu.set(tokens=["some-other-token"])
        result = run(["send", "--json", "--to", FIRST, "Hi"])
        assert result.exit_code == 5, result.stderr
        assert result.stdout == ""
        assert emu.messages() == []

    def test_a_rate_limit_is_waited_out_and_nothing_is_sent_twice(
        self, emu: EmulatorControl, profile: str
    ) -> None:
        emu.faults(mode="rate_limit", times=1, retry_after=0.05)
        result = run(["send", "--json", "--to", FIRST, "Hi"])
        assert result.exit_code in (0, 6), result.stderr
        assert len(emu.messages()) == (1 if result.exit_code == 0 else 0)

    def test_a_rate_limit_that_never_clears_exits_6(
        self, emu: EmulatorControl, profile: str
    ) -> None:
        emu.faults(mode="rate_limit", retry_after=0.05)
        result = run(["send", "--json", "--to", FIRST, "Hi"])
        assert result.exit_code == 6, result.stderr
        assert emu.messages() == []

    @pytest.mark.parametrize("mode", AMBIGUOUS_FAULTS)
    def test_an_ambiguous_answer_is_unknown_and_never_resent(
        self, emu: EmulatorControl, profile: str, mode: str
    ) -> None:
        """The first request's answer is ambiguous: every recipient that request named is
        `unknown`, no recipient is requested twice, exit 8. Whether the others share that
        request (batching) or get their own (one recipient per request) is the provider's."""
        emu.faults(mode=mode, times=1)
        result = run(["send", "--json", "--to", FIRST, "--to", SECOND, "Hi"])
        assert result.exit_code == 8, result.stderr
        assert "did not resend" in result.stderr
        sends = emu.sends()
        for number in (FIRST, SECOND):
            assert sum(_names(request, number) for request in sends) <= 1, f"{number} twice"
        ambiguous = [number for number in (FIRST, SECOND) if _names(sends[0], number)]
        assert ambiguous, "the first send request names its recipient(s)"
        outcome = dict(zip((FIRST, SECOND), statuses(result), strict=True))
        assert {number: outcome[number] for number in ambiguous} == dict.fromkeys(
            ambiguous, "unknown"
        )
        assert len(emu.messages()) <= 2  # processed once at most
        logged = json.loads(run(["log", "--json"]).stdout)["messages"]
        assert {(m["recipient"], m["status"]) for m in logged} == set(outcome.items())

    def test_an_answer_slower_than_the_timeout_is_unknown_and_never_resent(
        self, emu: EmulatorControl, profile: str
    ) -> None:
        """No answer within --timeout: the provider may have taken the message. smsctl says
        `unknown` (exit 8) and never sends it again; the emulator took it exactly once."""
        emu.faults(latency=30.0)
        try:
            result = run(["send", "--json", "--timeout", "0.5", "--to", FIRST, "Hi"])
        finally:
            # The slow answers end now (they are processed, as a provider would): then count.
            emu.control("idle", {"timeout": 10, "hurry": True})
            emu.faults()
        assert result.exit_code == 8, result.stderr
        assert statuses(result) == ["unknown"]
        assert "did not resend" in result.stderr
        assert sum(_names(request, FIRST) for request in emu.sends()) == 1, "sent twice"
        assert len(emu.messages()) == 1
        (logged,) = json.loads(run(["log", "--json"]).stdout)["messages"]
        assert logged["status"] == "unknown"

    # -- status ------------------------------------------------------------------------------------

    def test_status_waits_until_delivered(
        self, emu: EmulatorControl, profile: str, info: Any
    ) -> None:
        self.needs(info, "status")
        emu.script(FIRST, "delivered")
        assert run(["send", "--to", FIRST, "Hi"]).exit_code == 0
        result = run(["status", "--json", "--last", "--wait", "--interval", "0.05"])
        assert result.exit_code == 0, result.stderr
        (message,) = json.loads(result.stdout)["messages"]
        assert (message["recipient"], message["status"], message["final"]) == (
            FIRST,
            "delivered",
            True,
        )

    @pytest.mark.parametrize("outcome", ["failed", "rejected", "expired"])
    def test_status_of_a_final_failure_exits_7(
        self, emu: EmulatorControl, profile: str, info: Any, outcome: str
    ) -> None:
        self.needs(info, "status")
        emu.script(FIRST, outcome)
        assert run(["send", "--to", FIRST, "Hi"]).exit_code == 0
        result = run(["status", "--json", "--last", "--wait", "--interval", "0.05"])
        assert result.exit_code == 7, result.stderr
        (message,) = json.loads(result.stdout)["messages"]
        assert (message["status"], message["final"]) == (outcome, True)

    def test_status_still_pending_after_the_wait_exits_9(
        self, emu: EmulatorControl, profile: str, info: Any
    ) -> None:
        self.needs(info, "status")
        emu.script(FIRST, "enroute")
        assert run(["send", "--to", FIRST, "Hi"]).exit_code == 0
        assert run(["status", "--last"]).exit_code == 0  # not waiting: pending is no failure
        result = run(["status", "--json", "--last", "--wait", "--interval", "0.05",
                      "--timeout", "0.2"])  # fmt: skip
        assert result.exit_code == 9, result.stderr
        assert json.loads(result.stdout)["messages"][0]["final"] is False

    def test_status_of_an_unknown_outcome_exits_8(
        self, emu: EmulatorControl, profile: str, info: Any
    ) -> None:
        self.needs(info, "status")
        emu.script(FIRST, "unknown")
        assert run(["send", "--to", FIRST, "Hi"]).exit_code == 0
        result = run(["status", "--json", "--last", "--wait", "--interval", "0.05",
                      "--timeout", "0.2"])  # fmt: skip
        assert result.exit_code == 8, result.stderr
        assert json.loads(result.stdout)["messages"][0]["status"] == "unknown"

    # -- callbacks ---------------------------------------------------------------------------------

    @pytest.fixture
    def receiver(self) -> Iterator[Receiving]:
        """smsctl's receiver (what `smsctl listen` serves) on a loopback port."""
        from sms_cli.services.receiving import Receiver, ReceiverConfig, bind
        from sms_cli.storage.messages import History

        history = History()
        sock = bind("127.0.0.1", 0)
        seen = Receiving(f"http://127.0.0.1:{sock.getsockname()[1]}/{SECRET}")
        app = Receiver(
            ReceiverConfig(secret=SECRET), history, seen.events.append, seen.refusals.append
        )
        try:
            with receiver_running(app, sock):
                yield seen
        finally:
            history.close()
            sock.close()

    def point_callbacks_at(self, emu: EmulatorControl, info: Any, url: str) -> None:
        """Where a user would: `smsctl hooks add` through the API, else the provider's portal
        (the emulator's `callback_url` setting)."""
        if _supports(info, "hooks"):
            added = run(["hooks", "add", url, "--event", "all"])
            assert added.exit_code == 0, added.stderr
            return
        try:
            emu.set(callback_url=url)
        except httpx.HTTPStatusError:
            pytest.fail(
                f"the {info.name} emulator takes no `callback_url` setting and {info.title} "
                "declares no Capability.HOOKS: there is no way to point its pushes at smsctl"
            )

    def needs_pushed(self, info: Any, event: str) -> None:
        """Skip unless the provider pushes `event` ("delivery" or "inbound"): its emulator's
        `callback_events` say which (a provider may push replies only)."""
        from sms_cli.providers.registry import load

        self.needs(info, "callbacks")
        emulator = load(info.emulator)
        assert issubclass(emulator, Emulator)
        if event not in emulator.callback_events:
            pytest.skip(f"{info.title} pushes no {event} callbacks (Emulator.callback_events)")

    def test_a_pushed_delivery_report_reaches_the_history(
        self, emu: EmulatorControl, profile: str, info: Any, receiver: Receiving
    ) -> None:
        self.needs_pushed(info, "delivery")
        self.point_callbacks_at(emu, info, f"{receiver.url}/{info.name}")
        emu.script(FIRST, "delivered")
        sent = document(run(["send", "--json", "--to", FIRST, "Hello"]))
        emu.control("advance", {"steps": 10})
        emu.control("flush")
        assert receiver.events, f"nothing stored; refused: {receiver.refusals}"
        logged = json.loads(run(["log", "--json"]).stdout)["messages"]
        assert [(m["local_id"], m["status"]) for m in logged] == [
            (sent["results"][0]["local_id"], "delivered")
        ]

    def test_a_pushed_inbound_message_reaches_the_inbox(
        self, emu: EmulatorControl, profile: str, info: Any, receiver: Receiving
    ) -> None:
        self.needs_pushed(info, "inbound")
        self.point_callbacks_at(emu, info, f"{receiver.url}/{info.name}")
        emu.control("inbound", {"from": "+46709999999", "to": "+46700000000", "text": "Svar: ja"})
        emu.control("flush")
        assert receiver.events, f"nothing stored; refused: {receiver.refusals}"
        inbox = run(["inbox", "--json"])
        assert inbox.exit_code == 0, inbox.stderr
        (message,) = json.loads(inbox.stdout)["messages"]
        assert (message["from"], message["text"], message["provider"]) == (
            "+46709999999",
            "Svar: ja",
            info.name,
        )

    # -- balance -----------------------------------------------------------------------------------

    def test_balance(self, emu: EmulatorControl, profile: str, info: Any) -> None:
        self.needs(info, "balance")
        result = run(["balance", "--json"])
        assert result.exit_code == 0, result.stderr
        doc = document(result)
        assert set(doc) == {"profile", "provider", "amount", "currency"}
        assert (doc["profile"], doc["provider"]) == (profile, info.name)
        assert isinstance(doc["amount"], int | float)
        emu.set(tokens=["another"])
        assert run(["balance"]).exit_code == 5

    def test_check_token_accepts_the_token_and_refuses_another(
        self, emu: EmulatorControl, profile: str, info: Any
    ) -> None:
        """Capability.CHECK_TOKEN: `profile check` asks without sending; a token the provider
        does not know is `rejected`, exit 5."""
        self.needs(info, "check_token")
        checked = run(["profile", "check", "--json"])
        assert checked.exit_code == 0, checked.stderr
        assert document(checked)["profiles"][0]["result"] == "ok"
        emu.set(tokens=["another"])
        refused = run(["profile", "check", "--json"])
        assert refused.exit_code == 5, refused.stderr
        assert document(refused)["profiles"][0]["result"] == "rejected"
        assert emu.messages() == []  # nothing was sent

    def test_balance_it_does_not_declare_is_refused_before_any_request(
        self, emu: EmulatorControl, profile: str, info: Any
    ) -> None:
        if _supports(info, "balance"):
            pytest.skip(f"{info.title} declares Capability.BALANCE")
        result = run(["balance"])
        assert result.exit_code == 2, result.stderr
        assert info.title in result.stderr
        assert emu.requests() == []
