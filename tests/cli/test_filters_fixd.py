"""Round-2 fixes (fix D) of the number filters: a profile that is named but unknown or broken is
its ConfigError (exit 4), as for every other command; only "no profile chosen" falls back to
the no-profile region hint. `inbox -p` chooses the profile whose region the filters use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Invoke


def _add_profile(smsctl: Invoke, name: str, *extra: str) -> None:
    result = smsctl(
        ["profile", "add", name, "--provider", "connectel", "--token-stdin", *extra],
        input="tok-abcdef-123456\n",
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["log", "-p", "nosuch", "--to", "0701234510"],
        ["log", "--to", "0701234510"],
        ["inbox", "--from", "0701234510"],
    ],
)
def test_an_unknown_profile_named_for_a_filter_is_exit_4(
    smsctl: Invoke, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    _add_profile(smsctl, "se", "--region", "SE")
    if "-p" not in args:
        monkeypatch.setenv("SMSCTL_PROFILE", "nosuch")
    result = smsctl(args)
    assert result.exit_code == 4, result.stderr
    assert "no profile named 'nosuch'" in result.stderr
    assert "--region XX" not in result.stderr


def test_a_broken_default_profile_for_a_filter_is_its_config_error(
    smsctl: Invoke, tmp_path: Path
) -> None:
    _add_profile(smsctl, "bad", "--region", "SE", "--base-url", "http://127.0.0.1:9")
    path = tmp_path / "config" / "profiles.toml"
    path.write_text(path.read_text().replace('"http://127.0.0.1:9"', '"x"'))
    for args in (["log", "--to", "0701234510"], ["inbox", "--from", "0701234510"]):
        result = smsctl(args)
        assert result.exit_code == 4, result.stderr
        assert "'bad'" in result.stderr
        assert "--region XX" not in result.stderr


def test_inbox_p_chooses_the_region_of_its_filters(smsctl: Invoke) -> None:
    from tests.cli.test_send_daily_filters import OTHER, _rows, _seed_history

    _add_profile(smsctl, "de", "--region", "DE")
    _add_profile(smsctl, "se", "--region", "SE")
    assert smsctl(["profile", "use", "de"]).exit_code == 0
    _seed_history()
    assert smsctl(["inbox", "--from", "0709999999"]).exit_code == 2  # DE: not valid
    result = smsctl(["inbox", "-p", "se", "--from", "0709999999", "--json"])
    assert result.exit_code == 0, result.stderr
    assert [r["from"] for r in _rows(result.stdout)] == [OTHER, OTHER]
    unknown = smsctl(["inbox", "--profile", "nosuch", "--to", "0701234567"])
    assert unknown.exit_code == 4, unknown.stderr
    assert "no profile named 'nosuch'" in unknown.stderr
