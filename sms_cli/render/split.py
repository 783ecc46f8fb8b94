"""What `smsctl split` shows: segmentation, encoding, the characters that cost."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from sms_cli.core.printable import codepoint, visible
from sms_cli.core.segments import GSM7, NonGsm
from sms_cli.render import output
from sms_cli.render.table import BLOCK_TEXT_MIN, NARROW, display_width

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from sms_cli.services.preview import Preview

ENCODING_LABELS = {"gsm7": "GSM-7", "ucs2": "UCS-2", "binary": "8-bit binary (--udh, hex text)"}
UNIT_NAMES = {"gsm7": "septets", "ucs2": "UTF-16 code units", "binary": "octets"}
UNIT_KEYS = {"gsm7": "septet", "ucs2": "utf16_code_unit", "binary": "octet"}
NATIONAL_NAMES = {"tr": "Turkish", "es": "Spanish", "pt": "Portuguese"}


def split_json(preview: Preview) -> dict[str, Any]:
    """The stable `smsctl split --json` document (docs/json.md)."""
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
    _labelled(console, [(label, Text(value)) for label, value in _summary_rows(preview)])
    for line in _replacement_lines(preview):
        console.print(Text(line, style="green"))

    seg = preview.segmentation
    blocks: list[list[tuple[str, Text]]] = []
    marked = {c.index for c in seg.non_gsm} if seg.encoding != GSM7 else set()
    # The columns in the plain layout's order: free text last, where it can wrap.
    segments = Table(show_header=True, header_style="bold", expand=False)
    segments.add_column("#", justify="right", no_wrap=True)
    segments.add_column("Units", justify="right", no_wrap=True)
    segments.add_column("Left", justify="right", no_wrap=True)
    segments.add_column("Text", overflow="fold")
    for s in seg.segments:
        text = Text()
        offset = 0
        # One style per grapheme: a terminal draws 👍🏽 or é (e + U+0301) as one glyph only
        # when no escape sequence splits it.
        for cluster in graphemes(s.text):
            shown = visible(cluster)  # a cluster holds a whole emoji sequence, its joiners too
            positions = range(s.start + offset, s.start + offset + len(cluster))
            offset += len(cluster)
            if any(position in marked for position in positions):
                text.append(shown, style="bold reverse red")
            elif shown != cluster:
                text.append(shown, style="dim cyan")
            else:
                text.append(shown)
        segments.add_row(str(s.number), str(s.units), str(s.remaining), text)
        blocks.append([("#", Text(str(s.number))), ("Units", Text(str(s.units))),
                       ("Left", Text(str(s.remaining))), ("Text", text)])  # fmt: skip
    if console.width < NARROW:  # one segment per block, as every table below ~60 columns
        for block in blocks:
            console.print()
            _labelled(console, block)
    else:
        console.print(segments)


def _labelled(console: Console, rows: list[tuple[str, Text]]) -> None:
    """`Label  value` lines, values aligned, no padding after them; a value too long for its
    line wraps under itself (under its label when the terminal is too narrow for both)."""
    from rich.text import Text

    indent = max(display_width(label) for label, _ in rows) + 2
    room = console.width

    def after(first: str, style: str, rest: Text) -> Text:
        joined = Text()
        joined.append(first, style=style)
        joined.append_text(rest)
        return joined

    for label, value in rows:
        if indent + value.cell_len <= room:
            console.print(after(label.ljust(indent), "bold", value), soft_wrap=True)
            continue
        beside = room - indent >= BLOCK_TEXT_MIN
        lines = value.wrap(console, room - indent if beside else room, overflow="fold")
        if not beside:
            console.print(Text(label, style="bold"), soft_wrap=True)
        for index, line in enumerate(lines):
            line.rstrip()
            if beside:
                line = after(label.ljust(indent) if index == 0 else " " * indent, "bold", line)
            console.print(line, soft_wrap=True)


_REGIONAL = range(0x1F1E6, 0x1F200)
_EXTENDERS = frozenset({0x200D, 0xFE0E, 0xFE0F, 0x20E3}) | set(range(0x1F3FB, 0x1F400))


def graphemes(text: str) -> list[str]:
    """`text` in the clusters a terminal draws as one glyph, as far as styling needs: a base
    character with its combining marks, variation selectors, skin-tone modifiers and tags;
    characters joined by ZWJ; regional-indicator pairs (flags)."""
    import unicodedata

    clusters: list[str] = []
    for char in text:
        code = ord(char)
        if clusters:
            last = clusters[-1]
            joined = ord(last[-1]) == 0x200D
            extends = (
                code in _EXTENDERS
                or 0xE0020 <= code <= 0xE007F
                or unicodedata.combining(char) != 0
                or unicodedata.category(char) in ("Mn", "Me", "Mc")
            )
            pair = (
                code in _REGIONAL
                and ord(last[0]) in _REGIONAL
                and sum(ord(c) in _REGIONAL for c in last) % 2 == 1
            )
            if joined or extends or pair:
                clusters[-1] = last + char
                continue
        clusters.append(char)
    return clusters


def emit(preview: Preview, *, json: bool) -> None:
    """`smsctl split`'s result: the JSON document or the human preview, then its warnings."""
    if json:
        output.print_json(split_json(preview))
    else:
        split_human(preview)
    for warning in preview.warnings:
        output.warning(warning.message)
