"""What `smsctl split` shows: the segmentation, smart encoding and warnings for one text. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sms_cli.core.segments import (
    MAX_PARTS,
    Segmentation,
    national_alphabets,
    split,
    split_binary,
)
from sms_cli.core.smart import SmartResult, smart_encode
from sms_cli.providers import registry


@dataclass(frozen=True, slots=True)
class PreviewWarning:
    """Something the user should know before sending; `code` is stable for scripts."""

    code: str
    message: str


@dataclass(frozen=True)
class Preview:
    """A segmentation, plus what smart encoding did and the warnings that apply."""

    segmentation: Segmentation
    smart: SmartResult | None
    segments_without_smart: int
    warnings: tuple[PreviewWarning, ...]
    unicode_forced: bool

    @property
    def segments_saved(self) -> int:
        return self.segments_without_smart - self.segmentation.segment_count


def build_preview(
    text: str,
    *,
    force_ucs2: bool = False,
    smart: bool = False,
    ref16: bool = False,
    national: Sequence[str] = (),
    udh: str | None = None,
) -> Preview:
    """Segment a text the way it would be sent, explaining every choice made.

    With `udh` the text is hex data sent as an 8-bit binary SMS: octets, not characters.
    """
    if udh is not None:
        binary = split_binary(text, udh)
        return Preview(binary, None, binary.segment_count, tuple(_warnings(binary)), False)
    smart_result = None
    segmentation = split(text, force_ucs2=force_ucs2, ref16=ref16, national=national)
    before = segmentation.segment_count
    if smart and not force_ucs2:
        alphabets = national_alphabets(national)
        smart_result = smart_encode(text, lambda t: any(a.encodes(t) for a in alphabets))
        if smart_result.applied:
            segmentation = split(smart_result.text, ref16=ref16, national=national)
    return Preview(
        segmentation=segmentation,
        smart=smart_result,
        segments_without_smart=before,
        warnings=tuple(_warnings(segmentation)),
        unicode_forced=force_ucs2,
    )


def _warnings(seg: Segmentation) -> list[PreviewWarning]:
    found: list[PreviewWarning] = []
    if not seg.text:
        found.append(
            PreviewWarning("empty_text", "the text is empty; many gateways refuse an empty SMS")
        )
    if "\x1b" in seg.text:
        found.append(
            PreviewWarning(
                "raw_escape",
                "the text contains a raw ESC (U+001B): it is not a printable character, forces "
                "UCS-2, and most handsets show it as a space",
            )
        )
    for provider in registry.builtin().values():
        if seg.characters > provider.max_text_chars:
            found.append(
                PreviewWarning(
                    f"over_{provider.name}_limit",
                    f"{seg.characters} characters is over {provider.title}'s limit of "
                    f"{provider.max_text_chars}: it would refuse this text",
                )
            )
    if seg.segment_count > MAX_PARTS:
        found.append(
            PreviewWarning(
                "over_max_parts",
                f"{seg.segment_count} parts is over the {MAX_PARTS} a concatenated SMS can have",
            )
        )
    return found


__all__ = [
    "Preview",
    "PreviewWarning",
    "build_preview",
]
