"""Bulk input: read a recipients CSV as a stream and check every row before anything is sent.

The file is never held in memory: rows are read, checked and forgotten, so a file of millions of
rows costs what one chunk costs. Only the recipients seen so far are kept, as integers (an E.164
number without its plus is a number), to find duplicates.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sms_cli.core.numbers import InvalidNumber, check
from sms_cli.core.segments import count, split_binary
from sms_cli.core.templates import MissingValue, Template, TemplateError
from sms_cli.errors import InputError

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult

SAMPLE_CHARS = 64 * 1024
DELIMITERS = (",", ";", "\t")
# A line or a record (a quoted field may span lines) longer than this is no recipient list:
# the file is refused rather than read whole into memory (`bulk /dev/zero`).
LINE_LIMIT = 1024 * 1024
# The csv module's own limit: at least a record, so a quote it cannot close never makes it
# start again in the middle of the quoted field, where the rows inside would lose their lines.
FIELD_LIMIT = LINE_LIMIT + 1
# A field longer than this (on one line) is an error row: nothing sensible is that long.
SANE_FIELD = 64 * 1024
# Header names taken for the recipient column, most specific first (compared lower-cased, with
# spaces, dashes and underscores removed).
RECIPIENT_COLUMN_NAMES = (
    "phone",
    "phonenumber",
    "mobile",
    "mobilenumber",
    "mobilephone",
    "msisdn",
    "number",
    "recipient",
    "to",
    "cell",
    "cellphone",
    "tel",
    "telephone",
)
MESSAGE_COLUMN_NAMES = ("message", "text", "body", "sms")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.strip().lower())


@dataclass(frozen=True)
class Table:
    """A CSV being read: its header, delimiter, and the data rows as (line, fields)."""

    header: tuple[str, ...]
    delimiter: str
    rows: Iterator[tuple[int, list[str] | csv.Error]]

    @property
    def columns(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.header)}


def _detect_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of fields."""
    lines = sample.splitlines()[:20] if sample else []
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        counts = []
        reader = csv.reader(lines, delimiter=delimiter)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:  # an over-long field in the sample: judge by the other lines
                continue
            if row:
                counts.append(len(row))
        if not counts:
            continue
        head = counts[0]
        consistent = sum(c == head for c in counts) / len(counts)
        if head > best_fields and consistent >= 0.8:
            best, best_fields = delimiter, head
    return best


