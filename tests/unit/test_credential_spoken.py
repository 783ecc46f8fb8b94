"""Credential.spoken: the one rule for what messages and prompts call a credential."""

from __future__ import annotations

import pytest

from sms_cli.errors import ConfigError
from sms_cli.providers.base import check_credential
from sms_cli.providers.info import Credential


def test_token_is_called_token_and_others_by_their_label() -> None:
    assert Credential("token", "API token").spoken == "token"
    assert Credential("api_key", "API key").spoken == "API key"
    assert Credential("account_id", "account id", secret=False).spoken == "account id"


def test_the_header_check_speaks_of_the_credential_the_same_way() -> None:
    with pytest.raises(ConfigError, match=r"^the API key contains"):
        check_credential(Credential("api_key", "API key", env="X_KEY"), "a\nb")
    with pytest.raises(ConfigError, match=r"^the token contains"):
        check_credential(Credential("token", "API token"), "a\nb")
