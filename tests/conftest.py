"""Every test runs with its own config and data directories and no SMSCTL_* settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


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
