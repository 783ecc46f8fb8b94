"""Renderers: results as JSON documents, rich tables on a terminal, plain text elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from sms_cli import output
from sms_cli.printable import codepoint as codepoint
from sms_cli.printable import visible as visible
from sms_cli.printable import visible_char as visible_char
from sms_cli.redaction import mask
from sms_cli.segments import GSM7, NonGsm

if TYPE_CHECKING:
    from sms_cli.history import Received
    from sms_cli.preview import Preview
    from sms_cli.profiles import Profile, ProfileFile, ResolvedProfile
    from sms_cli.providers.base import Hook, SendResult
    from sms_cli.sending import SendReport
    from sms_cli.tracking import Tracked

ENCODING_LABELS = {"gsm7": "GSM-7", "ucs2": "UCS-2", "binary": "8-bit binary (--udh, hex text)"}
UNIT_NAMES = {"gsm7": "septets", "ucs2": "UTF-16 code units", "binary": "octets"}
UNIT_KEYS = {"gsm7": "septet", "ucs2": "utf16_code_unit", "binary": "octet"}
NATIONAL_NAMES = {"tr": "Turkish", "es": "Spanish", "pt": "Portuguese"}


# ---------------------------------------------------------------------------------------------
# split


def split_json(preview: Preview) -> dict[str, Any]:
    """The stable `smsctl split --json` document (README, "split")."""
    seg = preview.segmentation
    document: dict[str, Any] = {
        "text": seg.text,
        "encoding": seg.encoding,
        "unicode_forced": preview.unicode_forced,
        "characters": seg.characters,
        "units": seg.units,
        "unit": UNIT_KEYS[seg.encoding],
        "segment_count": seg.segment_count,
        "per_segment_limit": seg.limit,
        "single_segment_limit": seg.single_limit,
        "multi_segment_limit": seg.per_segment_limit,
        "remaining": seg.remaining,
        "segments": [
            {
                "index": s.number,
                "text": s.text,
                "units": s.units,
                "remaining": s.remaining,
                "start": s.start,
            }
            for s in seg.segments
        ],
        "non_gsm": [
            {"char": c.char, "index": c.index, "codepoint": codepoint(c.char)} for c in seg.non_gsm
        ],
        "national": {"locking_shift": seg.locking_shift, "single_shift": seg.single_shift},
        "warnings": [{"code": w.code, "message": w.message} for w in preview.warnings],
    }
    if preview.smart is not None:
        document["replacements"] = [
            {"index": r.index, "char": r.char, "replacement": r.replacement}
            for r in preview.smart.replacements
        ]
        document["smart"] = {
            "applied": preview.smart.applied,
            "segment_count_without": preview.segments_without_smart,
            "segments_saved": preview.segments_saved,
        }
    return document


def _group_non_gsm(chars: Iterable[NonGsm], limit: int = 8) -> list[tuple[str, list[int]]]:
    """Distinct characters in order of first appearance, each with its positions."""
    groups: dict[str, list[int]] = {}
    for item in chars:
        groups.setdefault(item.char, []).append(item.index)
    return list(groups.items())[:limit]


def _positions(indexes: list[int], shown: int = 5) -> str:
    text = ", ".join(str(i) for i in indexes[:shown])
    if len(indexes) > shown:
        text += f" (+{len(indexes) - shown} more)"
    return text


def _summary_rows(preview: Preview) -> list[tuple[str, str]]:
    seg = preview.segmentation
    unit = UNIT_NAMES[seg.encoding]
    encoding = ENCODING_LABELS[seg.encoding]
    if preview.unicode_forced:
        encoding += " (forced with --unicode)"
    tables = [
        f"{NATIONAL_NAMES[lang]} {kind}"
        for lang, kind in ((seg.locking_shift, "locking shift"), (seg.single_shift, "single shift"))
        if lang
    ]
    if tables:
        encoding += f" with {' and '.join(tables)}"
    limit_text = f"{seg.limit} {unit} per segment"
    if seg.segment_count == 1 and seg.per_segment_limit != seg.single_limit:
        limit_text += f" ({seg.per_segment_limit} once split)"
    rows = [
        ("Encoding", encoding),
        ("Characters", str(seg.characters)),
        ("Units", f"{seg.units} {unit}"),
        ("Segments", str(seg.segment_count)),
        ("Limit", limit_text),
        ("Left in last", f"{seg.remaining} {unit}"),
    ]
    if seg.encoding != GSM7 and seg.non_gsm:
        groups = _group_non_gsm(seg.non_gsm)
        reasons = "; ".join(
            f"{visible(char)} {codepoint(char)} at {_positions(idx)}" for char, idx in groups
        )
        distinct = len({c.char for c in seg.non_gsm})
        if distinct > len(groups):
            reasons += f"; and {distinct - len(groups)} more"
        rows.append(("UCS-2 because of", reasons))
    if preview.smart is not None:
        rows.append(("Smart encoding", _smart_summary(preview)))
    return rows


def _smart_summary(preview: Preview) -> str:
    smart = preview.smart
    assert smart is not None
    if not smart.candidates:
        return "nothing to replace"
    if not smart.applied:
        return (
            f"not applied: {len(smart.candidates)} look-alike(s) found, but the text needs "
            "UCS-2 anyway, so it is left unchanged"
        )
    saved = preview.segments_saved
    return (
        f"{len(smart.replacements)} replacement(s); {preview.segments_without_smart} → "
        f"{preview.segmentation.segment_count} segments (saves {saved})"
    )


def _replacement_lines(preview: Preview) -> list[str]:
    if preview.smart is None or not preview.smart.applied:
        return []
    return [
        f"  {visible(r.char)} ({codepoint(r.char)}) at {r.index} → "
        + (visible(r.replacement) or "(removed)")
        for r in preview.smart.replacements
    ]


def split_human(preview: Preview) -> None:
    stream = output.stdout()
    if output.is_terminal(stream):
        _split_rich(preview, stream)
    else:
        _split_plain(preview, stream)


def _split_plain(preview: Preview, stream: TextIO) -> None:
    rows = _summary_rows(preview)
    width = max(len(label) for label, _ in rows) + 1
    lines = [f"{label + ':':<{width}} {value}" for label, value in rows]
    replacements = _replacement_lines(preview)
    if replacements:
        lines += ["Replaced:", *replacements]
    lines.append("")
    seg = preview.segmentation
    table = [("#", "Units", "Left", "Text")] + [
        (str(s.number), str(s.units), str(s.remaining), visible(s.text)) for s in seg.segments
    ]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        lines.append(
            f"{row[0]:>{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}"
        )
    stream.write("\n".join(lines) + "\n")


def _split_rich(preview: Preview, stream: TextIO) -> None:
    from rich.table import Table
    from rich.text import Text

    console = output.rich_console(stream)
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    for label, value in _summary_rows(preview):
        summary.add_row(label, value)
    console.print(summary)
    for line in _replacement_lines(preview):
        console.print(Text(line, style="green"))

    seg = preview.segmentation
    marked = {c.index for c in seg.non_gsm} if seg.encoding != GSM7 else set()
    segments = Table(show_header=True, header_style="bold", expand=False)
    segments.add_column("#", justify="right")
    segments.add_column("Text", overflow="fold")
    segments.add_column("Units", justify="right")
    segments.add_column("Left", justify="right")
    for s in seg.segments:
        text = Text()
        for offset, char in enumerate(s.text):
            shown = visible_char(char)
            if s.start + offset in marked:
                text.append(shown, style="bold reverse red")
            elif shown != char:
                text.append(shown, style="dim cyan")
            else:
                text.append(shown)
        segments.add_row(str(s.number), text, str(s.units), str(s.remaining))
    console.print(segments)


# ---------------------------------------------------------------------------------------------
# profiles


def _token_display(profile: Profile, token: str | None, reveal: bool) -> str | None:
    if token is None:
        return None
    return token if reveal else mask(token)


def profile_json(profile: Profile, *, is_default: bool) -> dict[str, Any]:
    """The stable JSON form of one profile; the token is always masked here."""
    return {
        "name": profile.name,
        "provider": profile.provider,
        "default": is_default,
        "sender": profile.sender,
        "base_url": profile.effective_base_url,
        "region": profile.region,
        "token": _token_display(profile, profile.token, reveal=False),
        "token_env": profile.token_env,
        "store_text": profile.store_text,
        "price_per_segment": profile.price_per_segment,
        "signing_key": mask(profile.signing_key) if profile.signing_key else None,
    }


def profile_list_json(profiles: ProfileFile) -> dict[str, Any]:
    default = profiles.default
    if default is not None and default in profiles.broken:
        default = profiles.broken[default].shown_name  # a hand-written name may hold escapes
    return {
        "default": default,
        "profiles": [
            profile_json(p, is_default=p.name == profiles.default)
            for _, p in sorted(profiles.profiles.items())
        ],
        "broken": [
            {"name": b.shown_name, "default": b.name == profiles.default, "error": b.message}
            for _, b in sorted(profiles.broken.items())
        ],
    }


def resolved_profile_json(
    resolved: ResolvedProfile, *, is_default: bool, reveal: bool
) -> dict[str, Any]:
    document = profile_json(resolved.profile, is_default=is_default)
    document["token"] = _token_display(resolved.profile, resolved.token, reveal)
    document["token_set"] = resolved.token is not None
    document["sources"] = dict(resolved.sources)
    return document


def _token_cell(profile: Profile) -> str:
    if profile.token_env:
        return f"${profile.token_env}"
    return mask(profile.token) if profile.token else "-"


def profile_list_human(profiles: ProfileFile) -> None:
    header = ("", "Name", "Provider", "Sender", "Region", "Token", "Base URL")
    rows = [
        (
            "*" if p.name == profiles.default else "",
            p.name,
            p.provider,
            p.sender or "-",
            p.region or "-",
            _token_cell(p),
            p.effective_base_url,
        )
        for _, p in sorted(profiles.profiles.items())
    ]
    rows += [
        ("*" if b.name == profiles.default else "", b.shown_name, "broken", "-", "-", "-", "-")
        for _, b in sorted(profiles.broken.items())
    ]
    table(header, rows, title=None)


def resolved_profile_human(resolved: ResolvedProfile, *, is_default: bool, reveal: bool) -> None:
    profile = resolved.profile
    sources = resolved.sources
    token = _token_display(profile, resolved.token, reveal) or "not set"
    rows = [
        ("Profile", profile.name + (" (default)" if is_default else ""), sources["profile"]),
        ("Provider", profile.provider, sources["provider"]),
        ("Token", token, sources["token"]),
        ("Sender", profile.sender or "-", sources["sender"]),
        ("Base URL", profile.effective_base_url, sources["base_url"]),
        ("Region", profile.region or "-", sources["region"]),
    ]
    if profile.signing_key:
        rows.append(("Signing key", mask(profile.signing_key), "profile"))
    table(("Setting", "Value", "From"), rows, title=None)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str | None = None,
    *,
    wrap: str | None = None,
) -> None:
    """A rich table on a terminal, aligned plain columns elsewhere.

    With `wrap`, only that column (free text, such as a provider's reason) wraps or shrinks to
    fit the terminal; every other column keeps its full width, so no id or number is cut.
    Every cell is shown through `visible`: much of what tables hold came from a provider or a
    caller (ids, states, errors), and its escape sequences and line breaks must not reach the
    terminal as such.
    """
    rows = [[visible(str(cell)) for cell in row] for row in rows]
    stream = output.stdout()
    if output.is_terminal(stream):
        from rich.table import Table
        from rich.text import Text

        console = output.rich_console(stream)
        drawn = Table(title=title, header_style="bold")
        if wrap is None:
            for name in header:
                drawn.add_column(name)
        else:
            widths = _fitted_widths(header, rows, wrap, console.width)
            for name, width in zip(header, widths, strict=True):
                drawn.add_column(name, width=width, no_wrap=name != wrap, overflow="fold")
            # Wider than the terminal even so: rich would shrink every column to fit, so the
            # table is drawn whole and the terminal wraps its lines.
            console.width = max(console.width, sum(widths) + 3 * len(widths) + 1)
        for row in rows:
            # Text, not markup: a cell such as "[link=...]" from a callback stays literal.
            drawn.add_row(*(Text(str(cell)) for cell in row))
        console.print(drawn)
        return
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        line = "  ".join(f"{cell:<{widths[i]}}" for i, cell in enumerate(row))
        stream.write(line.rstrip() + "\n")


MIN_WRAPPED = 20  # the narrowest a wrapping column gets, however narrow the terminal


def _fitted_widths(
    header: Sequence[str], rows: Sequence[Sequence[str]], wrap: str, room: int
) -> list[int]:
    """Column widths for a terminal `room` cells wide: every column as wide as its widest cell,
    except `wrap`, which gets what is left (at least MIN_WRAPPED, or its own width if less)."""
    from rich.cells import cell_len

    widths = [max(cell_len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    if wrap in header:
        index = list(header).index(wrap)
        # Each column has one cell of padding either side, and one border line before it.
        others = sum(w + 3 for i, w in enumerate(widths) if i != index) + 1 + 3
        widths[index] = max(min(widths[index], room - others), min(widths[index], MIN_WRAPPED))
    return widths


# ---------------------------------------------------------------------------------------------
# send


def _result_json(result: SendResult) -> dict[str, Any]:
    return {
        "recipient": result.recipient,
        "status": result.status,
        "id": result.id,
        "parts": result.parts,
        "price": result.price,
        "error": result.error,
        "local_id": result.local_id,
        "bulk_id": result.bulk_id,
        "provider_code": result.provider_code,
        "provider_text": result.provider_text,
        "provider_encoding": result.provider_encoding,
        "address_book": result.address_book,
    }


def send_json(report: SendReport) -> dict[str, Any]:
    """The stable `smsctl send --json` document (README, "Sending")."""
    plan = report.plan
    seg = plan.preview.segmentation
    if report.dry_run:
        results = [
            {**dict.fromkeys(RESULT_KEYS), "recipient": number, "status": "not_sent"}
            for number in plan.recipients
        ]
    else:
        results = [_result_json(r) for r in report.results]
    document: dict[str, Any] = {
        "dry_run": report.dry_run,
        "test": plan.options.test,
        "provider": plan.provider.name,
        "profile": plan.resolved.profile.name,
        "sender": plan.sender,
        "batch_id": plan.batch_id,
        "foreign_id": plan.options.foreign_id,
        "encoding": seg.encoding,
        "characters": seg.characters,
        "segment_count": seg.segment_count,
        "total_price": report.total_price,
        "balance": report.balance,
        "results": results,
    }
    if report.dry_run:
        document["preview"] = split_json(plan.preview)
    return document


RESULT_KEYS = (
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
)


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def send_human(report: SendReport) -> None:
    from sms_cli.providers.base import address_book_name

    plan = report.plan
    if report.dry_run:
        split_human(plan.preview)
        output.stdout().write("\n")
        table(
            ("Recipient", "Status"),
            [
                (
                    number,
                    "not sent (dry run); numbers unknown until sent"
                    if address_book_name(number) is not None
                    else "not sent (dry run)",
                )
                for number in plan.recipients
            ],
            title=None,
        )
        return
    rows: list[tuple[str, ...]] = [
        (
            r.recipient
            if r.address_book in (None, r.recipient)
            else f"{r.recipient} ({r.address_book})",
            r.status,
            visible(_cell(r.id)),
            _cell(r.parts),
            _cell(r.price),
            visible(r.error or ""),
        )
        for r in report.results
    ]
    table(("Recipient", "Status", "ID", "Parts", "Price", "Error"), rows, title=None)
    if report.balance is not None:
        output.stdout().write(f"Balance: {report.balance}\n")


# ---------------------------------------------------------------------------------------------
# status and log


def status_json(tracked: Sequence[Tracked], *, waited: bool) -> dict[str, Any]:
    """The stable `smsctl status --json` document (README, "Delivery reports")."""
    return {
        "waited": waited,
        "all_final": all(t.final for t in tracked),
        "messages": [
            {
                "id": t.id,
                "recipient": t.recipient,
                "status": t.status,
                "provider_status": t.provider_status,
                "updated_at": t.updated_at,
                "final": t.final,
                "local_id": t.local_id,
                "bulk_id": t.bulk_id,
                "provider": t.provider,
                "profile": t.profile,
                "note": t.note,
                "reason": t.reason,
            }
            for t in tracked
        ],
    }


REASON = "Reason"  # the column shown only when a message has one


def status_human(tracked: Sequence[Tracked]) -> None:
    header: tuple[str, ...] = ("Recipient", "Status", "Provider status", "ID", "Updated")
    rows: list[tuple[str, ...]] = [
        (
            _cell(t.recipient),
            t.status + (" (final)" if t.final else ""),
            visible(_cell(t.provider_status)),
            visible(_cell(t.id)),
            _cell(t.updated_at),
        )
        for t in tracked
    ]
    if any(t.reason for t in tracked):
        header += (REASON,)
        rows = [(*row, _reason_cell(t.reason)) for row, t in zip(rows, tracked, strict=True)]
    table(header, rows, title=None, wrap=REASON)


def _reason_cell(reason: str | None) -> str:
    """A provider's reason as a cell: its escape sequences shown, not obeyed."""
    return visible(reason) if reason else "-"


LOG_KEYS = (
    "local_id",
    "batch_id",
    "submitted_at",
    "profile",
    "provider",
    "id",
    "bulk_id",
    "recipient",
    "sender",
    "text",
    "text_sha256",
    "segments",
    "encoding",
    "parts",
    "price",
    "status",
    "provider_status",
    "error",
    "updated_at",
    "test",
    "reason",  # last: CSV readers that count columns keep working
)
_LOG_COLUMNS = {"id": "provider_id", "updated_at": "status_at"}


def _log_record(row: Any) -> dict[str, Any]:
    record = {key: row[_LOG_COLUMNS.get(key, key)] for key in LOG_KEYS}
    record["test"] = bool(record["test"])
    return record


def log_json(rows: Sequence[Any]) -> dict[str, Any]:
    return {"messages": [_log_record(row) for row in rows]}


def log_csv(rows: Sequence[Any]) -> None:
    import csv

    writer = csv.writer(output.stdout(), lineterminator="\n")
    writer.writerow(LOG_KEYS)
    for row in rows:
        record = _log_record(row)
        record["test"] = "true" if record["test"] else "false"
        writer.writerow(["" if v is None else v for v in record.values()])


def _short(text: str | None, width: int = 40) -> str:
    if text is None:
        return "(not stored)"
    shown = visible(text)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def log_human(rows: Sequence[Any]) -> None:
    if not rows:
        output.info("no messages in the history match")
        return
    header: tuple[str, ...] = ("Sent (UTC)", "Recipient", "Status", "Provider", "ID", "Text")
    lines: list[tuple[str, ...]] = [
        (
            row["submitted_at"][:19].replace("T", " "),
            row["recipient"],
            row["status"],
            row["provider"],
            visible(_cell(row["provider_id"])),
            _short(row["text"]),
        )
        for row in rows
    ]
    if any(row["reason"] for row in rows):
        header += (REASON,)
        lines = [
            (*line, _reason_cell(row["reason"])) for line, row in zip(lines, rows, strict=True)
        ]
    table(header, lines, wrap=REASON)


# ---------------------------------------------------------------------------------------------
# receiving: listen, inbox, hooks, balance


def received_json(received: Received) -> dict[str, Any]:
    """One line of `smsctl listen --json` (README, "Receiving")."""
    event = received.event
    if event.kind == "inbound":
        return {
            "event": "inbound",
            "provider": event.provider,
            "id": event.id,
            "from": event.sender,
            "to": event.recipient,
            "text": event.text,
            "sent_at": event.sent_at,
            "received_at": received.received_at,
        }
    return {
        "event": "dlr",
        "provider": event.provider,
        "id": event.message_id,
        "status": event.status,
        "provider_status": event.provider_status,
        "reason": event.reason,
        "recipient": received.recipient,
        "at": event.at,
        "received_at": received.received_at,
        "known": bool(received.local_ids),
        "updated": received.changed,
        "local_ids": list(received.local_ids),
    }


RECEIVED_HEADER = ("Received (UTC)", "Event", "Provider", "ID", "Number", "Detail")
RECEIVED_WIDTHS = (19, 7, 9, 20, 16)


def received_row(received: Received) -> tuple[str, ...]:
    """A row of `listen`'s table. Every field came from whoever called the URL (Connectel
    callbacks are unsigned): all of it is shown through `visible`, so escape sequences in an
    id or a sender cannot retitle the window or clear the screen."""
    event = received.event
    stamp = received.received_at[:19].replace("T", " ")
    if event.kind == "inbound":
        detail = f"to {event.recipient or '?'}: {event.text}"
        cells = (stamp, "inbound", event.provider, event.id or "-", event.sender, detail)
    else:
        detail = event.status + (f" ({event.provider_status})" if event.provider_status else "")
        if event.reason:
            detail += f": {event.reason}"
        if not received.local_ids:
            detail += ", not in the history"
        elif not received.changed:
            detail += f", kept {received.status}"
        number = received.recipient or "-"
        cells = (stamp, "dlr", event.provider, event.message_id, number, detail)
    return tuple(visible(cell) for cell in cells)


def received_line(cells: Sequence[str]) -> str:
    """A row of the live table: fixed columns, so lines printed one by one stay aligned."""
    fixed = [f"{cell:<{width}}" for cell, width in zip(cells, RECEIVED_WIDTHS, strict=False)]
    return "  ".join([*fixed, *cells[len(RECEIVED_WIDTHS) :]]).rstrip()


def inbox_json(rows: Sequence[Any]) -> dict[str, Any]:
    return {
        "messages": [
            {
                "number": row["number"],
                "provider": row["provider"],
                "id": row["provider_id"],
                "from": row["sender"],
                "to": row["recipient"],
                "text": row["text"],
                "sent_at": row["sent_at"],
                "received_at": row["received_at"],
            }
            for row in rows
        ]
    }


def inbox_human(rows: Sequence[Any]) -> None:
    if not rows:
        output.info("no received messages match")
        return
    # Sender, recipient and text are whatever the caller of `listen` sent: shown, not obeyed.
    lines = [
        (
            row["received_at"][:19].replace("T", " "),
            visible(row["sender"]),
            visible(_cell(row["recipient"])),
            visible(row["provider"]),
            _short(row["text"], 60),
        )
        for row in rows
    ]
    table(("Received (UTC)", "From", "To", "Provider", "Text"), lines)


def hooks_json(hooks: Sequence[Hook]) -> dict[str, Any]:
    return {
        "hooks": [
            {
                "id": h.id,
                "url": h.url,
                "event": h.event,
                "method": h.method,
                "filter": h.filter,
                "enabled": h.enabled,
                "created": h.created,
            }
            for h in hooks
        ]
    }


def hooks_human(hooks: Sequence[Hook]) -> None:
    if not hooks:
        output.info("no webhooks registered")
        return
    rows = [
        (h.id, h.event, _cell(h.method), "yes" if h.enabled else "no", _cell(h.created), h.url)
        for h in hooks
    ]
    table(("ID", "Event", "Method", "Enabled", "Created", "URL"), rows)
