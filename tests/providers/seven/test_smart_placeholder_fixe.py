"""send --smart never rewrites inside an attachment's `[[file name]]` placeholder: a macOS
screenshot's name has a U+202F before AM, and a placeholder whose space was "fixed" no longer
matches the file, so the link is lost. What counts is what the emulator received."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.integration.conftest import Emu
from tests.integration.test_send_contract import FIRST, send

NAME = "Screenshot 2024-05-01 at 10.00.00\u202fAM.png"


@pytest.fixture
def provider() -> str:
    return "seven"


@pytest.mark.parametrize("placed", [False, True])
def test_smart_keeps_the_attachment_placeholder(
    emu: Emu, profile: str, tmp_path: Path, placed: bool
) -> None:
    attachment = tmp_path / NAME
    attachment.write_bytes(b"\x89PNG")
    text = f"Plan \u2013 see [[{NAME}]] today" if placed else "Plan \u2013 see below"
    result = send("--to", FIRST, "--smart", "--attach", str(attachment), text)
    assert result.exit_code == 0, result.stderr
    (request,) = emu.sends()
    fields = dict(parse_qsl(request["body"]))
    assert fields["files[0][name]"] == NAME
    assert f"[[{NAME}]]" in fields["text"], fields["text"]
