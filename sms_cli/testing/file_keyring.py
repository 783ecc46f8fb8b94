"""A keyring backend in one JSON file, for tests: never the user's real keyring.

Selected with PYTHON_KEYRING_BACKEND=sms_cli.testing.file_keyring.FileKeyring (so processes a
test starts use it too); the file is $SMSCTL_TEST_KEYRING. Plain text: for tests only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import NoKeyringError, PasswordDeleteError

ENV_FILE = "SMSCTL_TEST_KEYRING"


class FileKeyring(KeyringBackend):
    priority = 1

    def _path(self) -> Path:
        name = os.environ.get(ENV_FILE)
        if not name:
            raise NoKeyringError(f"{ENV_FILE} is not set")
        return Path(name)

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path().read_text("utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def _save(self, entries: dict[str, str]) -> None:
        path = self._path()
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(entries), "utf-8")
        os.replace(temp, path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}\x00{username}"] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}\x00{username}", None) is None:
            raise PasswordDeleteError("no such entry")
        self._save(entries)

    @staticmethod
    def entries(path: Path) -> dict[str, str]:
        """The tokens the file holds, for a test's asserts: user name -> password (without the
        `<id>.owner` records of which profiles file wrote each: `owners`)."""
        found = FileKeyring._all(path)
        return {user: value for user, value in found.items() if not user.endswith(".owner")}

    @staticmethod
    def owners(path: Path) -> dict[str, str]:
        """The owner records: keyring id -> the profiles file that wrote its entry."""
        found = FileKeyring._all(path)
        return {u.removesuffix(".owner"): v for u, v in found.items() if u.endswith(".owner")}

    @staticmethod
    def _all(path: Path) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        return {key.partition("\x00")[2]: value for key, value in data.items()}
