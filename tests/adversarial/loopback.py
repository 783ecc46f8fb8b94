"""A real HTTP server on 127.0.0.1 whose every answer a test chooses: the hostile or odd gateway
of the adversarial tests. Subclasses say what to answer (`reply`) and what to remember."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

Reply = tuple[int, dict[str, str], bytes]  # status, headers, body


class LoopbackServer:
    """Started on construction, on a free port; `close()` stops it."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                status, headers, body = owner.reply(self.command, self.path, headers, raw)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def reply(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        """The answer to one request (`path` with its query string; header names lower case)."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def fields_of(headers: dict[str, str], raw: bytes) -> dict[str, Any]:
    """A request body's fields: JSON (Connectel) or a form (seven.io)."""
    if "json" in headers.get("content-type", ""):
        document: dict[str, Any] = json.loads(raw or b"{}")
        return document
    return {key: values[0] for key, values in parse_qs(raw.decode()).items()}


def encoded(body: Any) -> tuple[dict[str, str], bytes]:
    """A text as text/plain, anything else as JSON."""
    if isinstance(body, str):
        return {"Content-Type": "text/plain"}, body.encode()
    return {"Content-Type": "application/json"}, json.dumps(body).encode()
