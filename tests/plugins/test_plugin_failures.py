"""Broken plugins, installed for real (tests/plugins/kit.py): a wrong client or emulator path, a
BaseException at import, a name nobody can use, two distributions claiming one name, a plugin
that prints. Each is one line naming the plugin and a documented exit code, never a traceback."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from sms_cli.app import app
from sms_cli.providers import registry
from sms_cli.providers.emulation import all_emulators
from tests.plugins.kit import installed

TOKEN = "tok-CANARY-0123456789abcdef"
DIST = "smsctl-broken"


def plugin(
    name: str,
    client: str,
    emulator: str | None = None,
    title: str = "Broken SMS",
    extra: str = "",
) -> str:
    """A plugin package whose INFO is sound; what its paths lead to is the test's business."""
    return f"""
import re
from sms_cli.providers.info import Capability, ProviderInfo, SenderRule
INFO = ProviderInfo(
    name={name!r}, title={title!r}, default_base_url="http://127.0.0.1:9",
    max_text_chars=918, sender=SenderRule(11, 15, re.compile(r"[A-Za-z0-9]+")),
    client={client!r}, emulator={emulator!r},
    capabilities=frozenset({{Capability.SEND, Capability.STATUS, Capability.BALANCE,
                             Capability.HOOKS, Capability.CALLBACKS}}),
    {extra}
)
"""


HELPERS = "VALUE = 1\nclass Thing:\n    pass\n"

# What a wrong path can lead to, and the words the one line uses for it.
WRONG_PATHS = {
    "no module": ("no_such_module_anywhere:Client", "ModuleNotFoundError"),
    "no attribute": ("broken_helpers:Nothing", "AttributeError"),
    "not a class": ("broken_helpers:VALUE", "not a class"),
    "raises on import": ("raising_client:Client", "RuntimeError: client import failed"),
}
MODULES = {
    "broken_helpers.py": HELPERS,
    "raising_client.py": "raise RuntimeError('client import failed')\n",
}


def smsctl(args: Sequence[str], input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input, prog_name="smsctl")


def add_profile(name: str, provider: str) -> None:
    result = smsctl(["profile", "add", name, "--provider", provider, "--token-stdin"], TOKEN)
    assert result.exit_code == 0, result.stderr


def assert_one_line(result: Result, *words: str) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert TOKEN not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("smsctl: error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], result.stderr


@pytest.fixture(params=sorted(WRONG_PATHS))
def wrong_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    path, words = WRONG_PATHS[request.param]
    modules = {**MODULES, "brokensms_plugin.py": plugin("brokensms", path)}
    with installed(tmp_path, DIST, "1.0", {"brokensms": "brokensms_plugin:INFO"}, modules):
        add_profile("b", "brokensms")
        yield words


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--to", "+4917612345678", "hello"],
        ["status", "12345"],
        ["balance"],
        ["hooks", "list"],
    ],
    ids=["send", "status", "balance", "hooks"],
)
def test_a_wrong_client_path_is_a_configuration_error(wrong_client: str, args: list[str]) -> None:
    result = smsctl(args)
    assert result.exit_code == 4, result.stderr
    assert_one_line(result, f"provider 'brokensms' ({DIST} 1.0) is broken", wrong_client)


def test_listen_names_the_broken_plugin_of_a_callback(tmp_path: Path) -> None:
    from tests.integration.test_receiving import SECRET, start_listener

    path, words = WRONG_PATHS["no module"]
    modules = {"brokensms_plugin.py": plugin("brokensms", path)}
    with installed(tmp_path, DIST, "1.0", {"brokensms": "brokensms_plugin:INFO"}, modules):
        listening = start_listener()
        listener = next(listening)
        try:
            answer = httpx.post(f"{listener.base}/{SECRET}/brokensms", data={"a": "b"}, timeout=5)
        finally:
            listening.close()
    assert answer.status_code == 500
    assert answer.text == "internal error\n"  # the plugin's problem is not the caller's business
    (refusal,) = listener.refusals
    assert refusal.provider == "brokensms"
    assert f"provider 'brokensms' ({DIST} 1.0) is broken" in refusal.reason
    assert words in refusal.reason


