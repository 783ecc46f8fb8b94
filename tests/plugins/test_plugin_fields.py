"""A plugin whose INFO fields have the wrong type, or whose client or emulator path leads to a
class that is not a Provider / Emulator, installed for real (tests/plugins/kit.py). smsctl names
the plugin as broken in one line with a documented exit code, never exit 1 or a traceback."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from sms_cli.providers import registry
from sms_cli.providers.emulation import all_emulators
from sms_cli.providers.info import Capability, Credential, ProviderInfo, SenderRule
from tests.plugins.kit import installed
from tests.plugins.test_plugin_failures import DIST, TOKEN, add_profile, assert_one_line, smsctl

SOUND: Mapping[str, str] = {
    "name": "'fieldsms'",
    "title": "'Field SMS'",
    "default_base_url": "'http://127.0.0.1:9'",
    "max_text_chars": "918",
    "sender": "SenderRule(11, 15, re.compile(r'[A-Za-z0-9]+'))",
    "client": "'sms_cli.providers.connectel.client:Connectel'",
    "capabilities": "frozenset({Capability.SEND, Capability.STATUS, Capability.CALLBACKS})",
}


def info_module(**fields: str) -> str:
    """A plugin module whose INFO has the sound fields above, with `fields` (source) replacing
    or adding to them."""
    arguments = ", ".join(f"{k}={v}" for k, v in {**SOUND, **fields}.items())
    return (
        "import re\n"
        "from sms_cli.providers.info import Capability, Credential, ProviderInfo, SenderRule\n"
        f"INFO = ProviderInfo({arguments})\n"
    )


def use_profile(tmp_path: Path, provider: str) -> None:
    """A profile for a provider that `profile add` would refuse (it is broken): as a profile
    written before the plugin broke."""
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "profiles.toml").write_text(
        f'version = 1\ndefault = "f"\n[profiles.f]\nprovider = "{provider}"\ntoken = "{TOKEN}"\n',
        encoding="utf-8",
    )


# --- a class that is not what the path must name ---------------------------------------------

ABSTRACT_CLIENT = """
from sms_cli.providers.base import Provider
class Client(Provider):
    pass
class SendOnly(Provider):
    def headers(self):
        return {}
    def send(self, request):
        return []
