"""Issue 15 item 9: `send --smart`, `--file`, `--to-file`, and the dry run's cost from the
profile's price, against every built-in provider's emulator over loopback HTTP."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from typer.testing import Result

from sms_cli.storage.messages import History
from sms_cli.storage.profiles import profiles_path
from sms_cli.testing.contract import CANARY, FIRST, SECOND
from tests.integration.conftest import Emu, run

CURLY = "\u201cHello\u201d \u2013 it\u2019s time\u2026"  # “Hello” – it’s time…
PLAIN = '"Hello" - it\'s time...'


def send(*args: str, input: str | None = None) -> Result:
    result = run(["send", *args], input=input)
    for stream in (result.stdout, result.stderr):
        assert CANARY not in stream
    assert "Traceback" not in result.stderr
    return result


def doc(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def set_profile(name: str, **values: Any) -> None:
    """Change the profile file as `smsctl profile set` would (it is another part's command)."""
    path = profiles_path()
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    document["profiles"][name].update(values)
    path.write_text(tomli_w.dumps(document), encoding="utf-8")


def test_smart_sends_the_replaced_text_and_says_what_it_saved(emu: Emu, profile: str) -> None:
    long = (CURLY + " ") * 5  # UCS-2: 2 segments; GSM-7 after replacing: 1
    result = send("--json", "--smart", "--to", FIRST, long.strip())
    assert result.exit_code == 0, result.stderr
    sent = long.strip().translate(
        {0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2019: "'", 0x2026: "..."}
    )
    assert sent == ((PLAIN + " ") * 5).strip()
    assert [m["text"] for m in emu.messages()] == [sent]
    assert doc(result)["encoding"] == "gsm7"
    assert "--smart: replaced 25 character(s)" in result.stderr
    assert "2 -> 1 segment(s) (saves 1)" in result.stderr
    history = History()
    try:
        (row,) = history.by_batch(doc(result)["batch_id"])
    finally:
        history.close()
    assert row.text == sent


def test_smart_dry_run_shows_the_replacements_and_sends_nothing(emu: Emu, profile: str) -> None:
    result = send("--dry-run", "--smart", "--to", FIRST, CURLY)
    assert result.exit_code == 0, result.stderr
    assert "Smart encoding" in result.stdout and "U+201C" in result.stdout
    assert "--smart: replaced" in result.stderr
    assert emu.sends() == []
    document = doc(send("--dry-run", "--json", "--smart", "--to", FIRST, CURLY))
    assert document["preview"]["smart"]["applied"] is True
    assert document["encoding"] == "gsm7"


def test_smart_with_unicode_is_a_usage_error(emu: Emu, profile: str) -> None:
    result = send("--smart", "--unicode", "--to", FIRST, CURLY)
    assert result.exit_code == 2
    assert "--smart cannot be combined with --unicode" in result.stderr
    assert emu.sends() == []


def test_file_text_and_stdin(emu: Emu, profile: str, tmp_path: Path) -> None:
    text = tmp_path / "text.txt"
    text.write_bytes("\ufeffHej från filen\n".encode())
    result = send("--json", "--file", str(text), "--to", FIRST)
    assert result.exit_code == 0, result.stderr
    assert send("--json", "--file", "-", "--to", SECOND, input="från stdin\n").exit_code == 0
    assert [m["text"] for m in emu.messages()] == ["Hej från filen", "från stdin"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--file", "TEXT", "also an argument"], "not both"),
        (["--file", "MISSING"], "cannot read"),
        (["--file", "LATIN1"], "not valid UTF-8"),
        (["--to-file", "-"], "standard input cannot hold both"),
        (["--to-file", "-", "-"], "standard input cannot hold both"),
        (["--to-file", "-", "--file", "-"], "standard input cannot hold both"),
    ],
)
def test_file_misuse_is_exit_2(
    emu: Emu, profile: str, tmp_path: Path, args: list[str], says: str
) -> None:
    (tmp_path / "TEXT").write_text("hi", encoding="utf-8")
    (tmp_path / "LATIN1").write_bytes("h\xe4j".encode("latin-1"))
    args = [str(tmp_path / a) if a in ("TEXT", "MISSING", "LATIN1") else a for a in args]
    result = send("--to", FIRST, *args, input="+46701234567\n")
    assert result.exit_code == 2, result.stderr
    assert says in result.stderr
    assert emu.sends() == []


