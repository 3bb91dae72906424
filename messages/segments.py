"""How carriers count SMS segments: GSM-7 when every character allows it, UCS-2 otherwise.

A GSM-7 message holds 160 septets in one segment or 153 per segment once split (extension
characters such as ``€`` or ``{`` take two septets). One character outside GSM-7 turns the
whole message into UCS-2: 70 UTF-16 units in one segment, 67 per segment once split.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION
GSM7 = "GSM-7"
UCS2 = "UCS-2"

# Typographic characters that force UCS-2 for no good reason, and their GSM-7 stand-ins.
TYPOGRAPHIC_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
}
_TYPOGRAPHIC_TABLE = str.maketrans(TYPOGRAPHIC_REPLACEMENTS)


@dataclass(frozen=True)
class SegmentCount:
    """What a carrier will bill for one message, and why."""

    encoding: str
    units: int
    segments: int
    forced_by: str | None = None


def count_segments(text: str) -> SegmentCount:
    """Count segments as carriers do; ``forced_by`` names the first character forcing UCS-2.
    (Set operations, not a loop over characters: every message sent is counted.)"""
    chars = set(text)
    if chars <= GSM7_ALL:
        septets = len(text) + sum(text.count(char) for char in chars & GSM7_EXTENSION)
        return SegmentCount(GSM7, septets, _split(septets, 160, 153))
    forced_by = next(char for char in text if char not in GSM7_ALL)
    units = len(text.encode("utf-16-le")) // 2
    return SegmentCount(UCS2, units, _split(units, 70, 67), forced_by=forced_by)


def _split(units: int, single: int, multi: int) -> int:
    if units == 0:
        return 1
    if units <= single:
        return 1
    return -(-units // multi)


def capacity(encoding: str, segments: int) -> int:
    """How many units fit in ``segments`` segments of ``encoding``."""
    single, multi = (160, 153) if encoding == GSM7 else (70, 67)
    return single if segments == 1 else multi * segments


def fits(text: str, max_segments: int) -> bool:
    """True when ``text`` costs at most ``max_segments`` segments."""
    return count_segments(text).segments <= max_segments


def smarten_for_gsm(text: str) -> str:
    """Replace typographic characters with GSM-7 ones, but only when that makes the whole
    text GSM-7: a text in UCS-2 anyway keeps its proper quotes and dashes."""
    plain = text.translate(_TYPOGRAPHIC_TABLE)
    if count_segments(plain).encoding == GSM7:
        return plain
    return text
