"""`smsctl profile set`: one setting changed, the rest kept; `add --force` names what it replaces;
a national number without a region says which `profile set` command fixes it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import Result

from sms_cli.providers import registry
from tests.cli.conftest import Invoke
from tests.providers.selection import any_provider

CANARY = "CANARY-tok-5e6f7a8b9c0d1e2f"
NEW_CANARY = "CANARY-new-0a1b2c3d4e5f6071"
ANY = any_provider()
SANDBOX = "http://127.0.0.1:8025/sandbox/api"


def no_leak(result: Result) -> Result:
    for secret in (CANARY, NEW_CANARY):
        assert secret not in result.stdout
        assert secret not in result.stderr
    assert "Traceback" not in result.stderr
    return result


def table(tmp_path: Path, name: str = "work") -> dict[str, object]:
    document = tomllib.loads((tmp_path / "config" / "profiles.toml").read_text())
    profile: dict[str, object] = document["profiles"][name]
    return profile


def add_work(smsctl: Invoke, *extra: str) -> None:
    result = smsctl(
        [
            "profile",
            "add",
            "work",
            "--provider",
            ANY,
            "--token-stdin",
            "--sender",
            "Acme",
            "--base-url",
            SANDBOX,
            *extra,
        ],
        input=CANARY + "\n",
    )
    assert result.exit_code == 0, result.stderr


def test_set_changes_only_what_is_given(smsctl: Invoke, tmp_path: Path) -> None:
    add_work(smsctl, "--price-per-segment", "0.07")
    before = table(tmp_path)
    result = no_leak(smsctl(["profile", "set", "work", "--region", "se"]))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "profile 'work': region (not set) -> SE\n"
    assert table(tmp_path) == {**before, "region": "SE"}


def test_set_several_and_unset(smsctl: Invoke, tmp_path: Path) -> None:
    add_work(smsctl, "--region", "DE")
    default = registry.get(ANY).default_base_url
    args = ["profile", "set", "work", "--unset", "base-url", "--unset", "region"]
    result = no_leak(smsctl([*args, "--currency", "sek", "--no-store-text", "--json"]))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "profile": "work",
        "changed": {
            "base_url": {"old": SANDBOX, "new": None},
            "region": {"old": "DE", "new": None},
            "currency": {"old": None, "new": "SEK"},
            "store_text": {"old": True, "new": False},
        },
    }
    saved = table(tmp_path)
    assert "base_url" not in saved and "region" not in saved
    assert (saved["sender"], saved["currency"], saved["token"]) == ("Acme", "SEK", CANARY)
    human = no_leak(smsctl(["profile", "set", "work", "--base-url", SANDBOX + "/"]))
    assert human.stdout == f"profile 'work': base URL (provider default {default}) -> {SANDBOX}\n"


def test_set_replaces_only_the_token(smsctl: Invoke, tmp_path: Path) -> None:
    add_work(smsctl, "--region", "SE")
    before = table(tmp_path)
    result = no_leak(smsctl(["profile", "set", "work", "--token-stdin"], input=NEW_CANARY))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "profile 'work': token replaced\n"
    assert table(tmp_path) == {**before, "token": NEW_CANARY}
    result = no_leak(smsctl(["profile", "set", "work", "--token-env", "WORK_TOKEN", "--json"]))
    assert json.loads(result.stdout)["changed"] == {
        "token": {"change": "replaced", "old": "file", "new": "$WORK_TOKEN"}
    }
    saved = table(tmp_path)
    assert saved["token_env"] == "WORK_TOKEN" and "token" not in saved


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to change in profile 'work'"),
        (["--unset", "token"], "--unset 'token': not a setting that can be cleared"),
        (["--unset", "sender", "--sender", "X"], "--unset sender and a new value"),
        (["--region", "XX"], "'XX' is not a country code phone numbers can use"),
        (["--base-url", "ftp://example.com"], "the base URL is not an http or https URL"),
        (["--currency", "EURO"], "'EURO' is not a currency code"),
        (["--price-per-segment=-1"], "price per segment must be a finite number, 0 or more"),
        (["--token-store", "cloud"], "'cloud' is not a place for tokens"),
        (["--token-stdin"], "no token given"),
    ],
)
def test_set_refuses_bad_input_with_exit_2_and_changes_nothing(
    smsctl: Invoke, tmp_path: Path, args: list[str], message: str
) -> None:
    add_work(smsctl)
    before = (tmp_path / "config" / "profiles.toml").read_bytes()
    result = no_leak(smsctl(["profile", "set", "work", *args], input=""))
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert (tmp_path / "config" / "profiles.toml").read_bytes() == before


def test_set_with_nothing_says_what_can_be_set(smsctl: Invoke) -> None:
    add_work(smsctl)
    result = smsctl(["profile", "set", "work"])
    assert "--region" in result.stderr and "--token-stdin" in result.stderr


def test_set_validates_as_add_does(smsctl: Invoke) -> None:
    """The same check, so the same words: set reuses add's validation."""
    add_work(smsctl)
    by_set = smsctl(["profile", "set", "work", "--base-url", "http://user:pw@host.example"])
    by_add = smsctl(
        [
            "profile",
            "add",
            "x",
            "--provider",
            ANY,
            "--token-stdin",
            "--base-url",
            "http://user:pw@host.example",
        ],
        input=CANARY,
    )
    assert by_set.exit_code == by_add.exit_code == 2
    assert by_set.stderr == by_add.stderr


