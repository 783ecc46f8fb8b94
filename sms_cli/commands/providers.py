"""`smsctl providers`: the built-in providers and every installed plugin."""

from __future__ import annotations

from sms_cli.commands._runtime import JsonFlag, handled_errors


def providers_command(json: JsonFlag = False) -> None:
    """List every installed provider: source, credentials, capabilities and send options.

    Plugins come from the `smsctl.providers` entry-point group. A plugin that cannot be loaded
    is named on stderr (and under "broken" in --json) and skipped; the exit code stays 0.
    """
    with handled_errors():
        from sms_cli.providers import registry
        from sms_cli.render.providers import emit

        listed = [(info, registry.source(name)) for name, info in registry.available().items()]
        emit(listed, registry.broken(), json=json)
