"""Two connections in one process and another process beside them: no write may be lost.

Closing any descriptor of a file releases every POSIX lock the process holds on it. A bulk run
opens the history twice (the journal and the writer thread); if opening the second touched the
file with open()/close(), another smsctl closing its connection would think itself the last
user, checkpoint and delete the WAL, and the run's later commits would vanish.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sms_cli.storage.messages import History

OPEN_AND_CLOSE = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
connection.close()
"""
COUNT = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
print(connection.execute("SELECT count(*) FROM probe").fetchone()[0])
"""


def test_a_second_connection_in_one_process_loses_no_commits(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    first = History(path)
    try:
        with first.transaction() as db:
            db.execute("CREATE TABLE probe (n INTEGER)")
        second = History(path)  # as a bulk run's writer thread opens it
        try:
            subprocess.run([sys.executable, "-c", OPEN_AND_CLOSE, str(path)], check=True)
            for n in range(5):
                with first.transaction() as db:
                    db.execute("INSERT INTO probe VALUES (?)", (n,))
            seen = subprocess.run(
                [sys.executable, "-c", COUNT, str(path)],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
        finally:
            second.close()
    finally:
        first.close()
    assert seen.strip() == "5"
    assert (path.stat().st_mode & 0o777) == 0o600
