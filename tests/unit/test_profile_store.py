"""The profile store: round trip, permissions, atomic writes, malformed files, resolution."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import pytest

from sms_cli.errors import ConfigError, InputError
from sms_cli.services.profiles import CATALOG
from sms_cli.storage.profiles import (
    REGIONS,
    Profile,
    ProfileFile,
    ProfileStore,
    profiles_path,
    renamed,
    resolve,
    validate_base_url,
    validate_price,
    validate_region,
    validate_secret,
    with_added,
    with_default,
    without,
)


def add(store: ProfileStore, profile: Profile, make_default: bool = False) -> ProfileFile:
    return store.update(
        lambda current: (
            (new := with_added(current, profile, make_default=make_default, force=False)),
            new,
        )
    )


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "config" / "profiles.toml", providers=CATALOG)


def test_config_dir_comes_from_the_environment(tmp_path: Path) -> None:
    assert profiles_path() == tmp_path / "config" / "profiles.toml"


def test_round_trip(store: ProfileStore) -> None:
    live = Profile("live", "seven", token="tok-live-123456", sender="Acme", region="SE")
    test = Profile("test", "connectel", token_env="CT_TOKEN", base_url="http://127.0.0.1:9")
    add(store, live)
    add(store, test)
    loaded = store.load()
    assert loaded.default == "live"  # the first profile becomes the default
    assert loaded.profiles == {"live": live, "test": test}
    assert "version = 1" in store.path.read_text()


def test_file_is_0600_and_directory_0700(store: ProfileStore) -> None:
    add(store, Profile("live", "seven", token="tok-live-123456"))
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    leftovers = [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_failed_write_leaves_the_old_file_intact(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(store, Profile("live", "seven", token="tok-live-123456"))
    before = store.path.read_bytes()

    def disk_fails(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", disk_fails)
    with pytest.raises(OSError):
        add(store, Profile("other", "seven", token="tok-other-123456"))
    assert store.path.read_bytes() == before
    assert [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('version = 1\n[profiles.live]\nprovider = "seven"\ntoken = "abc\n', "line 4"),
        ("version = 1\n[profiles.live\n", "line 2"),
        ("version = 1\ndefault = \n", "line 2"),
    ],
)
def test_malformed_toml_names_file_and_line(store: ProfileStore, content: str, where: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        store.load()
    assert str(store.path) in caught.value.message
    assert where in caught.value.message


def test_malformed_file_is_never_overwritten(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("version = 1\n[profiles.live\n")
    with pytest.raises(ConfigError):
        add(store, Profile("new", "seven", token="tok-new-1234567"))
    assert store.path.read_text() == "version = 1\n[profiles.live\n"


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ("version = 9\n", "newer"),
        ("version = true\n", "'version' must be a positive integer"),
        ("profiles = 1\n", "'profiles' must be a table"),
        ('default = "b"\n[profiles.a]\nprovider = "seven"\n', "'default' does not name"),
    ],
)
def test_a_broken_file_is_a_config_error(store: ProfileStore, content: str, detail: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content)
    with pytest.raises(ConfigError, match=detail):
        store.load()


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ('[profiles.a]\nprovider = "twilio"\n', "unknown provider 'twilio'"),
        ("[profiles.a]\n", "'provider' is missing"),
        ("profiles.a = 3\n", "must be a table"),
        ('[profiles.a]\nprovider = "seven"\nsendr = "x"\n', "unknown key 'sendr'"),
        ('[profiles.a]\nprovider = "seven"\ntoken = 5\n', "'token' must be a string"),
        ('[profiles.a]\nprovider = "seven"\nprice_per_segment = true\n', "must be a number"),
        ('[profiles.a]\nprovider = "seven"\nstore_text = 1\n', "must be true or false"),
    ],
)
def test_a_broken_profile_fails_when_used(store: ProfileStore, content: str, detail: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content)
    loaded = store.load()
    assert loaded.profiles == {}
    with pytest.raises(ConfigError, match=detail) as caught:
        loaded.get("a")
    assert f"{store.path}: profile 'a': " in caught.value.message


def test_whole_number_price_is_a_float(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text('[profiles.a]\nprovider = "seven"\nprice_per_segment = 1\n')
    assert store.load().profiles["a"].price_per_segment == 1.0


def test_missing_file_is_an_empty_store(store: ProfileStore) -> None:
    assert store.load() == ProfileFile()


def test_changes() -> None:
    a = Profile("a", "seven", token="tok-a-123456")
    b = Profile("b", "connectel", token="tok-b-123456")
    profiles = with_added(ProfileFile(), a, make_default=False, force=False)
    profiles = with_added(profiles, b, make_default=False, force=False)
    assert profiles.default == "a"
    with pytest.raises(InputError, match="exists already"):
        with_added(profiles, a, make_default=False, force=False)
    assert with_default(profiles, "b").default == "b"
    moved = renamed(profiles, "a", "c")
    assert (moved.default, sorted(moved.profiles)) == ("c", ["b", "c"])
    assert moved.profiles["c"].name == "c"
    assert without(profiles, "a").default is None
    with pytest.raises(ConfigError, match="no profile named 'zz'"):
        with_default(profiles, "zz")


def test_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    a = Profile("a", "seven", token="tok-a-123456")
    b = Profile("b", "connectel", token="tok-b-123456")
    profiles = ProfileFile(default="a", profiles={"a": a, "b": b})
    assert resolve(profiles).sources["profile"] == "default profile"
    monkeypatch.setenv("SMSCTL_PROFILE", "b")
    resolved = resolve(profiles)
    assert (resolved.profile.name, resolved.sources["profile"]) == ("b", "SMSCTL_PROFILE")
    resolved = resolve(profiles, "a")
    assert (resolved.profile.name, resolved.sources["profile"]) == ("a", "--profile")
    assert (resolved.token, resolved.sources["token"]) == ("tok-a-123456", "profile")
    monkeypatch.setenv("SMSCTL_TOKEN", "tok-from-ci-1234")
    resolved = resolve(profiles, "a")
    assert (resolved.token, resolved.sources["token"]) == ("tok-from-ci-1234", "SMSCTL_TOKEN")


def test_token_from_a_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles = ProfileFile(default="a", profiles={"a": Profile("a", "seven", token_env="MY_TOK")})
    with pytest.raises(ConfigError, match=r"\$MY_TOK, which is not set"):
        resolve(profiles)
    monkeypatch.setenv("MY_TOK", "tok-env-123456")
    assert resolve(profiles).token == "tok-env-123456"


def test_no_profile_at_all_hints_at_profile_add() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(ProfileFile())
    assert "smsctl profile add" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x",
        "gateway.seven.io",
        "http://",
        "https://u:p@h/",
        "https://@h/",
        "file:///etc/passwd",
        "http://h/#frag",
        "http://h/?",
        "http://h:99999/",
        "http://h:port/",
        "http://[::1/",
        "http://h/\x1b[2J",
        "http://h\\@evil/",
        "http://h/ä",
        "http://h /",
    ],
)
def test_bad_base_urls(url: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_base_url(url)
    assert url not in caught.value.message  # never echoed: it may hold a password


def test_a_base_url_with_a_password_is_never_echoed() -> None:
    with pytest.raises(InputError) as caught:
        validate_base_url("ftp://user:Pw-secret-99@x")
    assert "Pw-secret-99" not in caught.value.message + (caught.value.hint or "")
    assert "user name or password" in caught.value.message


def test_base_url_loses_its_trailing_slash() -> None:
    assert validate_base_url("http://127.0.0.1:8025/") == "http://127.0.0.1:8025"


def test_regions() -> None:
    assert validate_region("se") == "SE"
    for bad in ("XX", "S\x1bE", "ＳＥ", "", "SWE"):
        with pytest.raises(InputError):
            validate_region(bad)


def test_the_region_list_is_the_one_phonenumbers_supports() -> None:
    """Loading profiles checks regions without importing phonenumbers; the lists must agree."""
    import phonenumbers

    assert set(phonenumbers.SUPPORTED_REGIONS) == REGIONS, (
        "phonenumbers changed its regions: update REGIONS in sms_cli/storage/profiles.py"
    )


@pytest.mark.parametrize("price", [math.nan, math.inf, -math.inf, -0.01])
def test_prices_are_finite_and_not_negative(price: float) -> None:
    with pytest.raises(InputError):
        validate_price(price)
    assert validate_price(0.0) == 0.0


@pytest.mark.parametrize(
    "secret", ["", "tok en", "tok\r\n", "tok\x1b", "tokä", "tok\x7f", "tok\u202e", "tok\x00"]
)
def test_secrets_are_printable_ascii(secret: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_secret(secret)
    assert secret not in caught.value.message or not secret
