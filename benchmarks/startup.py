"""Cold start of `smsctl split "hello"` next to a minimal one-command Typer app, in one run.

    python benchmarks/startup.py [--runs N]

Goal (issue 2): smsctl within 1.3x of the minimal app. Both run as fresh interpreters with
bytecode already cached, as after `pip install` (this script compiles sms_cli first, since an
editable install under PYTHONDONTWRITEBYTECODE would otherwise recompile it on every start),
interleaved so that machine noise hits both alike; medians are compared. Exits 1 when the goal
is missed.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.3
MINIMAL_APP = """
import typer

app = typer.Typer()


@app.command()
def main(text: str) -> None:
    print(text)


if __name__ == "__main__":
    app()
"""
SMSCTL = "from sms_cli.app import main; main()"


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    import sms_cli

    compileall.compile_dir(Path(sms_cli.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        compileall.compile_file(minimal, quiet=1)
        commands = {
            "minimal typer app": [sys.executable, str(minimal), "hello"],
            "smsctl split hello": [sys.executable, "-c", SMSCTL, "split", "hello"],
            "smsctl --help": [sys.executable, "-c", SMSCTL, "--help"],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        for argv in commands.values():  # warm the bytecode caches
            timed(argv)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                samples[name].append(timed(argv))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, value in medians.items():
        print(f"{name:<20} median {value * 1000:6.1f} ms  (min {min(samples[name]) * 1000:.1f})")
    ratio = medians["smsctl split hello"] / medians["minimal typer app"]
    best = min(samples["smsctl split hello"]) / min(samples["minimal typer app"])
    print(f"ratio smsctl split / minimal app: median {ratio:.2f}, best {best:.2f} (goal <= {GOAL})")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
