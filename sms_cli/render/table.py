"""Tables that fit the terminal without cutting ids or numbers."""

from __future__ import annotations

from collections.abc import Sequence

from sms_cli.core.printable import visible
from sms_cli.render import output


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


def cell(value: object) -> str:
    return "-" if value is None else str(value)


def short(text: str | None, width: int = 40) -> str:
    if text is None:
        return "(not stored)"
    shown = visible(text)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def reason_cell(reason: str | None) -> str:
    """A provider's reason as a cell: its escape sequences shown, not obeyed."""
    return visible(reason) if reason else "-"
