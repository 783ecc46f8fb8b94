"""The profile store under real processes: killed mid-write, and several writers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sms_cli.services.profiles import store as profile_store

WRITER = """
import sys
from pathlib import Path
from sms_cli.services.profiles import store as profile_store
from sms_cli.storage.profiles import Profile, with_added

store = profile_store(Path(sys.argv[1]))
prefix, count = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
for i in range(count):
    profile = Profile(f"{prefix}-{i}", "seven", token=f"tok-{prefix}-{i:06d}", sender="Acme")
    store.update(lambda cur: (with_added(cur, profile, make_default=False, force=True), None))
"""


def start_writer(path: Path, prefix: str, count: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), prefix, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.5])
def test_kill_9_during_writes_leaves_a_valid_file(tmp_path: Path, delay: float) -> None:
    path = tmp_path / "cfg" / "profiles.toml"
    writer = start_writer(path, "w", 100_000)
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    profiles = profile_store(path).load()  # raises if the file were torn
    names = set(profiles.profiles)
    assert names == {f"w-{i}" for i in range(len(names))}  # a prefix: nothing half-applied
    assert all(p.token == f"tok-w-{int(p.name[2:]):06d}" for p in profiles.profiles.values())


def test_concurrent_writers_lose_nothing_and_never_tear_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "profiles.toml"
    writers = [start_writer(path, prefix, 40) for prefix in ("a", "b", "c")]
    reads = 0
    while any(w.poll() is None for w in writers):
        if path.exists():
            profile_store(path).load()
            reads += 1
    assert all(w.returncode == 0 for w in writers)
    names = set(profile_store(path).load().profiles)
    assert names == {f"{p}-{i}" for p in "abc" for i in range(40)}
    assert reads > 0
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