def test_the_sandbox_skips_an_emulator_it_cannot_load(tmp_path: Path) -> None:
    modules = {
        **MODULES,
        "brokensms_plugin.py": plugin("brokensms", "broken_helpers:Thing", "broken_helpers:VALUE"),
    }
    with installed(tmp_path, DIST, "1.0", {"brokensms": "brokensms_plugin:INFO"}, modules):
        warnings: list[str] = []
        emulators = all_emulators(warn=warnings.append)
        expected = {n for n, i in registry.available().items() if i.emulator} - {"brokensms"}
        assert set(emulators) == expected
        assert set(registry.builtin()) <= set(emulators)
        (warning,) = warnings
        assert f"provider 'brokensms' ({DIST} 1.0) is broken" in warning
        assert "emulator broken_helpers:VALUE" in warning

        # `smsctl sandbox` warns and goes on; a busy port then ends it with exit 2, not a
        # traceback, before it would serve forever.
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            result = smsctl(["sandbox", "--port", str(busy.getsockname()[1])])
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "smsctl: warning: provider 'brokensms'" in result.stderr
    assert "cannot listen" in result.stderr


def test_a_base_exception_at_import_marks_the_plugin_broken(tmp_path: Path) -> None:
    modules = {
        "aborting_plugin.py": "class PluginAbort(BaseException):\n    pass\n"
        "raise PluginAbort('custom base exception')\n",
        "exiting_plugin.py": "import sys\nsys.exit(3)\n",
    }
    entry_points = {"aborts": "aborting_plugin:INFO", "exits": "exiting_plugin:INFO"}
    with installed(tmp_path, DIST, "1.0", entry_points, modules):
        result = smsctl(["providers", "--json"])
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    broken = {b["name"]: b["reason"] for b in json.loads(result.stdout)["broken"]}
    assert "PluginAbort: custom base exception" in broken["aborts"]
    assert "SystemExit: 3" in broken["exits"]


def test_ctrl_c_while_a_plugin_imports_is_not_swallowed(tmp_path: Path) -> None:
    modules = {"interrupted_plugin.py": "raise KeyboardInterrupt\n"}
    with installed(tmp_path, DIST, "1.0", {"kb": "interrupted_plugin:INFO"}, modules):
        with pytest.raises(KeyboardInterrupt):
            registry.available()
        result = smsctl(["providers"])
    assert result.exit_code == 130


def test_a_broken_plugin_is_named_as_broken_not_unknown(tmp_path: Path) -> None:
    modules = {"crashing_plugin.py": "raise RuntimeError('boom')\n"}
    with installed(tmp_path, DIST, "1.0", {"crashy": "crashing_plugin:INFO"}, modules):
        added = smsctl(["profile", "add", "c", "--provider", "crashy", "--token-stdin"], TOKEN)
        config = tmp_path / "config"
        config.mkdir(exist_ok=True)
        (config / "profiles.toml").write_text(
            f'version = 1\ndefault = "c"\n[profiles.c]\nprovider = "crashy"\ntoken = "{TOKEN}"\n',
            encoding="utf-8",
        )
        used = smsctl(["balance"])
    assert added.exit_code == 2, added.stderr
    assert_one_line(added, f"'crashy' is installed ({DIST}) but broken", "RuntimeError: boom")
    assert "unknown provider" not in added.stderr
    assert used.exit_code == 4, used.stderr
    assert_one_line(used, f"'crashy' is installed ({DIST}) but broken", "RuntimeError: boom")
    # A name nothing provides is still unknown, and the message lists what is installed.
    unknown = smsctl(["profile", "add", "t", "--provider", "twilio", "--token-stdin"], TOKEN)
    assert unknown.exit_code == 2
    assert_one_line(unknown, "unknown provider 'twilio'", "installed: ")


