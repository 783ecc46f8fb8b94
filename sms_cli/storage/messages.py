"""The local history of what was sent and received, on the database of `storage/db.py`.

Every message is written *before* its request leaves, as `unknown` / in flight, and updated with
the provider's answer after; so a crash, a kill or a lost answer leaves a record that a later
`status` can settle, never a send nobody knows about. Reads return typed frozen records
(`SentMessage`, `ReceivedMessage`), never database rows.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from sms_cli.storage.db import Database, guarded, now_iso

if TYPE_CHECKING:
    from sms_cli.core.callbacks import CallbackEvent

IN_FLIGHT: Final = "in_flight"
# A message that never left: refused before the provider processed it (authentication, a rate
# limit that never cleared, no connection). Not a delivery state: nothing will ever report on it.
NOT_SENT: Final = "not_sent"
# Non-final states in the order a message passes them; a late report never moves one back.
PROGRESS: Final[dict[str, int]] = {"unknown": 0, "queued": 1, "enroute": 2}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MessageRecord:
    """One recipient's message as recorded before it is sent."""

    local_id: str
    batch_id: str
    profile: str | None
    provider: str
    recipient: str
    sender: str | None
    text: str | None
    text_sha256: str
    segments: int
    encoding: str
    foreign_id: str | None = None
    test: bool = False


@dataclass(frozen=True)
class Outcome:
    """The answer for one recorded message."""

    local_id: str
    status: str
    provider_id: str | None = None
    bulk_id: str | None = None
    parts: int | None = None
    price: float | None = None
    provider_encoding: str | None = None
    provider_recipient: str | None = None
    provider_status: str | None = None
    provider_code: str | None = None
    error: str | None = None
    reason: str | None = None  # the provider's words; `error` stands in when it has none

    @property
    def stored_reason(self) -> str | None:
        """What the history keeps as the reason: the provider's text, else smsctl's error."""
        return reason_text(self.reason) or reason_text(self.error)

    @classmethod
    def of(cls, result: SendAnswer) -> Outcome:
        """What a provider's answer for one message puts in the history."""
        return cls(
            local_id=result.local_id,
            status=result.status,
            provider_id=result.id,
            bulk_id=result.bulk_id,
            parts=result.parts,
            price=result.price,
            provider_encoding=result.provider_encoding,
            # An address-book message keeps its entry as the recipient; the number is kept here.
            provider_recipient=result.recipient if result.address_book else None,
            # An HTTP refusal's code is no state of the message (it is in `error`).
            provider_status=None if result.http_status else result.provider_code,
            provider_code=result.provider_code,
            error=result.error,
            reason=result.provider_text,
        )


def reason_text(value: str | None) -> str | None:
    """A reason as stored: None for nothing, an empty or blank text included."""
    if value is None or not value.strip():
        return None
    return value


@dataclass(frozen=True)
class RecentSend:
    """The latest time a text went to one recipient: what a provider's reload lock counts."""

    recipient: str
    submitted_at: str


@dataclass(frozen=True)
class Received:
    """What a pushed event did: nothing (a provider's retry), or which messages it moved."""

    event: CallbackEvent
    received_at: str
    duplicate: bool = False
    local_ids: tuple[str, ...] = ()  # messages of ours it reports on
    changed: bool = False  # whether any of them moved to a newer state
    status: str | None = None  # the state in the history afterwards
    recipient: str | None = None  # from the history when the report does not say


class SendAnswer(Protocol):
    """What the history needs of a provider's answer for one message (providers.base.SendResult
    has it): storage stays below the providers."""

    @property
    def local_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def bulk_id(self) -> str | None: ...
    @property
    def parts(self) -> int | None: ...
    @property
    def price(self) -> float | None: ...
    @property
    def provider_encoding(self) -> str | None: ...
    @property
    def recipient(self) -> str: ...
    @property
    def address_book(self) -> str | None: ...
    @property
    def http_status(self) -> int | None: ...
    @property
    def provider_code(self) -> str | None: ...
    @property
    def provider_text(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True)
