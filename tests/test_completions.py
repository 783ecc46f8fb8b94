"""completions/ is generated from the app, stays fresh, and really completes our commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sms_cli.providers import registry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import generate_completions  # noqa: E402


def test_committed_completion_scripts_are_fresh() -> None:
    assert generate_completions.stale() == [], "run: python scripts/generate_completions.py"


def test_every_shell_has_a_script_naming_smsctl() -> None:
    for name in generate_completions.FILES.values():
        text = (ROOT / "completions" / name).read_text()
        assert "_SMSCTL_COMPLETE" in text


def bash_complete(words: str, **extra_env: str) -> list[str]:
    parts = words.split(" ")
    env = {
        **os.environ,
        **extra_env,
        "_SMSCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    result = subprocess.run(
        [sys.executable, "-m", "sms_cli"], env=env, capture_output=True, text=True, timeout=60
    )
    return result.stdout.split()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("smsctl sp", ["split"]),
        ("smsctl split --sm", ["--smart"]),
        ("smsctl split --national ", ["tr", "es", "pt"]),
        ("smsctl pro", ["providers", "profile"]),
        ("smsctl profile add x --provider ", sorted(registry.available())),
    ],
)
def test_bash_completion_protocol_completes_commands_and_options(
    words: str, expected: list[str]
) -> None:
    assert bash_complete(words) == expected


SOME = sorted(registry.builtin())[0]


def test_profile_names_complete(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "profiles.toml").write_text(
        f'version = 1\n[profiles.live]\nprovider = "{SOME}"\n[profiles.lab]\nprovider = "{SOME}"\n'
    )
    found = bash_complete("smsctl profile use l", SMSCTL_CONFIG_DIR=str(config))
    assert found == ["lab", "live"]
