"""Pure readings from the adversarial review of issue 12 (finding 11): codes written as whole
floats, and Connectel callbacks whose documented keys arrive in another case."""

from __future__ import annotations

from typing import Any

import pytest

from sms_cli.core.callbacks import DeliveryEvent, InboundEvent
from sms_cli.providers.base import whole_number
from sms_cli.providers.connectel.client import Connectel, map_status
from sms_cli.providers.seven.client import code_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("1", 1),
        (1.0, 1),
        ("1.0", 1),
        (" 2.00 ", 2),
        ("-1", -1),
        (1.5, None),
        ("1.5", None),
        ("1.", None),
        (True, None),
        ("", None),
        ("١", None),  # a digit, but not an ASCII one
        ("1234567", None),  # too long for a code
        (None, None),
    ],
)
def test_whole_number(value: Any, expected: int | None) -> None:
    assert whole_number(value) == expected


@pytest.mark.parametrize(("word", "code"), [(None, 1.0), (None, "1.0"), ("1.0", None), (1.0, 1.0)])
def test_connectel_reads_whole_float_codes(word: Any, code: Any) -> None:
    assert map_status(word, code) == ("delivered", "1")


def test_seven_reads_whole_float_codes() -> None:
    assert (code_of(900.0), code_of("900.0"), code_of({"code": 202.0})) == ("900", "900", "202")
    assert (code_of(1.5), code_of(-1), code_of(True)) == (None, None, None)


def test_connectel_callback_keys_in_any_case() -> None:
    event = Connectel.parse_callback(
        {"Action": "DLR", "RequestId": "RQ4", "StatusStr": "DELIVRD", "StatusInt": 1,
         "StatusDesc": "ok", "Recipient": "4670000001"}
    )  # fmt: skip
    assert isinstance(event, DeliveryEvent)
    assert (event.message_id, event.status, event.recipient, event.reason) == (
        "RQ4",
        "delivered",
        "+4670000001",
        "ok",
    )
    inbound = Connectel.parse_callback({"FROM": "35890010000", "Message": "hi", "To": "3581"})
    assert isinstance(inbound, InboundEvent)
    assert (inbound.sender, inbound.text) == ("+35890010000", "hi")


def test_connectel_callback_with_a_whole_float_code() -> None:
    event = Connectel.parse_callback(
        {"action": "dlr", "requestid": "RQ5", "statusInt": 1.0, "statusStr": "1.0"}
    )
    assert isinstance(event, DeliveryEvent)
    assert event.status == "delivered"


def test_seven_reads_only_ascii_digits_as_ids_and_numbers() -> None:
    from sms_cli.providers.seven.client import _echoed_number, parse_text_answer

    # str.isdigit() takes other scripts' digits and superscripts: no id or number is made of them.
    assert parse_text_answer("100\n123456789") == parse_text_answer("100 123456789")
    answer = parse_text_answer("100\n١٢٣٤٥")
    assert answer is None or answer.id is None
    assert _echoed_number({"recipient": "0049 176 12345678"}) == "4917612345678"
    assert _echoed_number({"recipient": "49176١٢٣٤٥٦٧٨"}) is None
    assert _echoed_number({"recipient": "²"}) is None
