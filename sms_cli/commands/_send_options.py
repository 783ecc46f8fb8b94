"""The provider options `send` and `bulk` share, spelled once so their help cannot drift.

Options only some providers understand (INFO.send_options); `smsctl providers` lists whose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PANEL = "Provider options (providers that support them; see smsctl providers)"

FlashOption = Annotated[bool, typer.Option("--flash", help="Flash SMS.", rich_help_panel=PANEL)]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Send later: in a while (+2h, +30m, +1d, +90s, +1h30m), '2026-12-24 18:00' "
        "(local time), ISO 8601, or Unix time.",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
TtlOption = Annotated[
    int | None,
    typer.Option("--ttl", help="Validity in minutes.", rich_help_panel=PANEL, show_default=False),
]
LabelOption = Annotated[
    str | None,
    typer.Option(
        "--label", help="Label for statistics.", rich_help_panel=PANEL, show_default=False
    ),
]
ForeignIdOption = Annotated[
    str | None,
    typer.Option(
        "--foreign-id",
        help="Your reference, echoed in reports (default: one smsctl makes).",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
PerformanceTrackingOption = Annotated[
    bool,
    typer.Option("--performance-tracking", help="Track clicks on links.", rich_help_panel=PANEL),
]
NoReloadOption = Annotated[
    bool,
    typer.Option(
        "--no-reload",
        help="Lift the 180 s lock against sending the same SMS twice.",
        rich_help_panel=PANEL,
    ),
]
UnicodeOption = Annotated[
    bool, typer.Option("--unicode", "-u", help="Force UCS-2.", rich_help_panel=PANEL)
]
Utf8Option = Annotated[
    bool,
    typer.Option(
        "--utf8",
        help="Send utf8=1 (force UTF-8 detection). Deprecated: providers detect the "
        "encoding themselves.",
        rich_help_panel=PANEL,
    ),
]
UdhOption = Annotated[
    str | None,
    typer.Option(
        "--udh",
        metavar="HEX",
        help="User data header; the text is then the message's data in hex, sent as "
        "8-bit binary (140 octets a part, UDH included).",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
AttachOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--attach",
        help="Send a file as a link; the text marks its place with [[file name]].",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
AttachValidityOption = Annotated[
    int | None,
    typer.Option(
        "--attach-validity",
        min=1,
        help="Days the file stays available.",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
AttachPasswordEnvOption = Annotated[
    str | None,
    typer.Option(
        "--attach-password-env",
        metavar="VAR",
        help="Protect the file with the password in this environment variable.",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
TestOption = Annotated[
    bool,
    typer.Option(
        "--test",
        help="Provider test mode: validated, not sent, not charged.",
        rich_help_panel=PANEL,
    ),
]
