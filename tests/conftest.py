"""Every test runs with its own config and data directories and no SMSCTL_* settings."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _build_each_app_once() -> None:
    """typer's CliRunner builds the click command tree from the Typer app on every invoke
    (0.1 to 0.25 s on this machine, and the suite invokes about a thousand times); smsctl's
    own process builds it once. Build it once per app here too: the tree is what click runs,
    with a fresh context per invocation, so a test sees exactly what a user's process does."""
    import typer.testing

    build = typer.testing._get_command
    built: dict[int, tuple[Any, Any]] = {}

    def get_command(app: Any) -> Any:
        hit = built.get(id(app))
        if hit is None or hit[0] is not app:
            hit = built[id(app)] = (app, build(app))
        return hit[1]

    typer.testing._get_command = get_command  # type: ignore[attr-defined]


_build_each_app_once()


def pytest_configure(config: pytest.Config) -> None:
    """Compile sms_cli to bytecode once: the suite starts smsctl as a real process a few hundred
    times, and under PYTHONDONTWRITEBYTECODE each would compile every module it imports from
    source again. Python reads bytecode that exists whatever that setting says, and checks it
    against the source, so what runs is the same."""
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller compiled it
        return
    import compileall

    compileall.compile_dir(Path(__file__).parent.parent / "sms_cli", quiet=1)


@pytest.fixture(autouse=True)
def forget_registered_secrets() -> Iterator[None]:
    """The redaction registry is process-wide: a token one test loads (hypothesis may draw
    `seven`) must not redact another test's output."""
    from sms_cli.core import redaction

    yield
    redaction.forget_secrets()


class FakeClock:
    """Sleeps that return at once. Each is recorded in `sleeps` and moves the clocks of the
    thread that slept on by its length, as a real wait would: a retry loop that checks its
    deadline after a wait sees the time it waited (each bulk worker thread its own)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def _offset(self) -> float:
        offset: float = getattr(self._local, "offset", 0.0)
        return offset

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
        self._local.offset = self._offset() + max(0.0, seconds)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset()

    def time(self) -> float:
        return time.time() + self._offset()


@pytest.fixture(autouse=True)
def retry_clock() -> Iterator[FakeClock]:
    """Every Transport built in this process (CLI runs in-process included) waits on a fake
    clock: retries after a 429 or a refused connection go at once, and `retry_clock.sleeps`
    says which waits were asked for. A test that passes its own `sleep=` keeps it."""
    from sms_cli.providers.http import RetryPolicy, set_retry_policy

    clock = FakeClock()
    policy = RetryPolicy(sleep=clock.sleep, clock=clock.monotonic, wall=clock.time)
    previous = set_retry_policy(policy)
    try:
        yield clock
    finally:
        set_retry_policy(previous)


NO_KEYRING = "keyring.backends.fail.Keyring"
FILE_KEYRING = "sms_cli.testing.file_keyring.FileKeyring"


def _reload_keyring_backend() -> None:
    """`keyring` picks its backend once per process: pick again from PYTHON_KEYRING_BACKEND,
    if this process has loaded it (it is loaded lazily, by the first token kept there)."""
    import sys

    core = sys.modules.get("keyring.core")
    if core is not None:
        core.init_backend()


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A keyring in a file under tmp_path (sms_cli/testing/file_keyring.py), for this process
    and the smsctl processes the test starts; the path to read it back with FileKeyring.entries."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FILE_KEYRING)
    monkeypatch.setenv("SMSCTL_TEST_KEYRING", str(path))
    _reload_keyring_backend()
    yield path
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    _reload_keyring_backend()


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SMSCTL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMSCTL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SMSCTL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    # No test ever reaches the user's OS keyring: the `keyring` library's "fail" backend (every
    # call raises NoKeyringError) unless a test chooses the file backend (`file_keyring`), in
    # this process and in every smsctl process a test starts.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    _reload_keyring_backend()
    # `profile add` asks the provider about the token; most tests add profiles for servers that
    # would count that request, or for the public endpoints. Tests of the check delete this.
    monkeypatch.setenv("SMSCTL_NO_CHECK", "1")
    # Emulators are on loopback: a proxy from the environment must not intercept them.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def record_sent(history: Any, local_id: str, provider: str, provider_id: str, status: str) -> None:
    """A message in the history as if smsctl had sent it: what callbacks and reports refer to."""
    from sms_cli.storage.messages import MessageRecord, Outcome, text_hash

    record = MessageRecord(
        local_id=local_id,
        batch_id="B",
        profile=None,
        provider=provider,
        recipient="+4917612345678",
        sender=None,
        text="hi",
        text_sha256=text_hash("hi"),
        segments=1,
        encoding="gsm7",
    )
    history.record_intent([record])
    history.record_outcomes([Outcome(local_id, status, provider_id=provider_id)])
