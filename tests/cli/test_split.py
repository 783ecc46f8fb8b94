"""`smsctl split` as a user and a script see it: output, stdout vs stderr, JSON keys, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Invoke

JSON_KEYS = {
    "text",
    "encoding",
    "unicode_forced",
    "characters",
    "units",
    "unit",
    "segment_count",
    "per_segment_limit",
    "single_segment_limit",
    "multi_segment_limit",
    "remaining",
    "segments",
    "non_gsm",
    "national",
    "warnings",
}
SEGMENT_KEYS = {"index", "text", "units", "remaining", "start"}


def run_json(smsctl: Invoke, *args: str, input: str | None = None) -> dict:  # type: ignore[type-arg]
    result = smsctl(["split", "--json", *args], input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_document_has_the_stable_keys(smsctl: Invoke) -> None:
    doc = run_json(smsctl, "a" * 161)
    assert set(doc) == JSON_KEYS
    assert doc["encoding"] == "gsm7"
    assert (doc["characters"], doc["units"], doc["segment_count"]) == (161, 161, 2)
    assert doc["per_segment_limit"] == 153
    assert [set(s) for s in doc["segments"]] == [SEGMENT_KEYS, SEGMENT_KEYS]
    assert [(s["index"], s["units"], s["remaining"]) for s in doc["segments"]] == [
        (1, 153, 0),
        (2, 8, 145),
    ]
    assert "".join(s["text"] for s in doc["segments"]) == "a" * 161


def test_json_lists_non_gsm_characters_by_code_point_index(smsctl: Invoke) -> None:
    doc = run_json(smsctl, "a😀bжc")
    assert doc["encoding"] == "ucs2"
    assert doc["units"] == 6
    assert doc["characters"] == 5
    assert doc["non_gsm"] == [
        {"char": "😀", "index": 1, "codepoint": "U+1F600"},
        {"char": "ж", "index": 3, "codepoint": "U+0436"},
    ]


def test_single_segment_limit_is_160(smsctl: Invoke) -> None:
    doc = run_json(smsctl, "hello")
    assert (doc["per_segment_limit"], doc["remaining"], doc["segment_count"]) == (160, 155, 1)


def test_unicode_forces_ucs2(smsctl: Invoke) -> None:
    doc = run_json(smsctl, "--unicode", "hello")
    assert (doc["encoding"], doc["unicode_forced"], doc["per_segment_limit"]) == ("ucs2", True, 70)


def test_smart_json_has_replacements_and_saving(smsctl: Invoke) -> None:
    doc = run_json(smsctl, "--smart", "a" * 159 + "’")
    assert doc["encoding"] == "gsm7"
    assert doc["replacements"] == [{"index": 159, "char": "’", "replacement": "'"}]
    assert doc["smart"] == {"applied": True, "segment_count_without": 3, "segments_saved": 2}
    assert doc["text"] == "a" * 159 + "'"


def test_smart_human_output_shows_what_was_replaced(smsctl: Invoke) -> None:
    result = smsctl(["split", "--smart", "It’s “fine”"])
    assert result.exit_code == 0
    assert "3 replacement(s)" in result.stdout
    assert "’ (U+2019) at 2 → '" in result.stdout
    assert 'It\'s "fine"' in result.stdout


def test_human_output_summary_and_table(smsctl: Invoke) -> None:
    result = smsctl(["split", "a" * 152 + "{" + "a" * 152])
    assert result.exit_code == 0
    out = result.stdout
    assert "Encoding:" in out and "GSM-7" in out
    assert "Segments:" in out and "306 septets" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [row[:3] for row in rows] == [["1", "152", "1"], ["2", "153", "0"], ["3", "1", "152"]]
    assert "\x1b[" not in out  # not a terminal: no colour codes
    assert result.stderr == ""


def test_human_output_names_what_forces_ucs2(smsctl: Invoke) -> None:
    result = smsctl(["split", "Hej ç and ж"])
    assert "UCS-2 because of: ç U+00E7 at 4; ж U+0436 at 10" in result.stdout


def test_invisible_characters_are_shown_visibly(smsctl: Invoke) -> None:
    result = smsctl(["split", "a\tb\nc\u00a0d"])
    assert "a␉b␊c<U+00A0>d" in result.stdout


def test_text_from_stdin_drops_one_final_newline(smsctl: Invoke) -> None:
    result = smsctl(["split", "--json"], input="hello\n")
    assert json.loads(result.stdout)["text"] == "hello"
    result = smsctl(["split", "--json", "-"], input="two lines\n\n")
    assert json.loads(result.stdout)["text"] == "two lines\n"


def test_text_from_file_with_bom(smsctl: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "message.txt"
    path.write_bytes("\ufeffHej då\r\n".encode())
    result = smsctl(["split", "--json", "--file", str(path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["text"] == "Hej då"


def test_missing_file_is_a_usage_error(smsctl: Invoke, tmp_path: Path) -> None:
    result = smsctl(["split", "--file", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "smsctl: error: --file: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_utf8_is_a_usage_error(smsctl: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("café".encode("latin-1"))
    result = smsctl(["split", "--file", str(path)])
    assert result.exit_code == 2
    assert "not valid UTF-8 (byte 3)" in result.stderr


def test_text_and_file_together_is_a_usage_error(smsctl: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "m.txt"
    path.write_text("x")
    result = smsctl(["split", "--file", str(path), "hello"])
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_max_segments_exceeded_exits_10_and_still_prints(smsctl: Invoke) -> None:
    result = smsctl(["split", "--json", "--max-segments", "1", "a" * 161])
    assert result.exit_code == 10
    assert json.loads(result.stdout)["segment_count"] == 2
    assert "needs 2 segments, more than --max-segments 1" in result.stderr


def test_max_segments_met_exits_0(smsctl: Invoke) -> None:
    assert smsctl(["split", "--max-segments", "2", "a" * 306]).exit_code == 0


def test_max_segments_must_be_positive(smsctl: Invoke) -> None:
    assert smsctl(["split", "--max-segments", "0", "x"]).exit_code == 2


def test_provider_limit_warnings(smsctl: Invoke) -> None:
    over_seven = smsctl(["split", "--json", "a" * 1521])
    codes = [w["code"] for w in json.loads(over_seven.stdout)["warnings"]]
    assert codes == ["over_seven_limit"]
    assert "over seven.io's limit of 1520" in over_seven.stderr

    over_both = smsctl(["split", "a" * 1601])
    assert "Connectel's limit of 1600" in over_both.stderr
    assert "seven.io's limit of 1520" in over_both.stderr
    assert over_both.exit_code == 0


def test_empty_text_is_one_gsm_part_with_a_warning(smsctl: Invoke) -> None:
    result = smsctl(["split", "--json", ""])
    doc = json.loads(result.stdout)
    assert (doc["encoding"], doc["segment_count"], doc["units"]) == ("gsm7", 1, 0)
    assert "empty" in result.stderr


def test_raw_escape_forces_ucs2_with_a_warning(smsctl: Invoke) -> None:
    result = smsctl(["split", "--json", "a\x1bb"])
    doc = json.loads(result.stdout)
    assert doc["encoding"] == "ucs2"
    assert [w["code"] for w in doc["warnings"]] == ["raw_escape"]


def test_national_table_and_ref16(smsctl: Invoke) -> None:
    doc = run_json(smsctl, "--national", "tr", "ş" * 160)
    assert doc["national"] == {"locking_shift": "tr", "single_shift": None}
    assert [s["units"] for s in doc["segments"]] == [149, 11]
    doc = run_json(smsctl, "--ref16", "a" * 161)
    assert [s["units"] for s in doc["segments"]] == [152, 9]


def test_unknown_national_language_is_a_usage_error(smsctl: Invoke) -> None:
    result = smsctl(["split", "--national", "xx", "hello"])
    assert result.exit_code == 2


def test_version(smsctl: Invoke) -> None:
    from sms_cli import __version__

    result = smsctl(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"smsctl {__version__}"


def test_unknown_option_is_a_usage_error(smsctl: Invoke) -> None:
    result = smsctl(["split", "--nope", "x"])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_no_standard_input_at_all_is_a_usage_error() -> None:
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "sms_cli", "split"],
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.close(0),
        timeout=60,
    )
    assert result.returncode == 2
    assert "no standard input" in result.stderr
