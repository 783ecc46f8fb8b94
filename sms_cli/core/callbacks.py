"""Callbacks providers push to `smsctl listen`: the events, and how a request body becomes fields.

Pure: no sockets, no storage. Each provider module reads its own payloads from the fields decoded
here (`Provider.parse_callback`); the receiver only moves bytes and stores what comes out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from sms_cli.core.status import Status

MAX_FIELD_CHARS: Final = 10_000
MAX_FIELDS: Final = 200


class BadCallback(Exception):
    """A request the receiver refuses, with the 4xx status that says why."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class DeliveryEvent:
    """A delivery report for one message the provider knows by `message_id`."""

    provider: str
    message_id: str
    status: Status
    provider_status: str | None
    recipient: str | None = None
    at: str | None = None  # ISO 8601 UTC, when the provider says
    reason: str | None = None  # why, in the provider's words (redacted: redaction.shorten)

    kind: Literal["dlr"] = "dlr"

    @property
    def dedupe_key(self) -> str:
        """Providers retry; the same report for the same message is one event (PROVIDERS.md
        §2.10.2: dedupe on msg_id and status)."""
        return f"{self.provider}:dlr:{self.message_id}:{self.provider_status or self.status}"


@dataclass(frozen=True)
class InboundEvent:
    """An SMS someone sent to one of the account's numbers."""

    provider: str
    id: str | None
    sender: str
    recipient: str | None
    text: str
    sent_at: str | None = None

    kind: Literal["inbound"] = "inbound"

    @property
    def dedupe_key(self) -> str:
        if self.id:
            return f"{self.provider}:inbound:{self.id}"
        digest = hashlib.sha256(
            "\x00".join((self.sender, self.recipient or "", self.text, self.sent_at or "")).encode()
        ).hexdigest()
        return f"{self.provider}:inbound:sha256:{digest}"


CallbackEvent = DeliveryEvent | InboundEvent


@dataclass(frozen=True)
class CallbackRequest:
    """What a provider's signature covers: the request as the provider sent it."""

    method: str
    url: str  # as the provider called it, query string included
    headers: Mapping[str, str]  # names in lower case
    body: bytes


def decode_fields(method: str, content_type: str, query: str, body: bytes) -> dict[str, Any]:
    """The fields of a callback: a JSON object, a form, or a query string (GET).

    Form and query keys in PHP style (`data[msg_id]=...`) become nested objects, as a provider
    sends them (PROVIDERS.md §2.10.2).
    """
    kind = content_type.split(";")[0].strip().lower()
    if method == "GET" or not body.strip():
        return _nest(_pairs(query.encode("latin-1", "replace")))
    if kind == "application/json" or (not kind and body.lstrip()[:1] == b"{"):
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadCallback("the body is not valid JSON") from None
        if not isinstance(document, dict):
            raise BadCallback("the JSON body is not an object")
        try:
            # JSON may escape a lone surrogate ("\\ud800"): no UTF-8 text, so never storable.
            # Refused here as bad input (400); a 503 would have the provider retry it for days.
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise BadCallback("the JSON body has a lone surrogate (not UTF-8 text)") from None
        return document
    if kind in ("application/x-www-form-urlencoded", ""):
        return _nest(_pairs(body))
    raise BadCallback(f"unsupported content type {kind!r}", status=415)


def _pairs(data: bytes) -> list[tuple[str, str]]:
    try:
        text = data.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise BadCallback("the form is not UTF-8") from None
    except ValueError:
        raise BadCallback(f"more than {MAX_FIELDS} fields") from None
    return pairs


def _nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """`a[b][c]=v` as {"a": {"b": {"c": "v"}}}; a plain key stays a plain key."""
    fields: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        if not rest or not rest.endswith("]"):
            fields[key] = value
            continue
        path = [head, *rest[:-1].split("][")]
        node = fields
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = value
    return fields


def text_field(fields: Mapping[str, Any], *names: str, required: bool = True) -> str | None:
    """The first of `names` present, as text; numbers are accepted (ids arrive as both)."""
    for name in names:
        value = fields.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise BadCallback(f"field {name!r} must be text or a number")
        text = str(value)
        if len(text) > MAX_FIELD_CHARS:
            raise BadCallback(f"field {name!r} is longer than {MAX_FIELD_CHARS} characters")
        return text
    if required:
        raise BadCallback(f"field {names[0]!r} is missing")
    return None


def object_field(fields: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = fields.get(name)
    if not isinstance(value, dict):
        raise BadCallback(f"field {name!r} must be an object")
    return value


def phone(value: str | None) -> str | None:
    """A number in E.164 form when it is all digits; an alphanumeric sender stays as it is."""
    if value is None:
        return None
    bare = value.strip().removeprefix("+")
    if bare.startswith("00"):
        bare = bare[2:]
    return f"+{bare}" if bare.isdigit() and bare.isascii() else value.strip()


def iso_time(value: str | None) -> str | None:
    """A provider's time (Unix seconds, ISO 8601, `YYYY-MM-DD hh:mm:ss`) as ISO UTC, or None."""
    if value is None:
        return None
    text = value.strip()
    try:
        if text.replace(".", "", 1).isdigit():
            when = datetime.fromtimestamp(float(text), UTC)
        else:
            when = datetime.fromisoformat(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