def test_set_unknown_profile_is_exit_4(smsctl: Invoke) -> None:
    add_work(smsctl)
    result = smsctl(["profile", "set", "ghost", "--region", "SE"])
    assert result.exit_code == 4
    assert "no profile named 'ghost'" in result.stderr


def test_set_never_fixes_a_broken_file_silently(smsctl: Invoke, tmp_path: Path) -> None:
    add_work(smsctl)
    path = tmp_path / "config" / "profiles.toml"
    text = path.read_text() + f'\n[profiles.odd]\nprovider = "{ANY}"\nregion = "ZZ"\n'
    path.write_text(text)
    for name in ("work", "odd"):
        result = no_leak(smsctl(["profile", "set", name, "--region", "SE"]))
        assert result.exit_code == 4, result.stderr
        assert "'region'" in result.stderr
    assert path.read_text() == text


def test_add_force_names_what_it_replaces(smsctl: Invoke) -> None:
    add_work(smsctl, "--region", "SE")
    default = registry.get(ANY).default_base_url
    result = no_leak(
        smsctl(
            ["profile", "add", "work", "--provider", ANY, "--token-stdin", "--force"],
            input=NEW_CANARY,
        )
    )
    assert result.exit_code == 0, result.stderr
    assert f"base URL {SANDBOX} -> (provider default {default})" in result.stderr
    assert "sender Acme -> (not set)" in result.stderr
    assert "region SE -> (not set)" in result.stderr
    assert "smsctl profile set work" in result.stderr
    assert result.stderr.startswith("smsctl: warning: replacing profile 'work' changes:")


def test_send_to_a_national_number_names_the_profile_set_command(
    smsctl: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    result = no_leak(smsctl(["send", "--dry-run", "--to", "0701234567", "hi"]))
    assert result.exit_code == 2
    assert "hint: give the profile a region: smsctl profile set work --region XX" in result.stderr
    assert "XX: the two-letter country code" in result.stderr
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    result = no_leak(smsctl(["send", "--dry-run", "--to", "0701234567", "hi"]))
    assert "smsctl profile set work --region SE (if these are SE numbers" in result.stderr
    assert "(+46...)" in result.stderr
    # an international number that is wrong needs no region: no such hint
    result = no_leak(smsctl(["send", "--dry-run", "--to", "+4670", "hi"]))
    assert result.exit_code == 2 and "profile set" not in result.stderr


def test_bulk_preflight_names_the_profile_set_command(
    smsctl: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_work(smsctl)
    monkeypatch.setenv("LC_ALL", "C")
    csv = tmp_path / "people.csv"
    csv.write_text("to,name\n0701234567,a\n+46701234568,b\n")
    result = no_leak(smsctl(["bulk", "start", str(csv), "-m", "hi {name}", "--dry-run"]))
    assert "1 row (line 2) has a number without a country code" in result.stderr
    assert "hint: give the profile a region: smsctl profile set work --region XX" in result.stderr


def test_a_profile_without_a_token_names_the_profile_set_command(
    smsctl: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "config" / "profiles.toml"
    path.parent.mkdir(parents=True)
    path.write_text(f'version = 1\ndefault = "work"\n[profiles.work]\nprovider = "{ANY}"\n')
    result = no_leak(smsctl(["send", "--to", "+46701234567", "hi"]))
    assert result.exit_code == 4
    assert "store one: smsctl profile set work --token-stdin" in result.stderr
    fixed = no_leak(smsctl(["profile", "set", "work", "--token-stdin"], input=CANARY))
    assert fixed.stdout == "profile 'work': token added\n"
