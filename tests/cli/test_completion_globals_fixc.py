"""Completion reads global options typed before the command as a run does: `smsctl -p <TAB>`
offers profile names, `smsctl --json log --<TAB>` the options of log."""

from __future__ import annotations

from pathlib import Path

from tests.test_completions import SOME, bash_complete


def test_global_options_before_the_command_complete_as_a_run_reads_them(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "profiles.toml").write_text(
        f'version = 1\n[profiles.live]\nprovider = "{SOME}"\n[profiles.lab]\nprovider = "{SOME}"\n'
    )
    env = {"SMSCTL_CONFIG_DIR": str(config)}
    assert bash_complete("smsctl -p ", **env) == ["lab", "live"]
    assert bash_complete("smsctl --profile li", **env) == ["live"]
    options = bash_complete("smsctl --json log --")
    assert "--since" in options and "--version" not in options, options
    assert "send" in bash_complete("smsctl -p live ", **env)
    assert bash_complete("smsctl -p live log --no-p", **env) == ["--no-pager"]
