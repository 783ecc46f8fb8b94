"""The TLS context httpx clients verify with: built once per process and CA setting (loading
the CA bundle costs 20 to 300 ms per client), and still following SSL_CERT_FILE."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms_cli.providers.http import tls_context

CERT = Path(__file__).parent.parent / "integration" / "tls" / "cert.pem"


def subjects(context: object) -> set[str]:
    certificates = context.get_ca_certs()  # type: ignore[attr-defined]
    return {str(c.get("subject")) for c in certificates}


def test_one_context_per_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    default = tls_context()
    assert tls_context() is default
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))
    private = tls_context()
    assert private is not default and tls_context() is private
    assert "127.0.0.1" in " ".join(subjects(private))  # the private CA the file names
    assert "127.0.0.1" not in " ".join(subjects(default))
    monkeypatch.delenv("SSL_CERT_FILE")
    assert tls_context() is default