def test_two_distributions_with_one_name_the_second_is_broken(tmp_path: Path) -> None:
    modules = {"dup_one.py": plugin("dupsms", "broken_helpers:Thing", title="Dup One")}
    other = {"dup_two.py": plugin("dupsms", "broken_helpers:Thing", title="Dup Two")}
    with (
        installed(tmp_path, "smsctl-dup-one", "1.0", {"dupsms": "dup_one:INFO"}, modules),
        installed(tmp_path, "smsctl-dup-two", "2.0", {"dupsms": "dup_two:INFO"}, other),
    ):
        result = smsctl(["providers", "--json"])
        human = smsctl(["providers"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    (used,) = [p for p in document["providers"] if p["name"] == "dupsms"]
    (skipped,) = [b for b in document["broken"] if b["name"] == "dupsms"]
    assert {used["source"], skipped["distribution"]} == {"smsctl-dup-one", "smsctl-dup-two"}
    first = f"{used['source']} {used['version']}"
    assert skipped["reason"] == f"'dupsms' is also provided by {first}; using {used['source']}'s"
    assert f"provider plugin 'dupsms' from {skipped['distribution']} was skipped" in human.stderr


def test_a_capability_lie_is_told_with_the_plugins_title(tmp_path: Path) -> None:
    # A client that has no balance or webhook API, under a plugin INFO that claims both.
    source = plugin("liarsms", "sms_cli.providers.connectel.client:Connectel", title="Liar SMS")
    with installed(
        tmp_path, DIST, "1.0", {"liarsms": "liar_plugin:INFO"}, {"liar_plugin.py": source}
    ):
        add_profile("l", "liarsms")
        balance = smsctl(["balance"])
        hooks = smsctl(["hooks", "list"])
    builtin_title = registry.builtin()["connectel"].title
    for result, kind in ((balance, "AccountReader"), (hooks, "HookManager")):
        assert result.exit_code == 4, result.stderr
        assert_one_line(result, f"Liar SMS's client declares {kind}")
        assert builtin_title not in result.stderr


def test_status_of_a_message_whose_provider_is_uninstalled(tmp_path: Path) -> None:
    from sms_cli.storage.messages import History, MessageRecord, Outcome, text_hash

    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "profiles.toml").write_text(
        f'version = 1\ndefault = "g"\n[profiles.g]\nprovider = "gonesms"\ntoken = "{TOKEN}"\n',
        encoding="utf-8",
    )
    history = History()
    history.record_intent(
        [
            MessageRecord(
                local_id="L1",
                batch_id="B",
                profile="g",
                provider="gonesms",
                recipient="+4917612345678",
                sender=None,
                text="hi",
                text_sha256=text_hash("hi"),
                segments=1,
                encoding="gsm7",
            )
        ]
    )
    history.record_outcomes([Outcome("L1", "sent", provider_id="P1")])
    history.close()
    result = smsctl(["status", "L1"])
    assert result.exit_code == 4, result.stderr
    assert "no longer exists" not in result.stderr
    assert_one_line(
        result, "profile 'g'", "unknown provider 'gonesms'", "none of that name is installed"
    )


def test_a_provider_without_credentials_says_so(tmp_path: Path) -> None:
    source = plugin("opensms", "broken_helpers:Thing", extra="credentials=(),")
    modules = {**MODULES, "open_plugin.py": source}
    with installed(tmp_path, DIST, "1.0", {"opensms": "open_plugin:INFO"}, modules):
        added = smsctl(["profile", "add", "o", "--provider", "opensms"])
        token = smsctl(["profile", "add", "p", "--provider", "opensms", "--token-stdin"], TOKEN)
    assert added.exit_code == 0, added.stderr
    assert token.exit_code == 2
    assert "Broken SMS takes no credentials" in token.stderr


def test_what_a_plugin_prints_at_import_goes_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noisy = "print('plugin noise')\n" + plugin("noisysms", "noisy_client:Client")
    modules = {
        "noisy_plugin.py": noisy,
        "noisy_client.py": "print('client noise')\nclass Client:\n    pass\n",
    }
    with installed(tmp_path, DIST, "1.0", {"noisysms": "noisy_plugin:INFO"}, modules):
        result = smsctl(["providers", "--json"])
        assert result.exit_code == 0, result.stderr
        document = json.loads(result.stdout)  # stdout is the document and nothing else
        assert "noisysms" in {p["name"] for p in document["providers"]}
        assert "plugin noise" in result.stderr
        capsys.readouterr()
        assert registry.load("noisy_client:Client").__name__ == "Client"
        captured = capsys.readouterr()
    assert captured.out == ""
    assert "client noise" in captured.err
