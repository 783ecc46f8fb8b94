"""`smsctl profile check` and `smsctl doctor`: a table on a terminal (aligned plain text
elsewhere) or one JSON document. What failed is also said on stderr, with how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sms_cli.core.redaction import redact
from sms_cli.render import output
from sms_cli.render.table import cell, table

if TYPE_CHECKING:
    from sms_cli.services.checks import ProfileCheck, TokenOutcome
    from sms_cli.services.doctor import Report

# Result words as the table shows them (JSON keeps the snake_case word).
_SHOWN = {"not_checkable": "not checkable", "no_token": "no token", "wrong_url": "wrong URL"}


def profile_check_json(check: ProfileCheck) -> dict[str, Any]:
    return {
        "name": check.name,
        "provider": check.provider,
        "base_url": check.base_url,
        "default": check.is_default,
        "token_source": check.token_source,
        "result": check.result,
        "detail": check.detail,
        "hint": check.hint,
        "latency_ms": check.latency_ms,
    }


def emit_profile_checks(checks: Sequence[ProfileCheck], *, json: bool) -> None:
    from sms_cli.services.checks import overall_exit_code

    if json:
        output.print_json(
            {
                "profiles": [profile_check_json(c) for c in checks],
                "exit_code": int(overall_exit_code(checks)),
            }
        )
    else:
        rows = [
            (
                c.name + (" (default)" if c.is_default else ""),
                cell(c.provider),
                cell(c.base_url),
                cell(c.token_source),
                _SHOWN.get(c.result, c.result),
                "-" if c.latency_ms is None else f"{c.latency_ms} ms",
                redact(c.detail),
            )
            for c in checks
        ]
        header = ("Profile", "Provider", "Base URL", "Token", "Result", "Latency", "Detail")
        table(header, rows, wrap="Detail")
    _say_failures(checks)


# The error code word (errors.ERROR_CODES) of each failed result.
_CODE_OF_RESULT = {
    "rejected": "auth_rejected",
    "unreachable": "network",
    "wrong_url": "endpoint_not_found",
    "no_token": "config",
    "broken": "config",
}


def _others(count: int) -> str:
    return f" ({count} other profile(s) failed too)" if count else ""


def _say_failures(checks: Sequence[ProfileCheck]) -> None:
    """Every profile that failed, on stderr: one line each with its fix, the one that chose the
    exit code first (with --json it is the error object, so the object, its code and its exit
    code describe the same failure). A script reading only the exit code still has a line
    saying why."""
    from sms_cli.services.checks import overall_exit_code

    failed = [c for c in checks if c.exit_code != 0]
    if not checks:
        output.info("no profiles to check; add one: smsctl profile add NAME --provider NAME")
    if failed:
        code = overall_exit_code(checks)
        deciding = next(c for c in failed if c.exit_code == code)
        failed.remove(deciding)
        word = _SHOWN.get(deciding.result, deciding.result)
        output.error(
            f"profile {deciding.name}: {word}: {deciding.detail}{_others(len(failed))}",
            deciding.hint,
            code=_CODE_OF_RESULT.get(deciding.result),
        )
    for check in failed:
        word = _SHOWN.get(check.result, check.result)
        output.error(f"profile {check.name}: {word}: {check.detail}", check.hint)
    for check in checks:
        if check.result == "not_checkable":
            output.info(f"note: profile {check.name}: {check.detail}")


def say_token_checked(name: str, outcome: TokenOutcome) -> None:
    """What `profile add`'s token check found, on stderr, for a profile about to be saved."""
    if outcome.result == "ok":
        output.info(f"token checked: {outcome.detail}")
    elif outcome.result == "not_checkable":
        output.info(f"note: the token was not checked: {outcome.detail}")
    else:
        output.warning(
            f"the token could not be checked ({outcome.detail}); the profile is saved anyway: "
            f"check it later with smsctl profile check {name}"
        )


_MARK = {"ok": "ok", "info": "info", "warning": "WARNING", "error": "ERROR", "skipped": "skipped"}


def emit_doctor(report: Report, *, json: bool) -> None:
    if json:
        output.print_json(
            {
                "checks": [
                    {
                        "name": c.name,
                        "status": c.status,
                        "detail": c.detail,
                        "fix": c.fix,
                        "path": None if c.path is None else str(c.path),
                    }
                    for c in report.checks
                ],
                "profiles": [profile_check_json(p) for p in report.profiles],
                "exit_code": int(report.exit_code),
            }
        )
    else:
        rows = [
            (c.name, _MARK[c.status], redact(c.detail), redact(c.fix) if c.fix else "-")
            for c in report.checks
        ]
        table(("Check", "Status", "Detail", "Fix"), rows, wrap="Detail")
    errors = sum(c.status == "error" for c in report.checks)
    warnings = sum(c.status == "warning" for c in report.checks)
    if errors:
        # The error that chose the exit code, so the JSON object's code, message and exit code
        # all describe it.
        deciding = next(
            c for c in report.checks if c.status == "error" and c.exit_code == report.exit_code
        )
        others = f"; {errors - 1} other check(s) failed too" if errors > 1 else ""
        output.error(
            f"{deciding.name}: {deciding.detail}{others}; {warnings} warning(s)",
            deciding.fix,
            code=_doctor_code(report, deciding.name),
        )
    elif warnings:
        output.info(f"no errors, {warnings} warning(s)")


def _doctor_code(report: Report, name: str) -> str | None:
    """The error code word of one failed doctor check; None: the exit code's own word."""
    profile = name.removeprefix("profile:")
    if profile != name:
        result = next((p.result for p in report.profiles if p.name == profile), None)
        return _CODE_OF_RESULT.get(result or "")
    if name in ("data_dir", "history"):
        return "storage"
    return None
