"""README's tour says what --smart does: it replaces look-alikes whenever the result is GSM-7,
even when that saves no segment."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.conftest import Invoke

README = Path(__file__).resolve().parents[2] / "README.md"


def test_smart_applies_when_the_text_becomes_gsm7_even_saving_nothing(smsctl: Invoke) -> None:
    result = smsctl(["split", "--smart", "--json", "\u201cHi\u201d"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["encoding"] == "gsm7"
    assert document["smart"] == {"applied": True, "segment_count_without": 1, "segments_saved": 0}
    tour = " ".join(README.read_text(encoding="utf-8").split())
    sentence = re.search(r"\(`--smart` replaces[^)]*\)", tour)
    assert sentence is not None
    assert "GSM-7" in sentence.group() and "saves segments" not in sentence.group()
