"""Output that fits, as a user's terminal shows it: smsctl as a real process on a pty of 80 and
40 columns. Numbers, ids and URLs appear whole; no line is wider than the terminal, except a
single value longer than the terminal, which then stands whole on a line of its own."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from tests.adversarial.terminal import Screen, smsctl_on_terminal

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LONG_ID = "77a3f0c2d9e84b1f9a6c5e4d3b2a1908"  # 32 characters, as a provider's message id
LONG_URL = "https://sms-gateway.eu-central-1.internal.example.com/regional/v2/seven-compatible/api"


def seed_history(count: int = 3) -> list[tuple[str, str]]:
    """Messages in the history through its storage API: (recipient, provider id) each."""
    from sms_cli.storage.messages import History, MessageRecord, Outcome, text_hash

    history = History()
    sent = []
    try:
        for n in range(count):
            recipient, provider_id = f"+4670123456{n}", f"{LONG_ID}{n}"
            text = f"Your appointment on Tuesday at {n + 9}:30 is confirmed; reply STOP to stop"
            record = MessageRecord(
                local_id=f"L{n}",
                batch_id="B",
                profile="live",
                provider="seven",
                recipient=recipient,
                sender="Acme",
                text=text,
                text_sha256=text_hash(text),
                segments=1,
                encoding="gsm7",
            )
            history.record_intent([record])
            status = "failed" if n == 1 else "delivered"
            history.record_outcomes([Outcome(f"L{n}", status, provider_id=provider_id)])
            sent.append((recipient, provider_id))
    finally:
        history.close()
    return sent


def write_profiles(base_url: str) -> None:
    directory = Path(os.environ["SMSCTL_CONFIG_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "profiles.toml"
    path.write_text(
        'version = 1\ndefault = "live"\n\n'
        f'[profiles.live]\nprovider = "seven"\ntoken = "t0ken-value-1234"\nsender = "Acme"\n'
        f'region = "SE"\nbase_url = "{base_url}"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)


def plain(screen: Screen) -> list[str]:
    return [ESCAPES.sub("", line) for line in screen.lines]


def assert_fits(lines: list[str], columns: int, whole: list[str]) -> None:
    from sms_cli.render.table import display_width

    text = "\n".join(lines)
    for value in whole:
        assert value in text, f"{value!r} cut or missing:\n{text}"
    for line in lines:
        if display_width(line) > columns:
            # Only a value that cannot fit may be wider, and then it stands alone.
            assert line.strip() in whole and display_width(line.strip()) > columns, line


@pytest.mark.parametrize("columns", [80, 40])
def test_log_on_80_and_40_columns_cuts_no_number_or_id(columns: int) -> None:
    sent = seed_history()
    screen = smsctl_on_terminal("log", "--no-pager", columns=columns, env={"NO_COLOR": "1"})
    assert screen.returncode == 0, screen.text
    lines = plain(screen)
    whole = [value for pair in sent for value in pair]
    assert_fits(lines, columns, whole)
    if columns == 40:
        # One record per block: `Key: value` lines, a blank line between records.
        assert any(line.startswith("Recipient:") for line in lines), screen.text
        assert sum(1 for line in lines if line.startswith("ID:")) == 3


@pytest.mark.parametrize("columns", [80, 40])
def test_profile_list_shows_a_long_base_url_whole(columns: int) -> None:
    write_profiles(LONG_URL)
    screen = smsctl_on_terminal("profile", "list", columns=columns, env={"NO_COLOR": "1"})
    assert screen.returncode == 0, screen.text
    lines = plain(screen)
    assert_fits(lines, columns, [LONG_URL, "live", "Acme"])
    assert "t0ken-value-1234" not in screen.text and "t0ken" not in screen.text
    # Longer than either terminal: the URL is a line of its own, never cut or wrapped.
    assert LONG_URL in [line.strip() for line in lines]


def test_splits_table_border_stays_in_line_with_a_skin_tone_emoji() -> None:
    screen = smsctl_on_terminal("split", "Thanks 👍🏽 see you 👨‍👩‍👧 in 🇸🇪, café", columns=80)
    assert screen.returncode == 0, screen.text
    from sms_cli.render.table import display_width

    rows = [line for line in plain(screen) if line and line[0] in "┏┃┡│└"]
    assert len(rows) == 5, screen.text
    assert len({display_width(line) for line in rows}) == 1, "\n".join(rows)
    # The same column order as the plain layout: #, Units, Left, Text.
    header = next(line for line in rows if line.startswith("┃"))
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == ["#", "Units", "Left", "Text"]
    assert "👍🏽" in screen.text  # one glyph: no escape sequence between the emoji and its tone


def test_status_words_are_coloured_on_a_terminal_and_not_with_no_color() -> None:
    seed_history()
    coloured = smsctl_on_terminal("log", "--no-pager", columns=160)
    assert "\x1b[32mdelivered" in coloured.text, coloured.text
    assert "\x1b[31mfailed" in coloured.text, coloured.text
    bare = smsctl_on_terminal("log", "--no-pager", columns=160, env={"NO_COLOR": "1"})
    assert "delivered" in bare.text and "\x1b[32m" not in bare.text and "\x1b[31m" not in bare.text


def fake_pager(tmp_path: Path, body: str) -> str:
    script = tmp_path / "pager.sh"
    script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_long_log_goes_through_the_pager(tmp_path: Path) -> None:
    seed_history(8)
    seen = tmp_path / "paged.txt"
    pager = fake_pager(tmp_path, f'echo "PAGER STARTED"\ncat > "{seen}"\n')
    screen = smsctl_on_terminal("log", columns=80, lines=10, env={"PAGER": pager, "NO_COLOR": "1"})
    assert screen.returncode == 0, screen.text
    assert "PAGER STARTED" in screen.text
    paged = seen.read_text(encoding="utf-8")
    assert f"{LONG_ID}7" in paged and f"{LONG_ID}0" in paged
    assert LONG_ID not in screen.text  # all of it went to the pager, none around it


@pytest.mark.parametrize(
    ("args", "chosen", "lines"),
    [
        (("log", "--limit", "1"), "script", 24),  # shorter than the screen
        (("log", "--no-pager"), "script", 10),
        (("log",), "", 10),  # PAGER empty: none
        (("log",), "cat", 10),
        (("log", "--json"), "script", 10),
        (("inbox", "--no-pager"), "script", 10),
    ],
)
def test_no_pager_when_short_asked_or_unset(
    tmp_path: Path, args: tuple[str, ...], chosen: str, lines: int
) -> None:
    seed_history(8)
    script = fake_pager(tmp_path, 'echo "PAGER STARTED"\ncat > /dev/null\n')
    pager = script if chosen == "script" else chosen
    screen = smsctl_on_terminal(
        *args, columns=80, lines=lines, env={"PAGER": pager, "NO_COLOR": "1"}
    )
    assert screen.returncode == 0, screen.text
    assert "PAGER STARTED" not in screen.text
    if args[0] == "log":
        assert LONG_ID in screen.text


def test_a_pager_quit_early_is_not_an_error(tmp_path: Path) -> None:
    seed_history(20)
    pager = fake_pager(tmp_path, "head -c 10 > /dev/null\nexit 0\n")  # reads a little, quits
    screen = smsctl_on_terminal("log", "--limit", "20", columns=80, lines=5, env={"PAGER": pager})
    assert screen.returncode == 0, screen.text
    assert "Traceback" not in screen.text and "BrokenPipe" not in screen.text
    assert "error" not in screen.text.lower()


def test_a_pager_that_cannot_start_prints_directly(tmp_path: Path) -> None:
    seed_history(8)
    missing = str(tmp_path / "no-such-pager")
    screen = smsctl_on_terminal(
        "log", columns=80, lines=10, env={"PAGER": missing, "NO_COLOR": "1"}
    )
    assert screen.returncode == 0, screen.text
    assert f"{LONG_ID}7" in screen.text and f"{LONG_ID}0" in screen.text
    assert "Traceback" not in screen.text


def test_send_results_colour_rejected_rows_and_show_prices_with_the_currency() -> None:
    from sms_cli.providers.emulation import SandboxServer, all_emulators
    from sms_cli.providers.registry import get
    from sms_cli.testing.contract import CANARY, EmulatorControl

    server = SandboxServer(all_emulators())
    server.start_in_thread()
    try:
        emu = EmulatorControl(server, "seven", get("seven").default_base_url)
        emu.control("reset")
        emu.set(tokens=[CANARY])
        emu.reject("+46701234568")
        directory = Path(os.environ["SMSCTL_CONFIG_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "profiles.toml").write_text(
            f'version = 1\ndefault = "live"\n\n[profiles.live]\nprovider = "seven"\n'
            f'token = "{CANARY}"\nbase_url = "{emu.base_url}"\ncurrency = "EUR"\n',
            encoding="utf-8",
        )
        (directory / "profiles.toml").chmod(0o600)
        screen = smsctl_on_terminal(
            "send", "--to", "+46701234567", "--to", "+46701234568", "Hi",
            "--no-reload", columns=160,
        )  # fmt: skip
    finally:
        server.stop()
    assert screen.returncode == 3, screen.text  # partial: one accepted, one rejected
    assert "\x1b[31mrejected" in screen.text, screen.text
    assert "0.075 EUR" in screen.text, screen.text
    assert CANARY not in screen.text
