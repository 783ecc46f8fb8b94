"""`smsctl send` options from the seven.io seeds, checked before anything is sent (--dry-run):
`--utf8`, `--udh` previewed as binary, and `group:` / `contact:` recipients."""

from __future__ import annotations

import json

import pytest
from typer.testing import Result

from tests.cli.conftest import Invoke

TOKEN = "CANARY-tok-51d0e4a7b2c39f86"
UDH = "050003CC0201"  # the seed's example: 6 octets, reference 204, part 1 of 2


@pytest.fixture
def seven(smsctl: Invoke) -> Invoke:
    for name, provider in (("seven", "seven"), ("connectel", "connectel")):
        added = smsctl(
            ["profile", "add", name, "--provider", provider, "--sender", "Acme", "--token-stdin"],
            input=TOKEN,
        )
        assert added.exit_code == 0, added.stderr
    assert smsctl(["profile", "use", "seven"]).exit_code == 0
    return smsctl


def dry(smsctl: Invoke, *args: str) -> Result:
    result = smsctl(["send", "--dry-run", *args])
    assert TOKEN not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.mark.parametrize(("octets", "segments"), [(1, 1), (134, 1), (135, 2), (268, 2), (269, 3)])
def test_udh_previews_octets_not_septets(seven: Invoke, octets: int, segments: int) -> None:
    result = dry(seven, "--json", "--udh", UDH, "--to", "+46701234567", "4A" * octets)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["encoding"], doc["segment_count"]) == ("binary", segments)
    preview = doc["preview"]
    assert (preview["unit"], preview["units"], preview["per_segment_limit"]) == (
        "octet",
        octets,
        134,
    )
    assert preview["non_gsm"] == []


def test_udh_preview_in_human_output(seven: Invoke) -> None:
    result = dry(seven, "--udh", UDH, "--to", "+46701234567", "48656C6C6F")
    assert result.exit_code == 0, result.stderr
    assert "8-bit binary" in result.stdout and "5 octets" in result.stdout


def test_max_segments_counts_binary_parts(seven: Invoke) -> None:
    # 134 octets are one binary part, though their 268 hex digits would be two GSM parts.
    fits = dry(seven, "--max-segments", "1", "--udh", UDH, "--to", "+46701234567", "00" * 134)
    assert fits.exit_code == 0, fits.stderr
    result = dry(seven, "--max-segments", "1", "--udh", UDH, "--to", "+46701234567", "00" * 135)
    assert result.exit_code == 10
    assert "2 segments" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--udh", UDH, "Hello"], "--udh needs the text as hex"),
        (["--udh", UDH, "48656C6C6"], "--udh needs the text as hex"),  # half an octet
        (["--udh", "0500", "4869"], "UDHL"),
        (["--udh", "zz", "4869"], "not hexadecimal"),
        (["--udh", "8B" + "00" * 139, "4869"], "a part has only 140"),
    ],
)
def test_bad_udh_input_is_exit_2(seven: Invoke, args: list[str], words: str) -> None:
    result = dry(seven, "--to", "+46701234567", *args)
    assert result.exit_code == 2
    assert words in result.stderr


def test_udh_with_an_attachment_is_refused(seven: Invoke, tmp_path: object) -> None:
    from pathlib import Path

    attachment = Path(str(tmp_path)) / "a.pdf"
    attachment.write_bytes(b"%PDF")
    result = dry(seven, "--udh", UDH, "--attach", str(attachment), "--to", "+46701234567", "4869")
    assert result.exit_code == 2
    assert "--udh needs the text as hex" in result.stderr


def test_utf8_help_says_deprecated(seven: Invoke) -> None:
    result = seven(["send", "--help"], input=None)
    assert result.exit_code == 0
    words = " ".join(result.stdout.replace("│", " ").split())
    assert "--utf8" in words and "Deprecated: providers detect the encoding themselves" in words


def test_utf8_is_refused_by_connectel(seven: Invoke) -> None:
    result = dry(seven, "--profile", "connectel", "--utf8", "--to", "+46701234567", "Hi")
    assert result.exit_code == 2
    assert "does not support --utf8" in result.stderr


def test_address_book_dry_run_says_the_count_is_unknown(seven: Invoke) -> None:
    result = dry(seven, "--json", "--to", "group:Team,+46701234567", "--to", "Contact:Peter", "Hi")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [r["recipient"] for r in doc["results"]] == [
        "group:Team",
        "+46701234567",
        "contact:Peter",
    ]
    assert "group:Team, contact:Peter" in result.stderr
    assert "unknown until" in result.stderr
    human = dry(seven, "--to", "group:Team", "Hi")
    assert "numbers unknown until sent" in human.stdout


@pytest.mark.parametrize("recipient", ["group:", "group: ", "contact:+4670 123", "group:12345"])
def test_bad_address_book_names_are_exit_2(seven: Invoke, recipient: str) -> None:
    result = dry(seven, "--to", recipient, "Hi")
    assert result.exit_code == 2
    assert "address book" in result.stderr


def test_letters_without_a_prefix_are_still_an_invalid_number(seven: Invoke) -> None:
    result = dry(seven, "--to", "Team", "Hi")
    assert result.exit_code == 2
    assert "contains letters" in result.stderr


@pytest.mark.parametrize("recipient", ["group:Team", "contact:Peter"])
def test_connectel_refuses_address_book_recipients(seven: Invoke, recipient: str) -> None:
    result = dry(seven, "--profile", "connectel", "--to", recipient, "Hi")
    assert result.exit_code == 2
    assert "Connectel has no address book" in result.stderr