"""

NOT_A_PROVIDER = {
    "a standard library class": ("collections:OrderedDict", "not a subclass of"),
    "a plain class": ("odd_client:Thing", "not a subclass of"),
    "an abstract provider": ("abstract_client:Client", "abstract methods"),
}


@pytest.fixture(params=sorted(NOT_A_PROVIDER))
def not_a_provider(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    path, words = NOT_A_PROVIDER[request.param]
    modules = {
        "field_plugin.py": info_module(
            client=repr(path),
            capabilities="frozenset({Capability.SEND, Capability.STATUS, Capability.BALANCE,"
            " Capability.HOOKS})",
        ),
        "odd_client.py": "class Thing:\n    pass\n",
        "abstract_client.py": ABSTRACT_CLIENT,
    }
    with installed(tmp_path, DIST, "1.0", {"fieldsms": "field_plugin:INFO"}, modules):
        add_profile("f", "fieldsms")
        yield words


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--to", "+4917612345678", "hello"],
        ["status", "12345"],
        ["balance"],
        ["hooks", "list"],
        ["bulk", "-", "--message", "hi", "--yes"],
    ],
    ids=["send", "status", "balance", "hooks", "bulk"],
)
def test_a_client_that_is_not_a_provider_is_a_configuration_error(
    not_a_provider: str, args: list[str]
) -> None:
    result = smsctl(args, input="phone\n+4917612345678\n")
    assert result.exit_code == 4, result.stderr
    assert_one_line(
        result,
        f"provider 'fieldsms' ({DIST} 1.0) is broken",
        "cannot load its client",
        not_a_provider,
    )


def test_listen_refuses_the_callbacks_of_a_client_that_cannot_read_them(tmp_path: Path) -> None:
    from tests.integration.test_receiving import SECRET, start_listener

    modules = {
        # A real Provider, but not a CallbackReader, under an INFO that declares callbacks.
        "field_plugin.py": info_module(client="'abstract_client:SendOnly'"),
        "abstract_client.py": ABSTRACT_CLIENT,
        "other_plugin.py": info_module(name="'othersms'", client="'collections:OrderedDict'"),
    }
    entry_points = {"fieldsms": "field_plugin:INFO", "othersms": "other_plugin:INFO"}
    with installed(tmp_path, DIST, "1.0", entry_points, modules):
        listening = start_listener()
        listener = next(listening)
        try:
            answers = [
                httpx.post(f"{listener.base}/{SECRET}/{name}", data={"a": "b"}, timeout=5)
                for name in ("fieldsms", "othersms")
            ]
        finally:
            listening.close()
    assert [a.status_code for a in answers] == [500, 500]
    assert {a.text for a in answers} == {"internal error\n"}
    reasons = {r.provider: r.reason for r in listener.refusals}
    assert "'fieldsms' declares callbacks" in reasons["fieldsms"]
    assert "not a CallbackReader" in reasons["fieldsms"]
    assert f"provider 'othersms' ({DIST} 1.0) is broken" in reasons["othersms"]
    assert "not a subclass of sms_cli.providers.base.Provider" in reasons["othersms"]


def test_the_sandbox_skips_an_emulator_that_is_not_an_emulator(tmp_path: Path) -> None:
    modules = {"field_plugin.py": info_module(emulator="'collections:OrderedDict'")}
    with installed(tmp_path, DIST, "1.0", {"fieldsms": "field_plugin:INFO"}, modules):
        warnings: list[str] = []
        emulators = all_emulators(warn=warnings.append)
    assert "fieldsms" not in emulators
    assert set(registry.builtin()) <= set(emulators)
    (warning,) = warnings
    assert f"provider 'fieldsms' ({DIST} 1.0) is broken" in warning
    assert "emulator collections:OrderedDict: it is not a subclass of" in warning
    assert "sms_cli.providers.emulation.Emulator" in warning


# --- INFO fields of the wrong type -----------------------------------------------------------

WRONG_FIELDS = {
    "recipients as a str": ({"max_recipients_per_request": "'1'"}, "max_recipients_per_request"),
    "recipients zero": ({"max_recipients_per_request": "0"}, "max_recipients_per_request"),
    "text limit None": ({"max_text_chars": "None"}, "INFO.max_text_chars"),
    "credentials a list": (
        {"credentials": "[Credential('key', 'API key')]"},
        "INFO.credentials must be a tuple of Credential",
    ),
    "credentials of str": ({"credentials": "('key',)"}, "INFO.credentials"),
    "capability a str": (
        {"capabilities": "frozenset({Capability.SEND, 'status'})"},
        "INFO.capabilities must be a frozenset of Capability",
    ),
    "rate a str": ({"max_requests_per_second": "'5'"}, "INFO.max_requests_per_second"),
    "sender a tuple": ({"sender": "(11, 15, None)"}, "INFO.sender must be a SenderRule"),
    "title None": ({"title": "None"}, "INFO.title"),
}


@pytest.fixture(params=sorted(WRONG_FIELDS))
def wrong_field(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    fields, words = WRONG_FIELDS[request.param]
    modules = {"field_plugin.py": info_module(**fields)}
    with installed(tmp_path, DIST, "1.0", {"fieldsms": "field_plugin:INFO"}, modules):
        yield words


def test_a_wrongly_typed_info_field_marks_the_plugin_broken(
    wrong_field: str, tmp_path: Path
) -> None:
    listed = smsctl(["providers", "--json"])
    added = smsctl(["profile", "add", "f", "--provider", "fieldsms", "--token-stdin"], TOKEN)
    use_profile(tmp_path, "fieldsms")
    sent = smsctl(["send", "--to", "+4917612345678", "hello"])
    status = smsctl(["status", "12345"])

    assert listed.exit_code == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert "fieldsms" not in {p["name"] for p in document["providers"]}
    (broken,) = [b for b in document["broken"] if b["name"] == "fieldsms"]
    assert wrong_field in broken["reason"]
    assert added.exit_code == 2, added.stderr
    assert_one_line(added, f"'fieldsms' is installed ({DIST}) but broken", wrong_field)
    for result in (sent, status):
        assert result.exit_code == 4, result.stderr
        assert_one_line(result, f"'fieldsms' is installed ({DIST}) but broken", wrong_field)


# --- the field rules themselves --------------------------------------------------------------

GOOD = ProviderInfo(
    name="goodsms",
    title="Good SMS",
    default_base_url="https://api.good.example",
    max_text_chars=918,
    sender=SenderRule(11, 15, re.compile(r"[A-Za-z0-9]+")),
    client="good_plugin.client:Client",
    emulator="good_plugin.emulator:Emulator",
    credentials=(Credential("account_id", "account id", secret=False), Credential("key", "key")),
    capabilities=frozenset({Capability.SEND, Capability.BALANCE}),
    send_options=frozenset({"flash"}),
    max_requests_per_second=2.5,
    max_recipients_per_request=1,
)

BAD_VALUES: list[tuple[str, Any]] = [
    ("name", "Good SMS"),
    ("name", ""),
    ("title", 3),
    ("title", "  "),
    ("default_base_url", b"https://x"),
    ("max_text_chars", 0),
    ("max_text_chars", True),
    ("max_text_chars", 918.0),
    ("sender", SenderRule("11", 15, re.compile("[a-z]+"))),  # type: ignore[arg-type]
    ("sender", SenderRule(11, -1, re.compile("[a-z]+"))),
    ("sender", SenderRule(11, 15, re.compile(b"[a-z]+"))),  # type: ignore[arg-type]
    ("sender", SenderRule(11, 15, "[a-z]+")),  # type: ignore[arg-type]
    ("client", None),
    ("client", "good_plugin.client.Client"),
    ("client", "good plugin:Client"),
    ("emulator", ""),
    ("emulator", 7),
    ("credentials", Credential("key", "key")),
    ("credentials", (Credential("key", "key"), Credential("key", "other"))),
    ("credentials", (Credential("key", "key", secret="yes"),)),  # type: ignore[arg-type]
    ("credentials", (Credential("key", "key", env=5),)),  # type: ignore[arg-type]
    ("credentials", (Credential("", "key"),)),
    ("capabilities", {Capability.SEND}),
    ("capabilities", frozenset({Capability.STATUS})),  # SEND always
    ("capabilities", frozenset({"send"})),
    ("requires_sender", "no"),
    ("send_options", ["flash"]),
    ("send_options", frozenset({1})),
    ("max_requests_per_second", 0),
    ("max_requests_per_second", float("nan")),
    ("max_requests_per_second", float("inf")),
    ("max_requests_per_second", "5"),
    ("max_recipients_per_request", -3),
    ("callback_setup", None),
    ("docs_url", 1),
]


def test_a_sound_info_has_no_problem() -> None:
    assert registry.info_problem(GOOD) is None
    bare = dataclasses.replace(GOOD, emulator=None, credentials=(), max_requests_per_second=None)
    assert registry.info_problem(bare) is None


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_each_field_is_checked(field: str, value: Any) -> None:
    problem = registry.info_problem(dataclasses.replace(GOOD, **{field: value}))
    assert problem is not None
    assert problem.startswith(f"INFO.{field}")
    assert "\n" not in problem and len(problem) < 200


def test_the_builtin_and_bundled_providers_are_sound() -> None:
    # Built-ins are not checked at run time; this is their check. The bundled Textbelt plugin
    # too, when it is installed (CI installs it).
    for info in registry.available().values():
        assert registry.info_problem(info) is None, info.name
        client = registry.load_client(info)
        assert client.__module__ == info.client.partition(":")[0]
        if info.emulator is not None:
            assert registry.load_emulator(info).__name__ == info.emulator.partition(":")[2]
