"""Write completions/ from the app itself: `python scripts/generate_completions.py [--check]`.

Each script is what the app prints for `_SMSCTL_COMPLETE=source_<shell>` (Click's protocol, which
Typer implements for bash, zsh, fish and PowerShell). The scripts call back into smsctl to
complete, so commands, options and choices always match the installed version; regenerate after
changing the Typer layer, and the test suite fails when a committed file is stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = ROOT / "completions"
FILES = {
    "bash": "smsctl.bash",
    "zsh": "_smsctl",
    "fish": "smsctl.fish",
    "powershell": "smsctl.ps1",
}


def generate(shell: str) -> str:
    env = {**os.environ, "_SMSCTL_COMPLETE": f"source_{shell}"}
    result = subprocess.run(
        [sys.executable, "-m", "sms_cli"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip() + "\n"


def stale() -> list[str]:
    """Names of the files under completions/ that differ from what the app generates."""
    return [
        name
        for shell, name in FILES.items()
        if not (COMPLETIONS / name).is_file() or (COMPLETIONS / name).read_text() != generate(shell)
    ]


def main(argv: list[str]) -> int:
    if argv[1:] == ["--check"]:
        names = stale()
        for name in names:
            print(f"completions/{name} is stale: run python scripts/generate_completions.py")
        return 1 if names else 0
    COMPLETIONS.mkdir(exist_ok=True)
    for shell, name in FILES.items():
        (COMPLETIONS / name).write_text(generate(shell))
        print(f"wrote completions/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
