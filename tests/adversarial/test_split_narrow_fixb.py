"""`split` below ~60 columns: one segment per block, as every other table; nothing cut, and no
padding after the summary's values."""

from __future__ import annotations

import pytest

from tests.adversarial.terminal import smsctl_on_terminal
from tests.adversarial.test_output_fit_pty import ESCAPES

TEXT = "Hello 👍🏽 world, this is a long message with “quotes” that goes on and on and on"


@pytest.mark.parametrize("columns", [40, 80])
def test_split_fits_without_cutting_or_padding(columns: int) -> None:
    screen = smsctl_on_terminal("split", TEXT, columns=columns, env={"NO_COLOR": "1"})
    assert screen.returncode == 0, screen.text
    lines = [ESCAPES.sub("", line) for line in screen.lines]
    assert "…" not in screen.text
    for line in lines:
        assert line == line.rstrip(), repr(line)  # no padding to the terminal's width
    assert any(line.startswith("Encoding") and line.endswith("UCS-2") for line in lines)
    if columns < 60:
        assert not any(ch in screen.text for ch in "┏│└"), screen.text  # blocks, not a table
        assert "Units  67" in lines and "Left   0" in lines and "#      2" in lines
        assert any(line.startswith("Text   Hello 👍🏽 world,") for line in lines), lines
    else:
        assert "┏" in screen.text
