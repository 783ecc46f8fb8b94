"""Code review: one --no-pager flag, one file-or-stdin reader, docstrings that point at files
that exist (the README is a front page now; the references live in docs/)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "sms_cli").rglob("*.py"))


def test_no_docstring_points_at_readme_sections() -> None:
    stale = [p for p in SOURCES if re.search(r"\(README, \"", p.read_text(encoding="utf-8"))]
    assert stale == []


def test_every_commands_module_named_in_the_source_exists() -> None:
    named = {
        (path, match)
        for path in SOURCES
        for match in re.findall(r"\bcommands/(\w+\.py)", path.read_text(encoding="utf-8"))
    }
    missing = [(p.name, m) for p, m in named if not (ROOT / "sms_cli" / "commands" / m).exists()]
    assert missing == []


def test_one_no_pager_flag_and_one_file_or_stdin_reader() -> None:
    commands = [p for p in SOURCES if p.parent.name == "commands"]
    flags = [p.name for p in commands if '"--no-pager"' in p.read_text(encoding="utf-8")]
    assert flags == ["_runtime.py"]
    readers = [p.name for p in SOURCES if "utf-8-sig" in p.read_text(encoding="utf-8")]
    assert "sending.py" not in readers and "send.py" not in readers
