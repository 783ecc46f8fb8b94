"""Files and standard input are read with a size cap: /dev/zero is refused with exit 2 naming the
option, never read until memory runs out; a --to-file that is not UTF-8 names the option."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import Result

from tests.cli.conftest import Invoke
from tests.cli.test_send_options import seven  # noqa: F401  (a fixture)


def refused(result: Result, option: str) -> None:
    assert result.exit_code == 2, result.stderr
    assert f"{option}: " in result.stderr and "larger than" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["send", "--dry-run", "--to-file", "/dev/zero", "Hi"], "--to-file"),
        (["send", "--dry-run", "--to", "+46701234567", "--file", "/dev/zero"], "--file"),
        (["split", "--file", "/dev/zero"], "--file"),
    ],
)
def test_dev_zero_is_refused_naming_the_option(
    seven: Invoke,  # noqa: F811
    args: list[str],
    option: str,
) -> None:
    refused(seven(args), option)


def test_a_text_on_stdin_larger_than_the_cap_is_refused(seven: Invoke) -> None:  # noqa: F811
    refused(seven(["split"], input=b"x" * ((1 << 20) + 1)), "the text")
    refused(
        seven(["send", "--dry-run", "--to-file", "-", "--file", "x"], input=b"x" * (17 << 20)),
        "--to-file",
    )


def test_a_text_at_the_cap_is_read(seven: Invoke) -> None:  # noqa: F811
    result = seven(["split", "--json"], input=b"x" * 1000)
    assert result.exit_code == 0, result.stderr


def test_a_recipients_file_that_is_not_utf8_names_the_option(
    seven: Invoke,  # noqa: F811
    tmp_path: Path,
) -> None:
    listing = tmp_path / "to.txt"
    listing.write_bytes(b"+46701234567\n\xff\xfe\n")
    result = seven(["send", "--dry-run", "--to-file", str(listing), "Hi"])
    assert result.exit_code == 2
    assert f"--to-file {listing} is not valid UTF-8" in result.stderr, result.stderr
