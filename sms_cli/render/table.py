"""Tables that fit the terminal without cutting ids, numbers or URLs.

Every column either keeps its values whole (ids, numbers, times, URLs: what users copy) or may
wrap (free text: a message's text, a provider's reason, an error). On a terminal, a table whose
whole columns and narrowest wrapped columns do not fit, or a terminal narrower than NARROW, shows
one record per block (`key: value` lines) instead: nothing is ever cut. Widths are measured in
terminal cells by grapheme (rich.cells): an emoji with a skin tone, a ZWJ family, a flag, CJK
and combining accents take the cells a terminal gives them. Off a terminal: aligned plain
columns, in the same order.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from sms_cli.core.printable import visible
from sms_cli.render import output

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

NARROW = 60  # below this many columns, a terminal shows records as blocks, never a table
MIN_WRAPPED = 10  # the narrowest a wrapping column gets before the table turns into blocks
GAP = 2  # cells between two columns of a table on a terminal
BLOCK_TEXT_MIN = 20  # a wrapped value narrower than this beside its label starts on a new line


def display_width(text: str) -> int:
    """The cells `text` takes on a terminal, grapheme by grapheme (👍🏽 and 🇸🇪 are 2, é as e
    and U+0301 is 1, 中文 is 4)."""
    from rich.cells import cell_len

    return cell_len(text)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str | None = None,
    *,
    wrap: str | Collection[str] | None = None,
    status: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """A table on stdout: rich on a terminal (or blocks, when it cannot fit), plain elsewhere.

    `wrap` names the free-text columns that may wrap; every other column keeps its values
    whole. `status` names the column whose words are coloured by meaning (render/colors.py),
    only where colour is allowed. `labels` renames columns in the block layout (a column with
    no header, such as a default marker, needs a word there).
    Every cell is shown through `visible`: much of what tables hold came from a provider or a
    caller (ids, states, errors), and its escape sequences and line breaks must not reach the
    terminal as such.
    """
    cells = [[visible(str(value)) for value in row] for row in rows]
    wrapping = {wrap} if isinstance(wrap, str) else set(wrap or ())
    stream = output.stdout()
    if not output.is_terminal(stream):
        _plain(stream, header, cells)
        return
    console = output.rich_console(stream)
    widths = fitted_widths(header, cells, wrapping, console.width)
    if widths is None:
        _blocks(console, header, cells, wrapping, status, labels or {})
    else:
        _rich(console, header, cells, widths, wrapping, status, title)


def fitted_widths(
    header: Sequence[str], rows: Sequence[Sequence[str]], wrapping: Collection[str], room: int
) -> list[int] | None:
    """Column widths for a table `room` cells wide, or None when it cannot fit without cutting a
    whole column (or the terminal is narrower than NARROW): then records go in blocks."""
    if room < NARROW:
        return None
    widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    # A light frame (_rich): no edges, no vertical lines, two spaces between columns.
    frame = GAP * (len(header) - 1)
    if sum(widths) + frame <= room:
        return widths
    shrinking = [i for i, name in enumerate(header) if name in wrapping]
    whole = sum(w for i, w in enumerate(widths) if i not in shrinking)
    left = room - frame - whole
    least = {i: min(widths[i], MIN_WRAPPED) for i in shrinking}
    if not shrinking or left < sum(least.values()):
        return None
    # Share what is left: each wrapping column its least, then the rest in turn up to its own.
    fitted = dict(least)
    spare = left - sum(least.values())
    while spare > 0:
        growing = [i for i in shrinking if fitted[i] < widths[i]]
        if not growing:
            break
        share = max(1, spare // len(growing))
        for i in growing:
            step = min(share, widths[i] - fitted[i], spare)
            fitted[i] += step
            spare -= step
    return [fitted.get(i, w) for i, w in enumerate(widths)]


def _rich(
    console: Console,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    wrapping: Collection[str],
    status: str | None,
    title: str | None,
) -> None:
    from rich import box
    from rich.table import Table

    # A light frame: a rule under the header, two spaces between columns, no edges (a heavy
    # box costs 3 cells a column, which at 80 columns leaves `log` no room for its text).
    drawn = Table(
        title=title,
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
    )
    for name, size in zip(header, widths, strict=True):
        if name in wrapping:
            drawn.add_column(name, width=size, overflow="fold")
        else:
            drawn.add_column(name, min_width=size, no_wrap=True)
    for row in rows:
        cells = zip(header, row, strict=True)
        drawn.add_row(*(_text(value, name == status) for name, value in cells))
    console.print(drawn)


def _text(value: str, is_status: bool) -> Text:
    from rich.text import Text

    from sms_cli.render.colors import status_style

    # Text, not markup: a cell such as "[link=...]" from a callback stays literal.
    return Text(value, style=status_style(value) if is_status else "")


def _blocks(
    console: Console,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    wrapping: Collection[str],
    status: str | None,
    labels: Mapping[str, str],
) -> None:
    """One record per block: `Key: value` lines, a blank line between records. A whole value too
    long for its line goes on a line of its own (the terminal may wrap it, never cut it); free
    text wraps under its label."""
    from rich.text import Text

    room = console.width
    names = [labels.get(name, name) for name in header]
    indent = max(display_width(name) for name in names) + 2
    for number, row in enumerate(rows):
        if number:
            console.print()
        for column, name, value in zip(header, names, row, strict=True):
            if not value or not name:
                continue
            label = Text(f"{name}:".ljust(indent), style="bold")
            shown = _text(value, column == status)
            if indent + display_width(value) <= room:
                console.print(label + shown, soft_wrap=True)
            elif column in wrapping:
                beside = room - indent >= BLOCK_TEXT_MIN
                lines = shown.wrap(console, room - indent if beside else room, overflow="fold")
                if beside:
                    for index, line in enumerate(lines):
                        first = label if index == 0 else Text(" " * indent)
                        console.print(first + line, soft_wrap=True)
                else:
                    console.print(Text(f"{name}:", style="bold"), soft_wrap=True)
                    for line in lines:
                        console.print(line, soft_wrap=True)
            else:
                console.print(Text(f"{name}:", style="bold"), soft_wrap=True)
                console.print(shown, soft_wrap=True)


def _plain(stream: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        line = "  ".join(
            value + " " * (widths[i] - display_width(value)) for i, value in enumerate(row)
        )
        stream.write(line.rstrip() + "\n")


def cell(value: object) -> str:
    return "-" if value is None else str(value)


def short(text: str | None, width: int = 40) -> str:
    """A preview of `text` at most `width` terminal cells wide, `…` included: cut between
    graphemes (👍🏽 is never parted from its skin tone, nor a ZWJ family from its members) and
    measured in cells (a CJK character takes two)."""
    if text is None:
        return "(not stored)"
    shown = visible(text)
    if display_width(shown) <= width:
        return shown
    from sms_cli.render.split import graphemes

    kept: list[str] = []
    used = 0
    for cluster in graphemes(shown):
        cells = display_width(cluster)
        if used + cells > width - 1:
            break
        kept.append(cluster)
        used += cells
    return "".join(kept) + "…"


def reason_cell(reason: str | None) -> str:
    """A provider's reason as a cell: its escape sequences shown, not obeyed."""
    return visible(reason) if reason else "-"
