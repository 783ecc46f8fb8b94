from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_cli.core.templates import MissingValue, Template, TemplateError


def test_render() -> None:
    template = Template.parse("Hi {name}, your code is {code}. {{literal}}")
    assert template.fields == ("name", "code")
    assert (
        template.render({"name": "Anna", "code": "4821"}) == "Hi Anna, your code is 4821. {literal}"
    )


def test_repeated_field_is_listed_once() -> None:
    assert Template.parse("{a} and {a} and {b}").fields == ("a", "b")


def test_column_names_with_spaces() -> None:
    assert Template.parse("Hej {first name}!").render({"first name": "Åsa"}) == "Hej Åsa!"


def test_missing_columns() -> None:
    assert Template.parse("{name} {code}").missing_columns(["name", "phone"]) == ["code"]


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_value_is_a_row_error(value: str) -> None:
    with pytest.raises(MissingValue) as caught:
        Template.parse("Hi {name}").render({"name": value})
    assert caught.value.field == "name"
    assert "{name}" in str(caught.value)


@pytest.mark.parametrize(
    "source", ["{name!r}", "{name:>10}", "{}", "{a.b}", "{a[0]}", "{unclosed", "}"]
)
def test_only_plain_placeholders(source: str) -> None:
    with pytest.raises(TemplateError):
        Template.parse(source)


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=50))
def test_text_without_braces_renders_unchanged(text: str) -> None:
    assert Template.parse(text).render({}) == text
