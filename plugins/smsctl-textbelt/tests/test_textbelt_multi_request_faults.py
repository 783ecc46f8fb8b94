"""A send of several requests (Textbelt takes one recipient per request): what the report adds
up over the answers, and a send that stops on the way (a history write, Ctrl-C, --timeout)."""

from __future__ import annotations

import ctypes
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from smsctl_textbelt.emulator import TextbeltEmulator
from textbelt_kit import run
from typer.testing import Result

from sms_cli.providers.emulation import EmuRequest, EmuResponse, Faults, SandboxServer
from sms_cli.providers.http import RetryPolicy, set_retry_policy
from sms_cli.storage.db import FILE_NAME, data_dir

pytestmark = pytest.mark.usefixtures("no_waiting")


NUMBERS = ("+12025550101", "+12025550102", "+12025550103")


def sent(quota: int) -> str:
    return json.dumps({"success": True, "quotaRemaining": quota, "textId": str(quota)})


class Hooked(TextbeltEmulator):
    """Textbelt, calling `on_send` (when set) as a send arrives, before it answers."""

    on_send: Callable[[], None] | None = None

    def handle(self, request: EmuRequest) -> EmuResponse:
        # handle, not route: a replayed answer never reaches route
        if request.path == "/text" and self.on_send is not None:
            hook, self.on_send = self.on_send, None
            hook()
        return super().handle(request)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    served = SandboxServer({"textbelt": Hooked()})
    served.start_in_thread()
    yield served
    served.stop()


class HistoryLock:
    """Another writer holding the history's write lock, from the moment `take` is called."""

    def __init__(self) -> None:
        self.connection: sqlite3.Connection | None = None

    def take(self) -> None:
        self.connection = sqlite3.connect(
            data_dir() / FILE_NAME, isolation_level=None, check_same_thread=False
        )
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@pytest.fixture
def lock(emulator: Hooked) -> Iterator[HistoryLock]:
    held = HistoryLock()
    emulator.on_send = held.take  # the first request's answer finds the history locked
    yield held
    emulator.on_send = None
    held.release()


def send(*extra: str) -> Result:
    return run("send", "--json", *extra, *(a for n in NUMBERS for a in ("--to", n)), "Hello")


def phones(emulator: TextbeltEmulator) -> list[str]:
    return [r.form()["phone"] for r in emulator.requests if r.path == "/text"]


def logged() -> dict[str, str]:
    result = run("log", "--json")
    assert result.exit_code == 0, result.stderr
    return {m["recipient"]: m["status"] for m in json.loads(result.stdout)["messages"]}


def test_the_balance_is_the_last_answers(profile: str, emulator: TextbeltEmulator) -> None:
    emulator.set({"replay": [sent(40), sent(39), sent(38)]})
    result = send()
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["balance"] == 38


def test_a_history_write_that_fails_mid_send_exits_4_and_offers_no_log_hint(
    profile: str, emulator: Hooked, lock: HistoryLock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "0.2")
    emulator.set({"replay": [sent(40)]})
    result = send()
    assert result.exit_code == 4, result.stderr
    assert phones(emulator) == [NUMBERS[0]]
    items = json.loads(result.stdout)["results"]
    assert [r["status"] for r in items] == ["queued", "not_sent", "not_sent"]
    # The history shows them in flight: `log --status not_sent` would not list them.
    assert "smsctl log --status not_sent" not in result.stderr
    assert "2 message(s) were not sent" in result.stderr
    assert "shows them in flight" in result.stderr


def _interrupt_when_recording(thread_id: int, lock: HistoryLock) -> threading.Thread:
    """Ctrl-C in the sending thread while it waits for the history's lock to record the first
    answer; then the lock is released, as the other writer finishes."""

    def waiting() -> bool:
        frame = sys._current_frames().get(thread_id)
        while frame is not None:
            if frame.f_code.co_name == "_record_answers":
                return True
            frame = frame.f_back
        return False

    def interrupt() -> None:
        end = time.monotonic() + 5
        while not waiting() and time.monotonic() < end:
            time.sleep(0.01)
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread_id), ctypes.py_object(KeyboardInterrupt)
        )
        lock.release()

    return threading.Thread(target=interrupt, daemon=True)


def test_ctrl_c_while_an_answer_is_recorded_keeps_it_and_the_rest_are_not_sent(
    profile: str, emulator: Hooked, lock: HistoryLock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSCTL_BUSY_TIMEOUT", "5")
    emulator.set({"replay": [sent(40)]})
    interrupter = _interrupt_when_recording(threading.get_ident(), lock)
    take = lock.take

    def take_and_interrupt() -> None:
        take()
        interrupter.start()

    emulator.on_send = take_and_interrupt
    result = send()
    interrupter.join(5)
    assert result.exit_code == 130, result.stderr
    assert phones(emulator) == [NUMBERS[0]]
    assert logged() == {NUMBERS[0]: "queued", NUMBERS[1]: "not_sent", NUMBERS[2]: "not_sent"}
    assert "the send was interrupted: 1 message(s) answered by the provider (1 accepted)" in (
        result.stderr
    )
    assert "2 not sent, never requested" in result.stderr


def test_timeout_bounds_the_whole_send_of_several_requests(profile: str, emulator: Hooked) -> None:
    """Each answer takes 0.3 s and --timeout is 0.5: the second request gets what is left (0.2 s)
    and its answer is not waited for; the third is never tried."""
    emulator.set({"replay": [sent(40), sent(39), sent(38)]})
    emulator.faults = Faults(latency=0.3)
    try:
        result = send("--timeout", "0.5")
    finally:
        assert emulator.wait_idle(5, hurry=True)
    assert result.exit_code == 8, result.stderr
    items = json.loads(result.stdout)["results"]
    assert [r["status"] for r in items] == ["queued", "unknown", "not_sent"]
    assert phones(emulator) == list(NUMBERS[:2])


def test_no_time_left_leaves_the_rest_not_sent_exit_6(profile: str, emulator: Hooked) -> None:
    """An injected clock: once the first request is answered, the --timeout is used up."""
    clock: dict[str, Any] = {"jump": 0.0}

    def jump() -> None:
        clock["jump"] = 100.0

    emulator.on_send = jump
    previous = set_retry_policy(
        RetryPolicy(sleep=lambda _: None, clock=lambda: time.monotonic() + clock["jump"])
    )
    try:
        result = send("--timeout", "30")
    finally:
        set_retry_policy(previous)
    assert result.exit_code == 6, result.stderr
    items = json.loads(result.stdout)["results"]
    assert [r["status"] for r in items] == ["queued", "not_sent", "not_sent"]
    assert items[1]["error"] == "not sent: not tried: --timeout reached"
    assert phones(emulator) == [NUMBERS[0]]
    assert logged()[NUMBERS[2]] == "not_sent"
