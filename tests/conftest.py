"""Every test runs with its own config and data directories and no SMSCTL_* settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def forget_registered_secrets() -> Iterator[None]:
    """The redaction registry is process-wide: a token one test loads (hypothesis may draw
    `seven`) must not redact another test's output."""
    from sms_cli.core import redaction

    yield
    redaction._secrets.clear()
    redaction._variants.clear()
    redaction._pieces.clear()


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("SMSCTL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SMSCTL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SMSCTL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NO_COLOR", raising=False)
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
