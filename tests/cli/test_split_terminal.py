"""On a terminal `split` draws rich tables with highlights; NO_COLOR keeps them but drops colour."""

from __future__ import annotations

import io
import sys

import pytest

from sms_cli.render.split import split_human
from sms_cli.services.preview import build_preview


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def render_on_terminal(text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    monkeypatch.setenv("COLUMNS", "100")
    split_human(build_preview(text))
    return screen.getvalue()


def test_terminal_output_is_a_table_with_the_forcing_characters_highlighted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = render_on_terminal("Hi ж\tok", monkeypatch)
    assert "┃" in out or "│" in out
    assert "UCS-2 because of" in out
    assert "\x1b[1;7;31mж\x1b[0m" in out  # the non-GSM character, bold reverse red
    assert "␉" in out


def test_no_color_keeps_the_table_but_drops_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = render_on_terminal("Hi ж", monkeypatch)
    assert "│" in out
    assert "\x1b[1;7;31m" not in out
    assert "\x1b[3" not in out
