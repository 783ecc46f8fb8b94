"""`smsctl split`: preview how a text is encoded and split, with no account and no network."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from sms_cli.commands._runtime import JsonFlag, TextArgument, handled_errors, read_text


class NationalLanguage(StrEnum):
    tr = "tr"
    es = "es"
    pt = "pt"


def split_command(
    text: TextArgument = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Read the text from a UTF-8 file.", show_default=False),
    ] = None,
    unicode: Annotated[
        bool, typer.Option("--unicode", "-u", help="Force UCS-2 even when GSM-7 would do.")
    ] = False,
    smart: Annotated[
        bool,
        typer.Option(
            "--smart",
            help="Replace typographic look-alikes (curly quotes, dashes, odd spaces) with GSM "
            "characters, when that makes the whole text GSM-7.",
        ),
    ] = False,
    max_segments: Annotated[
        int | None,
        typer.Option(
            "--max-segments",
            min=1,
            help="Exit with code 10 when the text needs more segments than this.",
            show_default=False,
        ),
    ] = None,
    ref16: Annotated[
        bool,
        typer.Option("--ref16", help="Assume 16-bit concatenation references (152/66 per part)."),
    ] = False,
    national: Annotated[
        list[NationalLanguage] | None,
        typer.Option(
            "--national",
            help="Allow a national language shift table (repeatable). Only for recipients whose "
            "handsets support it.",
            show_default=False,
        ),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Show how a text is encoded and split into SMS segments, and what forces UCS-2.

    Text from the argument, from --file, or from standard input ('-' or no argument); one final
    line break of a file or of standard input is dropped.
    """
    with handled_errors():
        from sms_cli.errors import LimitExceeded
        from sms_cli.render.split import emit
        from sms_cli.services.preview import build_preview

        message = read_text(text, file)
        preview = build_preview(
            message,
            force_ucs2=unicode,
            smart=smart,
            ref16=ref16,
            national=[lang.value for lang in national or ()],
        )
        emit(preview, json=json)
        count = preview.segmentation.segment_count
        if max_segments is not None and count > max_segments:
            raise LimitExceeded(
                f"the text needs {count} segments, more than --max-segments {max_segments}",
                hint=None if smart or unicode else "try --smart, or shorten the text",
            )
