"""A provider that needs a sender: the hint names the command that sets one on the profile in
use (`profile set`, not `profile add`), with the profile's name quoted for the shell."""

from __future__ import annotations

from typer.testing import CliRunner

from sms_cli.app import app


def test_the_needs_a_sender_hint_names_profile_set_with_the_profiles_name() -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["profile", "add", "my.work-2", "--provider", "connectel", "--token-stdin",
         "--region", "SE"],
        input="tok-abcdef-123456\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    sent = runner.invoke(app, ["send", "--dry-run", "--to", "0701234567", "Hi"])
    assert sent.exit_code == 2, sent.stderr
    assert "smsctl profile set my.work-2 --sender NAME" in sent.stderr
    assert "profile add" not in sent.stderr