def open_table(stream: TextIO, source: str) -> Table:
    """Read the header and detect the delimiter from the first 64 KiB; stream the rest."""
    csv.field_size_limit(FIELD_LIMIT)
    sample = stream.read(SAMPLE_CHARS)
    if sample and not sample.endswith(("\n", "\r")):
        sample += stream.readline(LINE_LIMIT + 1)
    sample = sample.removeprefix("\ufeff")
    delimiter = _detect_delimiter(sample)
    lines: Iterable[str] = _bounded(
        itertools.chain(io.StringIO(sample, newline=None), iter(_lines_of(stream))), source
    )
    # strict: a stray quote is an error, never a field swallowing the lines after it.
    reader = csv.reader(_decoded(lines, source), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{source} is empty") from None
    except csv.Error as exc:
        raise InputError(f"{source}, line 1: unreadable header ({exc})") from None
    header = [name.strip() for name in header]
    if not any(header):
        raise InputError(f"{source}, line 1: the header is empty")
    twice = sorted(name for name, n in Counter(header).items() if name and n > 1)
    if twice:
        raise InputError(
            f"{source}, line 1: the header names {', '.join(repr(n) for n in twice)} "
            "more than once",
            hint="give each column its own name",
        )
    return Table(tuple(header), delimiter, _rows(reader, source))


def _lines_of(stream: TextIO) -> Iterator[str]:
    """The stream's lines, none read past LINE_LIMIT + 1 characters: memory stays bounded
    whatever the file holds."""
    while line := stream.readline(LINE_LIMIT + 1):
        yield line


def _bounded(lines: Iterable[str], source: str) -> Iterator[str]:
    for number, line in enumerate(lines, 1):
        if len(line) > LINE_LIMIT:
            raise InputError(
                f"{source}, line {number} is longer than 1 MiB; is this a CSV file?",
                hint="a recipients file has one short line per recipient",
            )
        yield line


_UNDECODABLE = re.compile("[\udc80-\udcff]").search


def _decoded(lines: Iterable[str], source: str) -> Iterator[str]:
    """The lines, stopping at the first that was not UTF-8 (read with surrogateescape, its
    bad bytes are lone surrogates): the whole file is refused, naming the line."""
    for number, line in enumerate(lines, 1):
        if not line.isascii() and (bad := _UNDECODABLE(line)) is not None:
            raise InputError(
                f"{source}, line {number}: not valid UTF-8 "
                f"(byte 0x{ord(bad.group()) - 0xDC00:02x} at character {bad.start() + 1})",
                hint="convert it first, e.g. iconv -f LATIN1 -t UTF-8",
            )
        yield line


class SpanError(csv.Error):
    """A malformed row that covers several lines, up to `last`."""

    def __init__(self, message: str, last: int) -> None:
        super().__init__(message, last)
        self.last = last

    def __str__(self) -> str:
        return str(self.args[0])


def _rows(reader: Iterator[list[str]], source: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Data rows with the line each starts on; a malformed row yields its csv.Error, then on.

    A row that spans lines is an error row, whatever its fields: a quoted line break in
    recipient data is far more often a stray quote that swallowed the rows after it (and
    would send their numbers and names to the first recipient) than a wanted one. A quoted
    field past 1 MiB refuses the whole file: the rows inside it could not be counted.
    """
    line_num = reader.line_num  # type: ignore[attr-defined]
    while True:
        start = line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line_num = reader.line_num  # type: ignore[attr-defined]
            if str(exc).startswith("field larger than field limit"):
                raise InputError(
                    f"{source}, line {start}: a field runs past 1 MiB (to line {line_num}); "
                    "unbalanced quote? is this a CSV file?",
                    hint="nothing was sent; fix the quote and run the file again",
                ) from None
            if str(exc) == "unexpected end of data":
                yield (
                    start,
                    SpanError(
                        f"a quoted field runs from line {start} to the end of the file "
                        f"(line {line_num}); unbalanced quote?",
                        line_num,
                    ),
                )
            elif line_num > start:
                yield (
                    start,
                    SpanError(
                        f"a quoted field runs from line {start} to line {line_num} ({exc}); "
                        "unbalanced quote?",
                        line_num,
                    ),
                )
            else:
                yield start, exc
            continue
        line_num = reader.line_num  # type: ignore[attr-defined]
        if line_num > start:
            yield (
                start,
                SpanError(
                    f"a quoted field runs from line {start} to line {line_num}; unbalanced quote?",
                    line_num,
                ),
            )
        elif any(len(cell) > SANE_FIELD for cell in row):
            yield start, csv.Error("a field longer than 64 KiB")
        elif row:  # a blank line is no row; a row of empty fields is reported (check_row)
            yield start, row


def find_recipient_column(header: Sequence[str], wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in header:
            raise InputError(
                f"no column named {wanted!r}", hint=f"the columns are: {', '.join(header)}"
            )
        return wanted
    keys = {_key(name): name for name in reversed(header)}
    for candidate in RECIPIENT_COLUMN_NAMES:
        if candidate in keys:
            return keys[candidate]
    raise InputError(
        "no recipient column found",
        hint=f"name it with --to-column; the columns are: {', '.join(header)}",
    )


def find_message_column(header: Sequence[str]) -> str | None:
    keys = {_key(name): name for name in reversed(header)}
    return next((keys[c] for c in MESSAGE_COLUMN_NAMES if c in keys), None)


@dataclass(frozen=True)
class Source:
    """Where each row's text comes from: a template over the columns."""

    template: Template

    @classmethod
    def from_options(
        cls, header: Sequence[str], message: str | None, template_file: Path | None
    ) -> Source:
        if message is not None and template_file is not None:
            raise InputError("give --message or --template-file, not both")
        if template_file is not None:
            try:
                message = template_file.read_text(encoding="utf-8-sig").removesuffix("\n")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read template {template_file}: {exc}") from None
        if message is None:
            column = find_message_column(header)
            if column is None:
                raise InputError(
                    "no message: give --message TEMPLATE, --template-file, or a 'message' column"
                )
            message = "{" + column + "}"
        try:
            template = Template.parse(message)
        except TemplateError as exc:
            raise InputError(str(exc)) from None
        missing = template.missing_columns(list(header))
        if missing:
            raise InputError(
                f"the template uses {', '.join('{' + m + '}' for m in missing)}, "
                "which the file has no column for",
                hint=f"the columns are: {', '.join(header)}",
            )
        return cls(template)


@dataclass(frozen=True, slots=True)
class RowCheck:
    """The pre-flight verdict on one row."""

    line: int
    recipient: str | None
    text: str | None
    sender: str | None
    encoding: str | None
    segments: int
    error: str | None = None
    duplicate_of: int | None = None
    lines: int = 1  # an error row may cover several lines (a quoted field gone astray)
    send_at: str | None = None  # --at-column: the row's own time, ISO 8601 UTC
    label: str | None = None  # --label-column: the row's own label
    needs_region: bool = False  # an invalid national number, and no region to read it with

    @property
    def sendable(self) -> bool:
        return self.error is None and self.duplicate_of is None


@dataclass
class Totals:
    rows: int = 0
    messages: int = 0
    recipients: int = 0
    duplicates: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    error_lines: int = 0  # the lines the error rows cover: more than them when a quote strays
    messages_gsm: int = 0
    messages_ucs2: int = 0
    segments_gsm: int = 0
    segments_ucs2: int = 0

    @property
    def segments(self) -> int:
        return self.segments_gsm + self.segments_ucs2

    def add(self, row: RowCheck) -> None:
        self.rows += 1
        if row.error is not None:
            kind = row.error.split(":", 1)[0]
            self.errors[kind] = self.errors.get(kind, 0) + 1
            self.error_lines += row.lines
            return
        if row.duplicate_of is not None:
            self.duplicates += 1
            return
        self.messages += 1
        self.recipients += 1
        if row.encoding == "gsm7":
            self.messages_gsm += 1
            self.segments_gsm += row.segments
        else:
            self.messages_ucs2 += 1
            self.segments_ucs2 += row.segments


@dataclass(frozen=True)
class RowRules:
    """What a row must satisfy, fixed before the first row is read."""

    recipient_index: int
    columns: tuple[str, ...]
    template: Template
    region: str | None
    max_chars: int
    sender_index: int | None = None
    force_ucs2: bool = False
    # Per-row send options (services/bulk/options.py): a column's index, and the clock its
    # relative times (+2h) count from, the job's start.
    at_index: int | None = None
    label_index: int | None = None
    started: datetime | None = None
    udh: str | None = None  # --udh: every text is hex data, counted in octets
    placeholders: tuple[str, ...] = ()  # --attach: `[[name]]` each text must hold


def check_row(line: int, cells: list[str] | csv.Error, rules: RowRules) -> RowCheck:
    """Everything that can be known about a row without the network."""
    if isinstance(cells, csv.Error):
        lines = cells.last - line + 1 if isinstance(cells, SpanError) else 1
        return RowCheck(line, None, None, None, None, 0, f"malformed CSV: {cells}", lines=lines)
    if not any(cell.strip() for cell in cells):
        return RowCheck(line, None, None, None, None, 0, "empty row: no values, only delimiters")
    if len(cells) != len(rules.columns):
        return RowCheck(
            line, None, None, None, None, 0,
            f"malformed CSV: {len(cells)} fields where the header has {len(rules.columns)}",
        )  # fmt: skip
    raw = cells[rules.recipient_index]
    number = check(raw, rules.region)
    if isinstance(number, InvalidNumber):
        return RowCheck(
            line, None, None, None, None, 0, f"invalid number: {raw!r} ({number.reason})",
            needs_region=rules.region is None and not raw.strip().startswith(("+", "00")),
        )  # fmt: skip
    try:
        text = rules.template.render(dict(zip(rules.columns, cells, strict=True)))
    except MissingValue as exc:
        return RowCheck(
            line, number, None, None, None, 0, f"missing field: {{{exc.field}}} is empty"
        )
    sender = cells[rules.sender_index].strip() or None if rules.sender_index is not None else None
    if rules.placeholders:
        for placeholder in rules.placeholders:
            if placeholder not in text:
                text = f"{text} {placeholder}" if text else placeholder
    if rules.at_index is not None or rules.label_index is not None:
        problem, send_at, label = _row_options(cells, rules)
        if problem is not None:
            return RowCheck(line, number, text, sender, None, 0, problem)
    else:
        send_at = label = None
    if len(text) > rules.max_chars:
        return RowCheck(
            line, number, text, sender, None, 0,
            f"too long: {len(text)} characters, the provider takes at most {rules.max_chars}",
        )  # fmt: skip
    if rules.udh is not None:
        if _HEX_TEXT.fullmatch(text) is None:
            return RowCheck(
                line, number, text, sender, None, 0,
                "not hex: with --udh each text is the message's octets in hex",
            )  # fmt: skip
        binary = split_binary(text, rules.udh)
        return RowCheck(
            line, number, text, sender, binary.encoding, binary.segment_count,
            send_at=send_at, label=label,
        )  # fmt: skip
    measured = count(text, force_ucs2=rules.force_ucs2)
    return RowCheck(
        line, number, text, sender, measured.encoding, measured.parts, send_at=send_at, label=label
    )


_HEX_TEXT = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def _row_options(cells: list[str], rules: RowRules) -> tuple[str | None, str | None, str | None]:
    """(problem, send_at, label) of a row's own --at-column and --label-column cells; an empty
    cell is None: the job's --at or --label applies."""
    from sms_cli.core.times import future_send_time
    from sms_cli.services.sending import label_problem

    send_at = label = None
    if rules.at_index is not None and (raw := cells[rules.at_index].strip()):
        started = rules.started or datetime.now(UTC)
        try:
            when = future_send_time(raw, now=started, option=rules.columns[rules.at_index])
        except InputError as exc:
            return f"invalid time: {raw!r} ({_reason(exc.message, raw)})", None, None
        send_at = when.isoformat(timespec="seconds")
    if rules.label_index is not None and (raw := cells[rules.label_index].strip()):
        problem = label_problem(raw)
        if problem is not None:
            return f"invalid label: {raw!r} (give {problem})", None, None
        label = raw
    return None, send_at, label


def _reason(message: str, raw: str) -> str:
    """The end of a time's InputError, without the option and value it starts with."""
    tail = message.rsplit(repr(raw), 1)[-1].strip(" :")
    return tail or message


class Duplicates:
    """Recipients seen so far, as integers: a million cost tens of megabytes, not hundreds."""

    def __init__(self) -> None:
        self._first: dict[int, int] = {}

    def mark(self, row: RowCheck) -> RowCheck:
        if row.error is not None or row.recipient is None:
            return row
        key = int(row.recipient[1:])
        first = self._first.setdefault(key, row.line)
        if first != row.line:
            return RowCheck(
                row.line, row.recipient, row.text, row.sender, row.encoding, row.segments,
                duplicate_of=first, send_at=row.send_at, label=row.label,
            )  # fmt: skip
        return row


CHUNK_ROWS = 5000
_worker_rules: RowRules | None = None


def _init_worker(rules: RowRules) -> None:
    global _worker_rules
    _worker_rules = rules


def _check_chunk(chunk: list[tuple[int, list[str] | csv.Error]]) -> list[RowCheck]:
    assert _worker_rules is not None
    return [check_row(line, cells, _worker_rules) for line, cells in chunk]


def _checked(table: Table, rules: RowRules, workers: int) -> Iterator[list[RowCheck]]:
    """Checked rows in file order, chunk by chunk.

    Number validation is the costly part (phonenumbers: about 50,000 a second per core), so
    past the first chunk it is spread over worker processes while this one keeps reading and
    keeps the order. A small file never starts a worker.
    """
    chunks = iter(lambda: list(itertools.islice(table.rows, CHUNK_ROWS)), [])
    first = next(chunks, None)
    if first is None:
        return
    yield [check_row(line, cells, rules) for line, cells in first]
    following = next(chunks, None)
    if following is None:
        return
    rest = itertools.chain([following], chunks)
    if workers <= 1:
        for chunk in rest:
            yield [check_row(line, cells, rules) for line, cells in chunk]
        return
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    # apply_async with a bounded window rather than imap: imap reads its whole input ahead,
    # which for a file of millions of rows means holding it all in memory.
    from collections import deque

    with context.Pool(workers, initializer=_init_worker, initargs=(rules,)) as pool:
        pending: deque[AsyncResult[list[RowCheck]]] = deque()
        for chunk in rest:
            pending.append(pool.apply_async(_check_chunk, (chunk,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def preflight(
    table: Table, rules: RowRules, *, allow_duplicates: bool = False, workers: int = 1
) -> Iterator[RowCheck]:
    """Check every row, in order; duplicates (after the first) are marked, not dropped."""
    duplicates = Duplicates()
    for chunk in _checked(table, rules, workers):
        for row in chunk:
            yield row if allow_duplicates else duplicates.mark(row)