class SentMessage:
    """One sent message as the history holds it."""

    local_id: str
    batch_id: str
    profile: str | None
    provider: str
    provider_id: str | None
    bulk_id: str | None
    foreign_id: str | None
    recipient: str
    sender: str | None
    text: str | None  # None: kept as its hash only (--no-store-text)
    text_sha256: str
    segments: int
    encoding: str
    parts: int | None
    price: float | None
    test: bool
    submitted_at: str
    status: str
    provider_status: str | None
    provider_code: str | None
    error: str | None
    status_at: str
    reason: str | None
    provider_encoding: str | None
    provider_recipient: str | None

    @classmethod
    def of(cls, row: sqlite3.Row) -> SentMessage:
        return cls(
            local_id=row["local_id"],
            batch_id=row["batch_id"],
            profile=row["profile"],
            provider=row["provider"],
            provider_id=row["provider_id"],
            bulk_id=row["bulk_id"],
            foreign_id=row["foreign_id"],
            recipient=row["recipient"],
            sender=row["sender"],
            text=row["text"],
            text_sha256=row["text_sha256"],
            segments=row["segments"],
            encoding=row["encoding"],
            parts=row["parts"],
            price=row["price"],
            test=bool(row["test"]),
            submitted_at=row["submitted_at"],
            status=row["status"],
            provider_status=row["provider_status"],
            provider_code=row["provider_code"],
            error=row["error"],
            status_at=row["status_at"],
            reason=row["reason"],
            provider_encoding=row["provider_encoding"],
            provider_recipient=row["provider_recipient"],
        )


@dataclass(frozen=True)
class ReceivedMessage:
    """One SMS received by `smsctl listen`."""

    number: int  # its place in the inbox, in the order received
    provider: str
    provider_id: str | None
    sender: str
    recipient: str | None
    text: str
    sent_at: str | None
    received_at: str

    @classmethod
    def of(cls, row: sqlite3.Row) -> ReceivedMessage:
        return cls(
            number=row["number"],
            provider=row["provider"],
            provider_id=row["provider_id"],
            sender=row["sender"],
            recipient=row["recipient"],
            text=row["text"],
            sent_at=row["sent_at"],
            received_at=row["received_at"],
        )


