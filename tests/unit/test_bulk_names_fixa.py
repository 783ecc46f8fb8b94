"""`bulk jobs` with long or composed names: the Job column whole, the table aligned."""

from __future__ import annotations

import io
import sys

import pytest

from sms_cli.storage.jobs import JobSummary, name_problem


@pytest.mark.parametrize("name", ["cafe\u0301", "a\u200bb", "x\u20dd"])
def test_names_with_combining_marks_or_invisible_characters_are_refused(name: str) -> None:
    assert name_problem(name) is not None
    assert name_problem("café") is None  # é as one character is fine


def test_a_long_name_is_shortened_in_the_table_and_the_job_id_is_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sms_cli.render.bulk import jobs as render_jobs

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    base = dict(
        created_at="2026-01-01T00:00:00.000Z", source="a.csv", fingerprint="f", profile="p",
        provider="connectel", state="finished", rows=3, note=None, updated_at="u",
        runner_pid=None, runner_token=None, parent_job=None, options=None, pending=0,
        accepted=3, failed=0, unknown=0, cancelled=0,
    )  # fmt: skip
    job = JobSummary(job_id="0123456789abcdef" * 2, name="n" * 64, **base)  # type: ignore[arg-type]
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    monkeypatch.setenv("COLUMNS", "40")
    render_jobs([job], json=False)
    shown = screen.getvalue()
    assert "01234567" in shown
    assert "n" * 16 not in shown and "n" * 15 + "…" in shown
