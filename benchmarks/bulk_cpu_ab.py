"""Client CPU per bulk message of two checkouts, measured in alternation.

    python benchmarks/bulk_cpu_ab.py OTHER_CHECKOUT [--rounds 6] [--messages 4000]

CPU time on a shared machine drifts by a third within minutes, so comparing a change with its
parent one benchmark run after the other says little. This runs the same bulk job (personalised
texts, 20 ms latency, --concurrency 32) with this checkout and another one (e.g. made with
`git worktree add /tmp/base HEAD~1`) in turns, ABBA, and prints every run and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from sms_cli.providers.emulation import SandboxServer, all_emulators

HERE = Path(__file__).resolve().parent.parent
PREFIXES = ("4670", "4672", "4673", "4676", "4679")  # valid Swedish mobile ranges


def cpu_per_message(checkout: Path, sandbox: str, messages: int, round_: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        # The checkout's own package, not the installed one: run from its directory.
        env = {**os.environ, "SMSCTL_CONFIG_DIR": f"{tmp}/c", "SMSCTL_DATA_DIR": f"{tmp}/d",
               "PYTHONPATH": str(checkout)}  # fmt: skip
        subprocess.run(
            [sys.executable, "-m", "sms_cli", "profile", "add", "ab", "--provider", "connectel",
             "--base-url", f"{sandbox}/connectel", "--sender", "AB", "--token-stdin"],
            input="sandbox-token", env=env, cwd=checkout, check=True, capture_output=True,
            text=True,
        )  # fmt: skip
        prefix = PREFIXES[round_ % len(PREFIXES)]
        csv_path = Path(tmp) / "ab.csv"
        csv_path.write_text(
            "phone,n\n" + "".join(f"+{prefix}{i:07d},{i}\n" for i in range(messages))
        )
        httpx.post(f"{sandbox}/connectel/__emu/reset")
        httpx.post(f"{sandbox}/connectel/__emu/faults", json={"latency": 0.02})
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [sys.executable, "-m", "sms_cli", "bulk", str(csv_path), "--yes", "--json",
             "--message", "Code {n}", "--concurrency", "32"],
            env=env, cwd=checkout, capture_output=True, text=True, check=False,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            raise SystemExit(f"bulk failed in {checkout}: {result.stderr[-1000:]}")
        json.loads(result.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu / messages * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("other", type=Path, help="another checkout of smsctl")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--messages", type=int, default=4000)
    args = parser.parse_args()
    server = SandboxServer(all_emulators())
    server.start_in_thread()
    sides = {"this": HERE, "other": args.other.resolve()}
    for checkout in sides.values():  # both start from bytecode, as an installed package does
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(checkout / "sms_cli")],
                       env=env, check=True, capture_output=True)  # fmt: skip
    runs: dict[str, list[float]] = {"this": [], "other": []}
    for round_ in range(args.rounds):
        order = ("this", "other") if round_ % 2 == 0 else ("other", "this")
        for side in order:
            runs[side].append(cpu_per_message(sides[side], server.url, args.messages, round_))
            print(f"round {round_ + 1} {side:5}: {runs[side][-1]:.3f} ms", flush=True)
    server.stop()
    for side, values in runs.items():
        print(
            f"{side:5} ({sides[side]}): median {statistics.median(values):.3f} ms per message, "
            f"runs {', '.join(f'{v:.2f}' for v in values)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