def test_to_file_is_read_line_by_line_and_joined_with_to(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    listing = tmp_path / "to.txt"
    listing.write_text(
        f"# the team\n\n  {FIRST}  \n{SECOND}\r\n0046701234567\n   # off today\n",
        encoding="utf-8",
    )
    result = send("--json", "--to", SECOND, "--to-file", str(listing), "Stand-up in 5")
    assert result.exit_code == 0, result.stderr
    assert [r["recipient"] for r in doc(result)["results"]] == [SECOND, FIRST]
    assert "2 duplicate recipient(s) removed" in result.stderr
    assert len(emu.sends()) == 1
    from_stdin = send("--json", "--to-file", "-", "Hi", input=f"{FIRST}\n")
    assert from_stdin.exit_code == 0, from_stdin.stderr
    assert [r["recipient"] for r in doc(from_stdin)["results"]] == [FIRST]


def test_a_bad_line_in_to_file_is_named_and_nothing_is_sent(
    emu: Emu, profile: str, tmp_path: Path
) -> None:
    listing = tmp_path / "to.txt"
    listing.write_text(f"{FIRST}\n# fine\n0701234567\n{SECOND}\n+46 70 12\n", encoding="utf-8")
    result = send("--to-file", str(listing), "Hi")
    assert result.exit_code == 2
    assert f"--to-file {listing}" in result.stderr
    assert "line 3: '0701234567'" in result.stderr and "line 5: '+46 70 12'" in result.stderr
    assert f"smsctl profile set {profile} --region XX" in result.stderr  # no region on it
    assert emu.sends() == []
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody\n\n", encoding="utf-8")
    result = send("--to-file", str(empty), "Hi")
    assert result.exit_code == 2
    assert "has none" in result.stderr


def test_to_file_numbers_use_the_profiles_region(emu: Emu, profile: str, tmp_path: Path) -> None:
    set_profile(profile, region="SE")
    listing = tmp_path / "to.txt"
    listing.write_text("070-123 45 67\n", encoding="utf-8")
    result = send("--json", "--to-file", str(listing), "Hi")
    assert result.exit_code == 0, result.stderr
    assert [r["recipient"] for r in doc(result)["results"]] == ["+46701234567"]


def test_dry_run_cost_from_the_profiles_price(emu: Emu, profile: str) -> None:
    set_profile(profile, price_per_segment=0.075, currency="EUR")
    long = "x" * 200  # 2 segments
    result = send("--dry-run", "--json", "--to", f"{FIRST},{SECOND}", long)
    assert result.exit_code == 0, result.stderr
    document = doc(result)
    assert (document["total_price"], document["currency"]) == (0.3, "EUR")
    human = send("--dry-run", "--to", f"{FIRST},{SECOND}", long)
    assert (
        "Estimated cost: 0.30 EUR (2 segment(s) x 2 recipient(s) x 0.075 EUR, the profile's "
        "price)" in human.stdout
    )
    assert emu.sends() == []


def test_dry_run_without_a_price_says_how_to_set_one(emu: Emu, profile: str) -> None:
    result = send("--dry-run", "--json", "--to", FIRST, "Hi")
    assert (doc(result)["total_price"], doc(result)["currency"]) == (None, None)
    human = send("--dry-run", "--to", FIRST, "Hi")
    assert f"smsctl profile set {profile} --price-per-segment 0.075 --currency EUR" in human.stdout
    set_profile(profile, price_per_segment=0.5)  # no currency: the amount says so
    human = send("--dry-run", "--to", FIRST, "Hi")
    assert "Estimated cost: 0.50 (currency unknown)" in human.stdout
