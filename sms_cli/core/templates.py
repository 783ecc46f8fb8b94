"""Per-row message templates for bulk sending: `Hi {name}, your code is {code}.` Pure.

Only plain `{column}` placeholders: no attribute access, indexing, conversions or format specs,
so a template can neither surprise the user nor reach into Python objects. `{{` and `}}` are
literal braces. A placeholder whose column is missing from the file is an error for the whole
job; one whose value is empty in a row is an error for that row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter

_NAME = re.compile(r"[^{}!:\[\].]+")


class TemplateError(ValueError):
    """The template itself is unusable."""


class MissingValue(ValueError):
    """A row has no value for a placeholder."""

    def __init__(self, field: str) -> None:
        super().__init__(f"empty value for {{{field}}}")
        self.field = field


@dataclass(frozen=True)
class Template:
    """A parsed template: literal text and field names, in order."""

    source: str
    parts: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, source: str) -> Template:
        parts: list[tuple[str, str | None]] = []
        try:
            parsed = list(Formatter().parse(source))
        except ValueError as exc:
            raise TemplateError(f"the template is not valid: {exc}") from None
        for literal, field, spec, conversion in parsed:
            if field is not None:
                name = field.strip()
                if spec or conversion or not name or not _NAME.fullmatch(name):
                    shown = "{" + field + (f"!{conversion}" if conversion else "")
                    shown += (f":{spec}" if spec else "") + "}"
                    raise TemplateError(
                        f"{shown} is not a plain {{column}} placeholder; "
                        "write {{ and }} for literal braces"
                    )
                parts.append((literal, name))
            elif literal:
                parts.append((literal, None))
        return cls(source, tuple(parts))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for _, name in self.parts if name is not None))

    def missing_columns(self, columns: Mapping[str, int] | list[str]) -> list[str]:
        """Placeholders that name no column of the file."""
        return [name for name in self.fields if name not in columns]

    def render(self, row: Mapping[str, str]) -> str:
        pieces: list[str] = []
        for literal, name in self.parts:
            pieces.append(literal)
            if name is not None:
                value = row.get(name, "")
                if not value.strip():
                    raise MissingValue(name)
                pieces.append(value)
        return "".join(pieces)
