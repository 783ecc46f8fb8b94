"""`smsctl status`: delivery reports for messages, and `--wait` until they are final."""

from __future__ import annotations

from typing import Annotated

import typer

from sms_cli.commands._runtime import JsonFlag, complete_profile_name, handled_errors

# Delivery reports may take hours (a phone switched off); longer than a day is a typo.
MAX_WAIT = 86400.0


def status_command(
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="Message ids: smsctl's local id, the provider's id, or a bulk id (providers "
            "that have them).",
            show_default=False,
        ),
    ] = None,
    last: Annotated[
        bool, typer.Option("--last", help="The messages of the most recent send.")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="Poll until every message is final (or --timeout).")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0,
            max=MAX_WAIT,
            help="With --wait: seconds to wait at most (up to a day).",
        ),
    ] = 300.0,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            min=0.05,
            max=3600,
            help="With --wait: first pause between polls (grows 1.5x).",
        ),
    ] = 5.0,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            help="Profile to ask with (default: the one that sent each message).",
            autocompletion=complete_profile_name,
            show_default=False,
        ),
    ] = None,
    job: Annotated[
        str | None,
        typer.Option(
            "--job",
            metavar="JOB",
            help="A bulk job's campaign view (its id, a unique prefix, its name, or 'last').",
            show_default=False,
        ),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Show the delivery state of messages, asking their provider and updating the history.

    Exit 0 when nothing failed (with --wait: every message delivered), 7 when a message failed,
    was rejected or expired, 8 when an outcome is unknown, 9 when --wait timed out first, 2 when
    an id is neither in the history nor known to the provider. With --job JOB: the bulk job's
    rows by delivery state (as `smsctl bulk show JOB`), with the same exit codes.
    """
    with handled_errors():
        if job is not None:
            _job_status(job, ids or [], last, wait, timeout, interval, profile, json)
        from sms_cli.render import output
        from sms_cli.render.status import emit
        from sms_cli.services.tracking import (
            Clients,
            Tracked,
            UnknownIds,
            check,
            exit_code,
            request_timeout,
            select,
        )
        from sms_cli.services.tracking import wait as wait_for
        from sms_cli.storage.messages import History

        def progress(tracked: list[Tracked]) -> None:
            if output.is_terminal(output.stderr()):
                done = sum(t.final for t in tracked)
                output.info(f"waiting: {done} of {len(tracked)} final")

        history = History()
        clients = Clients(profile, timeout=request_timeout(timeout))
        missing: UnknownIds | None = None
        try:
            selection = select(history, ids or [], last)
            if wait:
                tracked = wait_for(
                    selection,
                    history,
                    clients,
                    timeout=timeout,
                    interval=interval,
                    on_poll=progress,
                )
            else:
                tracked = check(selection, history, clients)
        except UnknownIds as exc:
            # Ids nobody knows are a usage error (exit 2), but what the others found is shown
            # first: it was asked for, and the history was updated with it.
            missing, tracked = exc, exc.found
            if not tracked:
                raise
        finally:
            clients.close()
            history.close()
        emit(tracked, json=json, waited=wait)
        if missing is not None:
            raise missing
        raise typer.Exit(int(exit_code(tracked, waited=wait)))


def _job_status(
    job: str,
    ids: list[str],
    last: bool,
    wait: bool,
    timeout: float,
    interval: float,
    profile: str | None,
    json: bool,
) -> None:
    """`status --job JOB`: the campaign view; --wait polls until nothing can change."""
    from sms_cli.errors import InputError
    from sms_cli.render.campaign import emit, waiting
    from sms_cli.services.bulk import campaign
    from sms_cli.services.tracking import request_timeout

    if ids or last:
        raise InputError("give message ids, --last or --job JOB, not several")
    try:
        job.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("--job is not valid UTF-8", hint="check the terminal's encoding") from None

    if wait:
        view = campaign.watch(
            job, profile=profile, timeout=timeout, interval=interval, on_poll=waiting
        )
    else:
        view = campaign.show(job, refresh=True, profile=profile, timeout=request_timeout(timeout))
    emit(view, json=json)
    raise typer.Exit(int(view.exit_code))
