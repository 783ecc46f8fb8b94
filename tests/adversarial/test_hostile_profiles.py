"""Hand-edited, hostile `profiles.toml` files: every value is validated on load, a broken profile
fails (exit 4) only where it is used, and no password, token or escape sequence is ever printed.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from sms_cli.app import app

PASSWORD = "Pw-7f3a9c21e5b8"
TOKEN = "tok-hostile-5d1e0a77c3"
GOOD = 'provider = "seven"\ntoken = "tok-good-123456789"\n'
RAW_ESCAPES = ("\x1b", "\x9b", "\u202e", "\r", "\x07")


def run(args: list[str], input: str | None = None) -> Result:
    return CliRunner().invoke(app, args, input=input, prog_name="smsctl")


def config_file() -> Path:
    path = Path(os.environ["SMSCTL_CONFIG_DIR"]) / "profiles.toml"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_config(text: str) -> Path:
    path = config_file()
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def clean(result: Result, *secrets: str) -> Result:
    """No secret, no traceback, no raw escape sequence on either stream; never exit 1."""
    both = result.stdout + result.stderr
    for secret in secrets:
        assert secret not in both
    for raw in RAW_ESCAPES:
        assert raw not in both
    assert "Traceback" not in both
    assert result.exit_code != 1, both
    return result


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


BROKEN_PROFILES = {
    "userinfo-url": (f'base_url = "https://user:{PASSWORD}@gw.example/api"\n', "'base_url'"),
    "password-only-url": (f'base_url = "http://{PASSWORD}@127.0.0.1:9"\n', "'base_url'"),
    "userinfo-bad-scheme": (f'base_url = "ftp://u:{PASSWORD}@x"\n', "'base_url'"),
    "file-url": ('base_url = "file:///etc/passwd"\n', "'base_url'"),
    "url-with-esc": ('base_url = "http://h\\u001b[2J/"\n', "'base_url'"),
    "url-with-fragment": ('base_url = "http://h/api#x"\n', "'base_url'"),
    "url-bad-port": ('base_url = "http://h:99999/"\n', "'base_url'"),
    "url-bad-ipv6": ('base_url = "http://[::1/"\n', "'base_url'"),
    # Hosts the HTTP client refuses only when a request is under way (IDNA, IP literals).
    "url-empty-label": ('base_url = "http://a..b"\n', "'base_url'"),
    "url-bare-a-label": ('base_url = "http://xn--"\n', "'base_url'"),
    "url-bad-a-label": ('base_url = "http://xn--a.example"\n', "'base_url'"),
    "url-dot-host": ('base_url = "http://.:80"\n', "'base_url'"),
    "url-long-label": (f'base_url = "http://{"a" * 300}.example"\n', "'base_url'"),
    "url-bad-ipv4": ('base_url = "http://999.999.999.999"\n', "'base_url'"),
    "url-ipvfuture": ('base_url = "http://[v1.x]:1"\n', "'base_url'"),
    "bad-region": ('region = "XX"\n', "'region'"),
    "region-with-esc": ('region = "S\\u001bE"\n', "'region'"),
    "sender-with-esc": ('sender = "Ac\\u001b[2Jme"\n', "'sender'"),
    "sender-with-bidi": ('sender = "Acme\\u202e"\n', "'sender'"),
    "nan-price": ("price_per_segment = nan\n", "'price_per_segment'"),
    "inf-price": ("price_per_segment = inf\n", "'price_per_segment'"),
    "negative-price": ("price_per_segment = -0.5\n", "'price_per_segment'"),
    "huge-int-price": ("price_per_segment = 1" + "0" * 400 + "\n", "'price_per_segment'"),
    "token-crlf": (f'token = "{TOKEN}\\r\\nX-Evil: 1"\n', "'token'"),
    "token-non-ascii": (f'token = "{TOKEN}ä"\n', "'token'"),
    "token-esc": (f'token = "{TOKEN}\\u001b"\n', "'token'"),
    "token-empty": ('token = ""\n', "'token'"),
    "key-crlf": (f'signing_key = "{TOKEN}\\n"\n', "'signing_key'"),
    "token-env-bad": ('token_env = "A B"\n', "'token_env'"),
    "token-env-esc": ('token_env = "A\\u001b"\n', "'token_env'"),
}


def broken_file(case: str) -> Path:
    line, _ = BROKEN_PROFILES[case]
    provider = "" if "provider" in line else 'provider = "seven"\n'
    text = f'version = 1\ndefault = "good"\n[profiles.good]\n{GOOD}[profiles.bad]\n{provider}{line}'
    return write_config(text)


@pytest.mark.parametrize("case", list(BROKEN_PROFILES))
def test_a_broken_value_is_named_never_shown_and_never_written(case: str) -> None:
    path = broken_file(case)
    before = path.read_bytes()
    key = BROKEN_PROFILES[case][1]

    shown = clean(run(["profile", "show", "bad"]), PASSWORD, TOKEN)
    assert shown.exit_code == 4
    assert str(path) in shown.stderr and "profile 'bad'" in shown.stderr
    if key:
        assert key in shown.stderr
    if "userinfo" in case or "password" in case:
        assert "contains a user name or password" in shown.stderr

    sent = clean(run(["send", "-p", "bad", "--dry-run", "--to", "+46701234567", "hi"]), PASSWORD)
    assert sent.exit_code == 4

    listed = clean(run(["profile", "list"]), PASSWORD, TOKEN)
    assert listed.exit_code == 0
    assert "good" in listed.stdout and "broken" in listed.stdout
    assert "profile 'bad'" in listed.stderr
    document = strict_json(clean(run(["profile", "list", "--json"]), PASSWORD, TOKEN).stdout)
    assert [p["name"] for p in document["profiles"]] == ["good"]
    assert [b["name"] for b in document["broken"]] == ["bad"]

    logged = clean(run(["log"]), PASSWORD, TOKEN)
    assert logged.exit_code == 0

    # the valid profile next to it still works, and nothing rewrote the file
    good = clean(run(["send", "--dry-run", "--to", "+46701234567", "hi"]), PASSWORD, TOKEN)
    assert good.exit_code == 0, good.stderr
    assert path.read_bytes() == before


def test_changes_wait_until_the_broken_profile_is_fixed_or_removed() -> None:
    path = broken_file("userinfo-url")
    before = path.read_bytes()
    for args in (["profile", "use", "bad"], ["profile", "rename", "good", "g2"]):
        result = clean(run(args), PASSWORD)
        assert result.exit_code == 4
        assert "smsctl profile remove bad" in result.stderr
    added = run(
        ["profile", "add", "new", "--provider", "seven", "--token-stdin"], "tok-new-1234567"
    )
    assert clean(added, PASSWORD).exit_code == 4
    assert path.read_bytes() == before

    removed = clean(run(["profile", "remove", "bad"]), PASSWORD)
    assert removed.exit_code == 0, removed.stderr
    assert PASSWORD not in path.read_text()
    assert clean(run(["profile", "show", "good"])).exit_code == 0


def test_removing_one_broken_profile_keeps_another_as_it_was() -> None:
    path = write_config(
        f'[profiles.a]\nprovider = "seven"\nprice_per_segment = nan\n'
        f'[profiles.b]\nprovider = "seven"\nbase_url = "https://u:{PASSWORD}@h/"\n'
    )
    assert clean(run(["profile", "remove", "a"]), PASSWORD).exit_code == 0
    import tomllib

    assert tomllib.loads(path.read_text())["profiles"] == {
        "b": {"provider": "seven", "base_url": f"https://u:{PASSWORD}@h/"}
    }
    assert clean(run(["profile", "show", "b"]), PASSWORD).exit_code == 4


def test_an_escape_in_a_profile_name_is_shown_escaped_and_can_be_removed() -> None:
    write_config(f'[profiles."ev\\u001b[31mil"]\n{GOOD}[profiles.good]\n{GOOD}')
    listed = clean(run(["profile", "list"]))
    assert "ev\\x1b[31mil" in listed.stdout
    document = strict_json(clean(run(["profile", "list", "--json"])).stdout)
    assert document["broken"][0]["name"] == "'ev\\x1b[31mil'"
    assert clean(run(["profile", "remove", "ev\x1b[31mil"])).exit_code == 0
    assert clean(run(["profile", "list"])).stderr == ""


def test_the_default_profile_broken_fails_only_commands_that_use_it() -> None:
    write_config(f'default = "bad"\n[profiles.bad]\n{GOOD}region = "XX"\n[profiles.good]\n{GOOD}')
    assert clean(run(["send", "--dry-run", "--to", "+46701234567", "hi"])).exit_code == 4
    ok = clean(run(["send", "-p", "good", "--dry-run", "--to", "+46701234567", "hi"]))
    assert ok.exit_code == 0, ok.stderr


@pytest.mark.parametrize(
    "token",
    [f"{TOKEN}\r\nX-Evil: 1", f"{TOKEN}\nsecond", f"{TOKEN}ä", f"{TOKEN}\x1b[2J", f"ä{TOKEN}"],
)
def test_profile_add_refuses_a_token_no_header_can_carry(token: str) -> None:
    result = run(["profile", "add", "live", "--provider", "seven", "--token-stdin"], token)
    clean(result, TOKEN)
    assert result.exit_code == 2
    assert "the token contains" in result.stderr
    assert not config_file().exists()


def test_a_token_from_the_environment_is_held_to_the_same_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config(
        f'[profiles.env]\nprovider = "seven"\ntoken_env = "MY_TOK"\n[profiles.good]\n{GOOD}'
    )
    monkeypatch.setenv("MY_TOK", f"{TOKEN}\r\nX-Evil: 1")
    result = clean(run(["send", "-p", "env", "--to", "+46701234567", "hi"]), TOKEN)
    assert result.exit_code == 4
    assert "$MY_TOK" in result.stderr
    monkeypatch.setenv("SMSCTL_TOKEN", f"{TOKEN}ä")
    result = clean(run(["send", "-p", "good", "--to", "+46701234567", "hi"]), TOKEN)
    assert result.exit_code == 4
    assert "$SMSCTL_TOKEN" in result.stderr


@pytest.mark.parametrize("price", ["nan", "inf", "-inf", "-1"])
def test_profile_add_refuses_a_price_that_is_not_a_finite_amount(price: str) -> None:
    result = run(
        [
            "profile",
            "add",
            "live",
            "--provider",
            "seven",
            "--token-stdin",
            "--json",
            "--price-per-segment",
            price,
        ],
        TOKEN,
    )
    assert clean(result, TOKEN).exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--base-url", f"https://u:{PASSWORD}@gw.example/api"),
        ("--base-url", f"ftp://u:{PASSWORD}@x"),
        ("--base-url", "file:///etc/passwd"),
        ("--base-url", "http://h/\x1b[2J"),
        ("--base-url", "http://a..b"),
        ("--base-url", "http://xn--"),
        ("--base-url", "http://.:80"),
        ("--base-url", f"http://{'b' * 64}.example"),
        ("--base-url", "http://999.999.999.999"),
        ("--base-url", "http://[v1.x]:1"),
        ("--region", "S\x1bE"),
        ("--sender", "Ac\x1b[2Jme"),
    ],
)
def test_profile_add_refuses_what_a_load_refuses(option: str, value: str) -> None:
    result = run(
        ["profile", "add", "x", "--provider", "seven", option, value, "--token-stdin"], TOKEN
    )
    assert clean(result, PASSWORD, TOKEN).exit_code == 2


def test_json_output_never_carries_nan() -> None:
    from sms_cli.errors import SmsError
    from sms_cli.render import output

    with pytest.raises(SmsError, match="NaN or infinity"):
        output.print_json({"cost": math.nan})


# ---------------------------------------------------------------------------------------------
# any TOML value for any key: the profile loads, or it is broken (exit 4); never exit 1

_KEYS = [
    "provider",
    "token",
    "token_env",
    "sender",
    "base_url",
    "region",
    "store_text",
    "price_per_segment",
    "signing_key",
    "token_store",
    "keyring_id",
    "unknown",
]
_scalars = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.sampled_from(
        ["seven", "connectel", "http://127.0.0.1:9", "SE", "Acme", "A_B", "keyring", "0" * 32]
    ),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)


_names = st.one_of(
    st.just("p"), st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=8)
)


def _hostile_file(key: str, value: Any, name: str) -> Path:
    table: dict[str, Any] = {"provider": "seven", "token": "tok-good-123456789", key: value}
    return write_config(tomli_w.dumps({"default": name, "profiles": {name: table}}))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(_KEYS), value=_values, name=_names)
def test_any_toml_value_gives_a_valid_profile_or_a_config_error(
    key: str, value: Any, name: str
) -> None:
    """The store and the renderer, fast enough for many examples; the CLI is sampled below."""
    from sms_cli.errors import ConfigError
    from sms_cli.render.profile import profile_list_json, resolved_profile_json
    from sms_cli.services.profiles import store
    from sms_cli.storage.profiles import resolve

    path = _hostile_file(key, value, name)
    profiles = store(path).load()
    assert set(profiles.profiles) | set(profiles.broken) == {name}
    try:
        resolved = resolve(profiles, require_token=False)
    except ConfigError as exc:
        assert name in profiles.broken
        assert str(path) in exc.message
        assert not any(raw in exc.message for raw in RAW_ESCAPES)
    else:
        document = resolved_profile_json(resolved, is_default=True, reveal=False)
        json.dumps(document, allow_nan=False)
    listed = json.dumps(profile_list_json(profiles), allow_nan=False, ensure_ascii=False)
    assert not any(raw in listed for raw in RAW_ESCAPES)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(_KEYS), value=_values, name=_names)
def test_any_toml_value_exits_0_or_4_never_1(key: str, value: Any, name: str) -> None:
    path = _hostile_file(key, value, name)
    before = path.read_bytes()
    shown = clean(run(["profile", "show", "--json"]))
    assert shown.exit_code in (0, 4), shown.stderr
    if shown.exit_code == 0:
        strict_json(shown.stdout)
    listed = clean(run(["profile", "list"]))
    assert listed.exit_code == 0, listed.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", ["b\x1b[2J\u202e", "it's\\n\x07", "é\U0001f600\t"])
def test_the_remove_hint_for_a_name_with_control_characters_works_in_a_shell(name: str) -> None:
    """The hint used to show the escaped display form (`'b\\x1b[2J'`): pasted, that names
    another profile. It is now ANSI-C quoted, which bash and zsh turn back into the name."""
    import shutil
    import subprocess

    key = json.dumps(name, ensure_ascii=False)
    path = write_config(f'[profiles.{key}]\n{GOOD}region = "XX"\n')
    shown = clean(run(["profile", "show", name]))
    assert shown.exit_code == 4
    command = shown.stderr.split("remove it: ")[1].strip()
    assert command.startswith("smsctl profile remove $'")
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash to paste the hint into")
    word = command.removeprefix("smsctl profile remove ")
    pasted = subprocess.run(
        [bash, "-c", f"printf '%s' {word}"], capture_output=True, check=True
    ).stdout.decode()
    assert pasted == name
    assert clean(run(["profile", "remove", pasted])).exit_code == 0
    assert key not in path.read_text()
