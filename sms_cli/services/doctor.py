"""`smsctl doctor`: is this machine set up to use smsctl? Each check says ok, warning, error,
info or skipped, what it found, and how to fix it. Nothing is changed; nothing is sent.

Checks: the config directory and the profiles file (exist, owner, permissions, load), the data
directory and the history database (opens, schema current, not locked), every profile as
`profile check` sees it (skipped with `offline`), the local clock against the `Date` of the
providers' answers, and shell completions.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from sms_cli.errors import ExitCode, SmsError
from sms_cli.services import checks as profile_checks
from sms_cli.services import profiles as profile_service

Status = Literal["ok", "info", "warning", "error", "skipped"]
MAX_SKEW: Final = 60.0  # seconds; past it, scheduled sends (--at) and signed callbacks misbehave


@dataclass(frozen=True)
class Check:
    name: str  # stable, for --json: config_dir, profiles_file, data_dir, history, ...
    status: Status
    detail: str
    fix: str | None = None
    exit_code: ExitCode = ExitCode.OK  # of an error: what the problem means to scripts
    path: Path | None = None


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    profiles: tuple[profile_checks.ProfileCheck, ...] = field(default=())

    @property
    def exit_code(self) -> ExitCode:
        """0 without errors (warnings allowed); else the most serious code among the errors:
        authentication (5), then network (6), then configuration and storage (4)."""
        codes = {c.exit_code for c in self.checks if c.status == "error"}
        order = (*profile_checks.PRECEDENCE, ExitCode.USAGE, ExitCode.INTERNAL)
        return next((code for code in order if code in codes), ExitCode.OK)


def run(
    *,
    timeout: float = profile_checks.DEFAULT_TIMEOUT,
    offline: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    clock: Callable[[], float] = time.monotonic,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    system_roots: Sequence[Path] = (Path("/"),),
) -> Report:
    """Every check, in the order a user fixes them: config, data, profiles, clock, completions."""
    from sms_cli.storage.db import data_dir
    from sms_cli.storage.profiles import config_dir, profiles_path

    env = os.environ if environ is None else environ
    found: list[Check] = [
        _directory("config_dir", config_dir(), "profiles"),
        *_profiles_file(profiles_path()),
        _directory("data_dir", data_dir(), "history"),
        _history(),
    ]
    profiles: list[profile_checks.ProfileCheck] = []
    # A file that cannot be read: the profiles_file check above already names the problem.
    with contextlib.suppress(SmsError):
        profiles = profile_checks.check_profiles(timeout=timeout, offline=offline, clock=clock)
    found.extend(_profile_check(p) for p in profiles)
    found.append(_clock(profiles, now(), offline))
    found.append(_completions(home or Path.home(), env, system_roots))
    return Report(checks=tuple(found), profiles=tuple(profiles))


def _owned(mode_owner: int) -> bool:
    return sys.platform == "win32" or mode_owner == os.getuid()


def _variable(check: str) -> str:
    return "SMSCTL_CONFIG_DIR" if check == "config_dir" else "SMSCTL_DATA_DIR"


def _directory(name: str, path: Path, holds: str) -> Check:
    try:
        info = path.stat()
    except FileNotFoundError:
        return Check(
            name, "ok", f"{path} does not exist yet; smsctl creates it when needed", path=path
        )
    except OSError as exc:
        return Check(
            name,
            "error",
            f"cannot look at {path}: {exc.strerror or exc}",
            f"check the permissions of {path.parent}",
            ExitCode.CONFIG,
            path,
        )
    if not stat.S_ISDIR(info.st_mode):
        return Check(
            name,
            "error",
            f"{path} is not a directory",
            f"move it away, or set {_variable(name)}",
            ExitCode.CONFIG,
            path,
        )
    mode = stat.S_IMODE(info.st_mode)
    if not _owned(info.st_uid):
        return Check(
            name,
            "warning",
            f"{path} belongs to another user (uid {info.st_uid}), who can change the {holds}",
            f"use a directory of your own (set {_variable(name)})",
            path=path,
        )
    # The mode too: root may write anywhere, but a directory made read-only says "do not".
    if not os.access(path, os.W_OK | os.X_OK) or not mode & stat.S_IWUSR:
        return Check(
            name,
            "warning",
            f"{path} is read-only (mode {mode:04o}): smsctl cannot save the {holds}",
            f"chmod u+rwx {path}",
            path=path,
        )
    if sys.platform != "win32" and mode & 0o077:
        return Check(
            name,
            "warning",
            f"{path} can be read by other users (mode {mode:04o})",
            f"chmod 700 {path}",
            path=path,
        )
    return Check(name, "ok", f"{path} (mode {mode:04o})", path=path)


def _profiles_file(path: Path) -> list[Check]:
    name = "profiles_file"
    try:
        info = path.stat()
    except FileNotFoundError:
        return [
            Check(
                name,
                "warning",
                f"{path} does not exist: no profile is configured",
                "add one: smsctl profile add NAME --provider NAME",
                path=path,
            )
        ]
    except OSError as exc:
        return [
            Check(
                name,
                "error",
                f"cannot look at {path}: {exc.strerror or exc}",
                None,
                ExitCode.CONFIG,
                path,
            )
        ]
    mode = stat.S_IMODE(info.st_mode)
    found: list[Check] = []
    if stat.S_ISREG(info.st_mode) and not _owned(info.st_uid):
        found.append(
            Check(
                name,
                "error",
                f"{path} belongs to another user (uid {info.st_uid}), who can change its tokens "
                "and URLs",
                f"add your profiles again in a file of your own, or: chown {os.getuid()} {path}",
                ExitCode.CONFIG,
                path,
            )
        )
    elif stat.S_ISREG(info.st_mode) and sys.platform != "win32" and mode & 0o077:
        found.append(
            Check(
                name,
                "warning",
                f"{path} can be read by other users (mode {mode:04o}); it holds tokens",
                f"chmod 600 {path}",
                path=path,
            )
        )
    try:
        loaded = profile_service.store(path).load()
    except SmsError as exc:
        found.append(Check(name, "error", exc.message, exc.hint, exc.exit_code, path))
        return found
    if not found:
        count = len(loaded.profiles) + len(loaded.broken)
        found.append(Check(name, "ok", f"{path} (mode {mode:04o}, {count} profile(s))", path=path))
    return found


def _history() -> Check:
    from sms_cli.storage.db import default_busy_timeout
    from sms_cli.storage.health import inspect_history

    try:
        health = inspect_history(busy_timeout=min(default_busy_timeout(), 2.0))
    except SmsError as exc:
        return Check(
            "history", "error", exc.message, exc.hint, exc.exit_code, getattr(exc, "path", None)
        )
    if not health.exists:
        return Check(
            "history",
            "ok",
            f"{health.path} does not exist yet; the first send creates it",
            path=health.path,
        )
    if not health.writable:
        return Check(
            "history",
            "error",
            f"{health.path} is read-only: sends could not be recorded",
            f"make {health.path} and {health.path.parent} writable, or set SMSCTL_DATA_DIR",
            ExitCode.CONFIG,
            health.path,
        )
    if health.pending:
        return Check(
            "history",
            "ok",
            f"{health.path} opens; {len(health.pending)} schema update(s) will be applied by "
            "the next command that uses it",
            path=health.path,
        )
    return Check(
        "history", "ok", f"{health.path} opens, schema current, not locked", path=health.path
    )


_STATUS_OF: Final[dict[str, Status]] = {
    "ok": "ok",
    "not_checkable": "info",
    "skipped": "skipped",
}


def _profile_check(check: profile_checks.ProfileCheck) -> Check:
    status = _STATUS_OF.get(check.result, "error")
    detail = f"{check.result.replace('_', ' ')}: {check.detail}"
    return Check(f"profile:{check.name}", status, detail, check.hint, check.exit_code)


def _clock(profiles: Sequence[profile_checks.ProfileCheck], now: datetime, offline: bool) -> Check:
    dated = [p for p in profiles if p.server_date is not None]
    if not dated:
        why = "--offline" if offline else "no provider answer carried a Date header"
        return Check("clock", "skipped", f"not compared ({why})")
    first = dated[0]
    assert first.server_date is not None
    skew = (now - first.server_date).total_seconds()
    said = f"{abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} {first.provider}'s clock"
    if round(skew) == 0:
        said = f"in step with {first.provider}'s clock"
    if abs(skew) > MAX_SKEW:
        return Check(
            "clock",
            "warning",
            f"the local clock is {said} (profile {first.name})",
            "turn on time synchronisation (NTP), e.g. timedatectl set-ntp true",
        )
    return Check("clock", "ok", f"the local clock is {said} (warned past {MAX_SKEW:.0f} s)")


def completion_places(
    home: Path, env: Mapping[str, str], system_roots: Sequence[Path]
) -> dict[str, list[Path]]:
    """Where each shell looks for smsctl's completion (and where `--install-completion` and
    docs/completion.md put it)."""
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    places: dict[str, list[Path]] = {
        "bash": [
            data / "bash-completion" / "completions" / "smsctl",
            home / ".bash_completions" / "smsctl.sh",
        ],
        "zsh": [home / ".zfunc" / "_smsctl"],
        "fish": [config / "fish" / "completions" / "smsctl.fish"],
    }
    for root in system_roots:
        places["bash"] += [
            root / "usr/share/bash-completion/completions/smsctl",
            root / "etc/bash_completion.d/smsctl",
        ]
        places["zsh"] += [
            root / "usr/share/zsh/site-functions/_smsctl",
            root / "usr/local/share/zsh/site-functions/_smsctl",
        ]
        places["fish"] += [
            root / "usr/share/fish/vendor_completions.d/smsctl.fish",
            root / "usr/share/fish/completions/smsctl.fish",
        ]
    return places


def _completions(home: Path, env: Mapping[str, str], system_roots: Sequence[Path]) -> Check:
    installed = []
    for shell, paths in completion_places(home, env, system_roots).items():
        found = next((path for path in paths if path.is_file()), None)
        if found is not None:
            installed.append(f"{shell} ({found})")
    if installed:
        return Check("completions", "ok", "installed for " + ", ".join(installed))
    return Check(
        "completions",
        "info",
        "not installed for bash, zsh or fish",
        "smsctl --install-completion installs them for the current shell",
    )