class History(Database):
    """The sent messages and the received ones."""

    # -- writing -------------------------------------------------------------------------------

    def record_intent(self, records: Iterable[MessageRecord]) -> None:
        """Write the messages as in flight, before the request leaves."""
        with self.transaction() as db:
            insert_intents(db, records)

    def record_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        with self.transaction() as db:
            update_outcomes(db, outcomes)

    # -- reading -------------------------------------------------------------------------------

    @guarded
    def by_batch(self, batch_id: str) -> list[SentMessage]:
        return [
            SentMessage.of(row)
            for row in self.connection.execute(
                "SELECT * FROM messages WHERE batch_id = ? ORDER BY rowid", (batch_id,)
            )
        ]

    @guarded
    def find(self, identifier: str) -> list[SentMessage]:
        """Messages an id names: a local id, a provider message id, or a (bulk) batch id."""
        return [
            SentMessage.of(row)
            for row in self.connection.execute(
                """
                SELECT * FROM messages
                WHERE local_id = ? OR provider_id = ? OR bulk_id = ?
                ORDER BY rowid
                """,
                (identifier, identifier, identifier),
            )
        ]

    @guarded
    def last_batch(self) -> list[SentMessage]:
        row = self.connection.execute(
            "SELECT batch_id FROM messages ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        return self.by_batch(row["batch_id"]) if row else []

    @guarded
    def update_status(
        self,
        local_id: str,
        status: str,
        provider_status: str | None,
        at: str | None = None,
        *,
        provider_id: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Record a newer state; a final state is never replaced. True when something changed.

        Reports can arrive out of order (polling, callbacks), so the check and the write happen
        in one immediate transaction. A report that moves the state on brings its own reason
        (or none); one for the same state without a reason keeps the reason already known.
        """
        from sms_cli.core.status import FINAL_STATUSES

        reason = reason_text(reason)
        with self.transaction() as db:
            row = db.execute(
                "SELECT status, provider_status, provider_id, reason FROM messages "
                "WHERE local_id = ?",
                (local_id,),
            ).fetchone()
            if row is None or row["status"] == NOT_SENT:
                return False
            same = (row["status"], row["provider_status"]) == (status, provider_status)
            if same and reason is not None and reason != row["reason"]:
                # The same state, now with the provider's reason for it (even a final one).
                db.execute("UPDATE messages SET reason = ? WHERE local_id = ?", (reason, local_id))
                changed = True
            else:
                changed = False
            if row["status"] in FINAL_STATUSES:
                return changed
            if same and (provider_id is None or provider_id == row["provider_id"]):
                return changed
            db.execute(
                """
                UPDATE messages SET status = ?, provider_status = ?, status_at = ?,
                    provider_id = COALESCE(?, provider_id),
                    reason = CASE WHEN ? THEN COALESCE(?, reason) ELSE ? END
                WHERE local_id = ?
                """,
                (status, provider_status, at or now_iso(), provider_id, same, reason, reason,
                 local_id),
            )  # fmt: skip
            return True

    def receive(self, event: CallbackEvent) -> Received:
        """Store a pushed event once: a delivery report moves its messages on (never back), an
        inbound message is kept. A repeat of an event already stored changes nothing."""
        from sms_cli.core.status import FINAL_STATUSES

        stamp = now_iso()
        with self.transaction() as db:
            fresh = db.execute(
                "INSERT OR IGNORE INTO callback_events (key, provider, kind, received_at) "
                "VALUES (?, ?, ?, ?)",
                (event.dedupe_key, event.provider, event.kind, stamp),
            ).rowcount
            if not fresh:
                return Received(event, stamp, duplicate=True)
            if event.kind == "inbound":
                db.execute(
                    "INSERT INTO inbound (provider, provider_id, sender, recipient, text, "
                    "sent_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (event.provider, event.id, event.sender, event.recipient, event.text,
                     event.sent_at, stamp),
                )  # fmt: skip
                return Received(event, stamp)
            rows = db.execute(
                "SELECT local_id, status, provider_status, recipient FROM messages "
                "WHERE provider = ? AND provider_id = ?",
                (event.provider, event.message_id),
            ).fetchall()
            reason = reason_text(event.reason)
            changed = False
            status = None
            for row in rows:
                old = row["status"]
                status = old
                if old in FINAL_STATUSES or old == NOT_SENT:
                    continue
                new_final = event.status in FINAL_STATUSES
                if not new_final and PROGRESS.get(event.status, 0) < PROGRESS.get(old, 0):
                    continue
                # A report for the state already known keeps the reason known when it has none.
                same = (old, row["provider_status"]) == (event.status, event.provider_status)
                db.execute(
                    "UPDATE messages SET status = ?, provider_status = ?, status_at = ?, "
                    "reason = CASE WHEN ? THEN COALESCE(?, reason) ELSE ? END "
                    "WHERE local_id = ?",
                    (event.status, event.provider_status, event.at or stamp, same, reason,
                     reason, row["local_id"]),
                )  # fmt: skip
                changed = True
                status = event.status
            return Received(
                event,
                stamp,
                local_ids=tuple(row["local_id"] for row in rows),
                changed=changed,
                status=status,
                recipient=event.recipient or (rows[0]["recipient"] if rows else None),
            )

    @guarded
    def inbox(
        self,
        *,
        sender: str | Sequence[str] | None = None,
        recipient: str | Sequence[str] | None = None,
        provider: str | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[ReceivedMessage]:
        """Received messages, newest first, filtered."""
        rows = self._newest_first(
            "SELECT rowid AS number, * FROM inbound",
            {"sender": sender, "recipient": recipient, "provider": provider},
            ("received_at", since),
            limit,
        )
        return [ReceivedMessage.of(row) for row in rows]

    @guarded
    def query(
        self,
        *,
        recipient: str | Sequence[str] | None = None,
        status: str | None = None,
        since: str | None = None,
        profile: str | None = None,
        limit: int | None = None,
    ) -> list[SentMessage]:
        """The history, newest first, filtered."""
        rows = self._newest_first(
            "SELECT * FROM messages",
            {"recipient": recipient, "status": status, "profile": profile},
            ("submitted_at", since),
            limit,
        )
        return [SentMessage.of(row) for row in rows]

    @guarded
    def recent_same_text(
        self, *, text_sha256: str, recipients: Sequence[str], provider: str, since: str
    ) -> list[RecentSend]:
        """Recipients this text (by its hash, so --no-store-text rows count) went to through
        `provider` since `since`, each with the latest time. Messages certainly not sent, those
        refused and test sends are left out: none of them went out."""
        found: list[RecentSend] = []
        chunk = 500  # under SQLite's limit of host parameters
        for start in range(0, len(recipients), chunk):
            part = list(recipients[start : start + chunk])
            marks = ", ".join("?" * len(part))
            rows = self.connection.execute(
                "SELECT recipient, MAX(submitted_at) AS at FROM messages "
                "WHERE text_sha256 = ? AND provider = ? AND submitted_at >= ? AND test = 0 "
                f"AND status NOT IN (?, 'rejected') AND recipient IN ({marks}) "
                "GROUP BY recipient ORDER BY at",
                (text_sha256, provider, since, NOT_SENT, *part),
            )
            found += [RecentSend(row["recipient"], row["at"]) for row in rows]
        return found

    @guarded
    @guarded
    def holds(self, column: str, values: Sequence[str]) -> bool:
        """Whether any row's COLUMN ("messages.recipient", "inbound.sender",
        "inbound.recipient") is one of VALUES: a filter value stored as written."""
        if column not in ("messages.recipient", "inbound.sender", "inbound.recipient"):
            raise ValueError(column)
        table, name = column.split(".")
        marks = ", ".join("?" * len(values))
        sql = f"SELECT 1 FROM {table} WHERE {name} IN ({marks}) LIMIT 1"
        return bool(values) and self.connection.execute(sql, list(values)).fetchone() is not None

    def _newest_first(
        self,
        select: str,
        equal: dict[str, str | Sequence[str] | None],
        since: tuple[str, str | None],
        limit: int | None,
    ) -> list[sqlite3.Row]:
        """Rows whose columns equal the values given (None: any; a sequence: any of its
        values), newest first.

        Rows are appended as they happen, so the rowid order is the time order; an index on
        the time would cost every write a b-tree update for nothing.
        """
        clauses: list[str] = []
        values: list[str] = []
        for column, value in equal.items():
            if value is None:
                continue
            if isinstance(value, str):
                clauses.append(f"{column} = ?")
                values.append(value)
            else:
                clauses.append(f"{column} IN ({', '.join('?' * len(value))})")
                values.extend(value)
        since_column, since_value = since
        if since_value is not None:
            clauses.append(f"{since_column} >= ?")
            values.append(since_value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"{select}{where} ORDER BY rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            values.append(str(limit))
        return list(self.connection.execute(sql, values))


def insert_intents(db: sqlite3.Connection, records: Iterable[MessageRecord]) -> None:
    """The messages as in flight (status unknown), inside the caller's transaction."""
    stamp = now_iso()
    db.executemany(
        """
        INSERT INTO messages (local_id, batch_id, profile, provider, foreign_id,
            recipient, sender, text, text_sha256, segments, encoding, test,
            submitted_at, status, provider_status, status_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unknown', ?, ?)
        """,
        [
            (
                r.local_id, r.batch_id, r.profile, r.provider, r.foreign_id, r.recipient,
                r.sender, r.text, r.text_sha256, r.segments, r.encoding, int(r.test), stamp,
                IN_FLIGHT, stamp,
            )
            for r in records
        ],
    )  # fmt: skip


def insert_answered(
    db: sqlite3.Connection, records: Sequence[MessageRecord], outcomes: Sequence[Outcome]
) -> None:
    """Messages written once, with their answers: for bulk jobs, whose own journal holds the
    record made before each request."""
    stamp = now_iso()
    db.executemany(
        """
        INSERT INTO messages (local_id, batch_id, profile, provider, foreign_id,
            recipient, sender, text, text_sha256, segments, encoding, test,
            submitted_at, status, provider_id, bulk_id, parts, price, provider_status,
            provider_code, error, status_at, reason, provider_encoding, provider_recipient)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            (
                r.local_id, r.batch_id, r.profile, r.provider, r.foreign_id, r.recipient,
                r.sender, r.text, r.text_sha256, r.segments, r.encoding, int(r.test), stamp,
                o.status, o.provider_id, o.bulk_id, o.parts, o.price, o.provider_status,
                o.provider_code, o.error, stamp, o.stored_reason, o.provider_encoding,
                o.provider_recipient,
            )
            for r, o in zip(records, outcomes, strict=True)
        ],
    )  # fmt: skip


def update_outcomes(db: sqlite3.Connection, outcomes: Iterable[Outcome]) -> None:
    """The provider's answers, inside the caller's transaction."""
    stamp = now_iso()
    db.executemany(
        """
        UPDATE messages SET status = ?, provider_id = ?, bulk_id = ?, parts = ?,
            price = ?, provider_status = ?, provider_code = ?, error = ?, status_at = ?,
            reason = ?, provider_encoding = COALESCE(?, provider_encoding),
            provider_recipient = COALESCE(?, provider_recipient)
        WHERE local_id = ?
        """,
        [
            (
                o.status, o.provider_id, o.bulk_id, o.parts, o.price, o.provider_status,
                o.provider_code, o.error, stamp, o.stored_reason, o.provider_encoding,
                o.provider_recipient, o.local_id,
            )
            for o in outcomes
        ],
    )  # fmt: skip
