"""Bulk sending against the sandbox: throughput under latency, and client CPU per message.

    python benchmarks/bulk_send.py [--messages 2000]

Goals (issue 6): with 150 ms added latency, 2,000 personalised messages at --concurrency 32
reach at least 90% of the bound concurrency and latency allow (32 / 0.15 s = 213 a second);
at 20 ms latency, the smsctl process spends at most 1.0 ms of CPU (user + system) per message
(the whole process: start, pre-flight, journal, history and HTTP; 5,000 messages by default,
so the fixed cost of starting, about 0.2 s, weighs as in a real campaign). Identical texts go out
in batches (request count shown). The emulators run in this process, so their CPU is not counted.
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from sms_cli.providers.emulation import SandboxServer, all_emulators

THROUGHPUT_SHARE = 0.9
CPU_MS_GOAL = 1.0


def run_bulk(env: dict[str, str], csv_path: Path, *extra: str) -> tuple[dict[str, object], float]:
    """The bulk job's JSON summary and the CPU seconds its process used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, "-m", "sms_cli", "bulk", str(csv_path), "--yes", "--json", *extra],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"bulk failed ({result.returncode}): {result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(result.stdout), cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--cpu-messages", type=int, default=5000)
    args = parser.parse_args()
    server = SandboxServer(all_emulators())
    server.start_in_thread()
    control = f"{server.url}/connectel/__emu"
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SMSCTL_CONFIG_DIR": f"{tmp}/cfg", "SMSCTL_DATA_DIR": f"{tmp}/data"}
        subprocess.run(
            [sys.executable, "-m", "sms_cli", "profile", "add", "bench", "--provider", "connectel",
             "--base-url", f"{server.url}/connectel", "--sender", "Bench", "--token-stdin"],
            input="sandbox-token", env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        personal = Path(tmp) / "personal.csv"
        personal.write_text(
            "phone,n\n" + "".join(f"+4670{i:07d},{i}\n" for i in range(args.messages))
        )

        httpx.post(f"{control}/faults", json={"latency": 0.15})
        summary, _ = run_bulk(env, personal, "--message", "Code {n}", "--concurrency", "32")
        seconds = float(summary["seconds"])  # type: ignore[arg-type]
        rate = args.messages / seconds
        bound = 32 / 0.15
        print(
            f"150 ms latency, concurrency 32: {args.messages} messages in {seconds:.2f} s = "
            f"{rate:.1f}/s, {rate / bound:.0%} of the {bound:.0f}/s bound "
            f"(goal >= {THROUGHPUT_SHARE:.0%})"
        )
        ok &= rate >= THROUGHPUT_SHARE * bound

        # CPU time on a shared 2-core VM swings by a third between identical runs: take the
        # best of three, as timeit does, and show them all.
        per_message = []
        for run, prefix in enumerate(("4673", "4676", "4679")):
            httpx.post(f"{control}/reset")
            httpx.post(f"{control}/faults", json={"latency": 0.02})
            personal.write_text(
                "phone,n\n" + "".join(f"+{prefix}{i:07d},{i}\n" for i in range(args.cpu_messages))
            )
            _, cpu = run_bulk(
                env, personal, "--message", f"Code {run} {{n}}", "--concurrency", "32"
            )
            per_message.append(cpu / args.cpu_messages * 1000)
        best = min(per_message)
        print(
            f"20 ms latency, {args.cpu_messages} messages: client CPU per message {best:.2f} ms, "
            "best of "
            f"{', '.join(f'{m:.2f}' for m in per_message)} (goal <= {CPU_MS_GOAL} ms)"
        )
        ok &= best <= CPU_MS_GOAL

        httpx.post(f"{control}/reset")
        httpx.post(f"{control}/faults", json={"latency": 0.02})
        same = Path(tmp) / "same.csv"
        same.write_text("phone\n" + "".join(f"+4672{i:07d}\n" for i in range(args.messages)))
        started = time.perf_counter()
        summary, _ = run_bulk(env, same, "--message", "The same text for everyone")
        print(
            f"identical texts: {args.messages} messages in {summary['requests']} requests "
            f"({time.perf_counter() - started:.2f} s in all)"
        )
        ok &= int(summary["requests"]) <= -(-args.messages // 500)  # type: ignore[call-overload]
    server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
