"""A bulk job's send options: taken from the command line, checked against the provider exactly
as `send` checks them, stored with the job (jobs.options, JSON) and read back for every run.

What is stored, and why:
- `--at` is fixed ONCE, when the job starts: `+2h` becomes an absolute time then, and a resume an
  hour later sends for the same moment (a time that has passed by then goes out at once, said).
  The fingerprint keeps the time as typed, so running the same command again is the same job
  (never a second campaign), while another `--at` is another job.
- `--attach` stores each file's path, size and SHA-256, not its bytes (a journal of megabytes per
  job, for files the user keeps anyway): every run reads the file again and refuses to send when
  it is gone or no longer the same file.
- `--attach-password-env` stores the variable's NAME, never the password: every run reads it
  again, and refuses to send when it is unset.
- `--foreign-id` is not a bulk option: the engine puts its own reference on every request, so a
  lost answer can be found in the provider's journal.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sms_cli.errors import InputError

if TYPE_CHECKING:
    from sms_cli.providers.base import Attachment, SendOptions
    from sms_cli.providers.info import ProviderInfo
    from sms_cli.services.bulk.input import RowCheck
    from sms_cli.storage.jobs import Journal


@dataclass(frozen=True)
class BulkSendArgs:
    """The provider options of `smsctl bulk start`, as parsed."""

    at: str | None = None
    ttl: int | None = None
    label: str | None = None
    flash: bool = False
    performance_tracking: bool = False
    no_reload: bool = False
    unicode: bool = False
    utf8: bool = False
    udh: str | None = None
    attach: Sequence[Path] = ()
    attach_validity: int | None = None
    attach_password_env: str | None = None
    test: bool = False
    at_column: str | None = None
    label_column: str | None = None


@dataclass(frozen=True)
class AttachedFile:
    """A file sent with every message of a job: where it was, and what it held."""

    path: str
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class JobOptions:
    """The send options of every row of a job (per-row times and labels live on the rows)."""

    flash: bool = False
    at: str | None = None  # ISO 8601 UTC, fixed when the job started
    at_given: str | None = None  # --at as typed: the job's fingerprint
    ttl: int | None = None
    label: str | None = None
    performance_tracking: bool = False
    no_reload: bool = False
    unicode: bool = False
    utf8: bool = False
    udh: str | None = None
    attachments: tuple[AttachedFile, ...] = ()
    attach_validity: int | None = None
    attach_password_env: str | None = None
    test: bool = False
    at_column: str | None = None
    label_column: str | None = None
    started_at: str | None = None  # the clock relative times in --at-column count from
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # keys of a newer smsctl

    @property
    def any(self) -> bool:
        return self != JobOptions(started_at=self.started_at)

    def to_json(self) -> str | None:
        """The jobs.options column; None when no option was given (the column stays NULL)."""
        if not self.any:
            return None
        document = {
            k: v for k, v in asdict(self).items() if k != "extra" and v not in (None, False, ())
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> JobOptions:
        if not text:
            return cls()
        try:
            document = json.loads(text)
            known = {f.name for f in fields(cls)} - {"extra"}
            values = {k: v for k, v in document.items() if k in known}
            values["attachments"] = tuple(AttachedFile(**a) for a in values.get("attachments", ()))
            options = cls(**values, extra={k: v for k, v in document.items() if k not in known})
            for stamp in (options.at, options.started_at):
                if stamp is not None:
                    datetime.fromisoformat(stamp)
        except (ValueError, TypeError, AttributeError):
            raise InputError(
                "the job's send options are unreadable in the journal; nothing was sent",
                hint="start the file again as a new job: smsctl bulk FILE ... --new-job",
            ) from None
        return options

    def fingerprint(self) -> str:
        """What makes another job: the options as typed (`--at +2h`, not the time it became),
        the files by content. Empty for a job without options: its fingerprint is as before."""
        if not self.any:
            return ""
        document = asdict(self)
        for key in ("at", "started_at", "extra"):
            document.pop(key)
        document["attachments"] = [(a.name, a.sha256) for a in self.attachments]
        return json.dumps(document, sort_keys=True, separators=(",", ":"))

    def send_options(
        self, *, now: datetime | None = None, environ: Mapping[str, str] | None = None
    ) -> tuple[SendOptions, list[str]]:
        """The options of every request of a run (the engine adds its reference, and a row's
        own time and label), and what the user should know about them. Reads each attached
        file again and refuses (exit 2) one that changed; reads the password variable again."""
        from sms_cli.providers.base import SendOptions

        notes = []
        send_at = datetime.fromisoformat(self.at) if self.at is not None else None
        if send_at is not None and send_at <= (now or datetime.now(UTC)):
            notes.append(f"the job's --at time ({self.at}) has passed: its pending rows go out now")
            send_at = None
        options = SendOptions(
            flash=self.flash,
            send_at=send_at,
            ttl_minutes=self.ttl,
            label=self.label,
            performance_tracking=self.performance_tracking,
            no_reload=self.no_reload,
            unicode=self.unicode,
            utf8=self.utf8,
            udh=self.udh,
            attachments=self._attachments(os.environ if environ is None else environ),
            test=self.test,
        )
        return options, notes

    def _attachments(self, environ: Mapping[str, str]) -> tuple[Attachment, ...]:
        from sms_cli.providers.base import Attachment

        if not self.attachments:
            return ()
        password = _password(self.attach_password_env, environ)
        found = []
        for attached in self.attachments:
            try:
                contents = Path(attached.path).read_bytes()
            except OSError as exc:
                raise InputError(
                    f"cannot read attachment {attached.path}: {exc.strerror or exc}; "
                    "nothing was sent",
                    hint="the job sends the file it was started with: put it back there",
                ) from None
            if hashlib.sha256(contents).hexdigest() != attached.sha256:
                raise InputError(
                    f"attachment {attached.path} changed since the job started; nothing was sent",
                    hint="restore the file, or start a new job with the new file: "
                    "smsctl bulk FILE ... --new-job",
                )
            found.append(
                Attachment(
                    name=attached.name,
                    contents=contents,
                    validity_days=self.attach_validity,
                    password=password,
                )
            )
        return tuple(found)


def _password(variable: str | None, environ: Mapping[str, str]) -> str | None:
    from sms_cli.core.redaction import register_secret

    if variable is None:
        return None
    password = environ.get(variable)
    if not password:
        raise InputError(
            f"--attach-password-env: ${variable} is not set",
            hint=f"the job protects its files with the password in ${variable}: set it again",
        )
    register_secret(password)
    return password


def from_args(
    args: BulkSendArgs,
    provider: ProviderInfo,
    *,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[JobOptions, list[str]]:
    """A job's options, every one checked and those the provider lacks refused, exactly as
    `send` does (the same messages, exit 2), before any row is read or any job is made."""
    from sms_cli.services.sending import SendArgs, check_options, refuse_attach_extras

    now = now or datetime.now(UTC)
    environ = os.environ if environ is None else environ
    refuse_attach_extras(
        bool(args.attach), args.attach_validity is not None, args.attach_password_env is not None
    )
    password = _password(args.attach_password_env, environ)
    checked, notes = check_options(
        SendArgs(
            to=[],
            text="",
            flash=args.flash,
            at=args.at,
            ttl=args.ttl,
            label=args.label,
            performance_tracking=args.performance_tracking,
            no_reload=args.no_reload,
            unicode=args.unicode,
            utf8=args.utf8,
            udh=args.udh,
            attach=list(args.attach),
            attach_validity=args.attach_validity,
            attach_password=password,
            test=args.test,
        ),
        provider,
        now=now,
    )
    lacking = [
        column
        for column, option, used in (
            ("--at-column", "--at", args.at_column is not None),
            ("--label-column", "--label", args.label_column is not None),
        )
        if used and option not in provider.send_options
    ]
    if lacking:
        raise InputError(
            f"{provider.title} does not support {', '.join(lacking)}",
            hint="remove the option, or use a profile of a provider that has it",
        )
    attached = tuple(
        AttachedFile(
            path=str(path.resolve()),
            name=a.name,
            size=len(a.contents),
            sha256=hashlib.sha256(a.contents).hexdigest(),
        )
        for path, a in zip(args.attach, checked.attachments, strict=True)
    )
    options = JobOptions(
        flash=args.flash,
        at=checked.send_at.isoformat(timespec="seconds") if checked.send_at is not None else None,
        at_given=args.at.strip() if args.at is not None else None,
        ttl=args.ttl,
        label=args.label,
        performance_tracking=args.performance_tracking,
        no_reload=args.no_reload,
        unicode=args.unicode,
        utf8=args.utf8,
        udh=args.udh,
        attachments=attached,
        attach_validity=args.attach_validity,
        attach_password_env=args.attach_password_env,
        test=args.test,
        at_column=args.at_column,
        label_column=args.label_column,
    )
    if options.any:
        options = replace(options, started_at=now.isoformat())
    return options, notes


def row_options(
    base: SendOptions, send_at: str | None, label: str | None, now: datetime
) -> SendOptions:
    """A request's options when its rows have their own time or label (--at-column,
    --label-column). A time that has passed by the time the row goes out is sent now."""
    when = datetime.fromisoformat(send_at) if send_at is not None else base.send_at
    if when is not None and when <= now:
        when = None
    return replace(base, send_at=when, label=label if label is not None else base.label)


def row_rules(options: JobOptions, columns: Mapping[str, int]) -> dict[str, Any]:
    """What the pre-flight check (input.RowRules) needs of a job's options: the per-row
    columns' indexes, the clock their relative times count from, UCS-2, UDH, placeholders."""
    found = {}
    for option, name in (
        ("--at-column", options.at_column),
        ("--label-column", options.label_column),
    ):
        if name is not None and name not in columns:
            raise InputError(
                f"{option}: no column named {name!r}",
                hint=f"the columns are: {', '.join(columns)}",
            )
        found[option] = columns[name] if name is not None else None
    return {
        "at_index": found["--at-column"],
        "label_index": found["--label-column"],
        "started": datetime.fromisoformat(options.started_at) if options.started_at else None,
        "force_ucs2": options.unicode,
        "udh": options.udh,
        "placeholders": tuple(f"[[{a.name}]]" for a in options.attachments),
    }


def for_run(
    journal: Journal, job_id: str, *, now: datetime | None = None
) -> tuple[SendOptions | None, list[str]]:
    """The options every request of this run carries (None: the job has none, the engine's
    plain path), and what the user should know first: times that have passed."""
    job = journal.job(job_id)
    options = JobOptions.from_json(job.options if job is not None else None)
    if not options.any:
        return None, []
    now = now or datetime.now(UTC)
    base, notes = options.send_options(now=now)
    if options.at_column is not None:
        passed = journal.passed_send_times(job_id, now.isoformat(timespec="seconds"))
        if passed:
            notes.append(f"{passed} row(s) had a send time that has passed: they go out now")
    return base, notes


def shown(row: RowCheck, options: JobOptions) -> RowCheck:
    """A --dry-run verdict with the time and label the row would go out with: its own, or the
    job's."""
    if not (options.at or options.label) or not row.sendable:
        return row
    return replace(row, send_at=row.send_at or options.at, label=row.label or options.label)
