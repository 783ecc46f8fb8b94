"""`smsctl listen` under load: callbacks a second, and the receiver's CPU per callback.

    python benchmarks/receive.py [--callbacks 3000] [--clients 8]

Delivery reports for messages in the history (each one moves a message on), posted over
loopback by several client threads at once, as a provider delivering a campaign's reports would.
No goal is set by an issue; the figures go in the closing note. Exits 1 when a callback is
refused or an event is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from sms_cli.storage.messages import History, MessageRecord, Outcome, text_hash

SECRET = "benchmark-secret-0123456789"


def process_cpu(pid: int) -> float:
    """User + system seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--callbacks", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SMSCTL_CONFIG_DIR": f"{tmp}/c", "SMSCTL_DATA_DIR": f"{tmp}/d"}
        os.environ["SMSCTL_DATA_DIR"] = env["SMSCTL_DATA_DIR"]
        history = History()
        records = [
            MessageRecord(f"L{i}", "B", None, "seven", f"+4917{i:08d}", None, "hi",
                          text_hash("hi"), 1, "gsm7")
            for i in range(args.callbacks)
        ]  # fmt: skip
        history.record_intent(records)
        history.record_outcomes(
            [Outcome(f"L{i}", "queued", provider_id=str(77_000_000_000 + i)) for i in
             range(args.callbacks)]
        )  # fmt: skip
        history.close()
        listener = subprocess.Popen(
            [sys.executable, "-m", "sms_cli", "listen", "--port", "0", "--json",
             "--secret", SECRET],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert listener.stdout is not None
        url = json.loads(listener.stdout.readline())["urls"]["seven"]
        events: list[str] = []
        reader = threading.Thread(target=lambda: events.extend(listener.stdout or []))
        reader.start()
        refused: list[int] = []
        ids = iter(range(args.callbacks))
        lock = threading.Lock()

        def client() -> None:
            with httpx.Client() as session:
                while True:
                    with lock:
                        i = next(ids, None)
                    if i is None:
                        return
                    data = {"webhook_event": "dlr", "data[msg_id]": str(77_000_000_000 + i),
                            "data[status]": "DELIVERED"}  # fmt: skip
                    if session.post(url, data=data).status_code != 200:
                        refused.append(i)

        cpu_before = process_cpu(listener.pid)
        started = time.perf_counter()
        clients = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        seconds = time.perf_counter() - started
        cpu = process_cpu(listener.pid) - cpu_before
        listener.terminate()
        listener.wait(30)
        reader.join(30)
        delivered = sum(1 for r in History().query(status="delivered", limit=None))
    print(
        f"{args.callbacks} delivery reports from {args.clients} clients in {seconds:.2f} s = "
        f"{args.callbacks / seconds:.0f}/s; receiver CPU {cpu / args.callbacks * 1000:.2f} ms "
        f"per callback; {len(events)} events printed, {delivered} messages delivered, "
        f"{len(refused)} refused"
    )
    return 0 if not refused and delivered == len(events) == args.callbacks else 1


if __name__ == "__main__":
    sys.exit(main())
