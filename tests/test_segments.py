"""Segment counting: what a message costs, as carriers count it (pure logic)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from messages.segments import GSM7, GSM7_BASIC, GSM7_EXTENSION, UCS2, count_segments, smarten_for_gsm


def reference(text: str) -> tuple[str, int, str | None]:
    """Character by character, as the GSM 03.38 tables read: (encoding, units, forced by)."""
    septets = 0
    for char in text:
        if char in GSM7_BASIC:
            septets += 1
        elif char in GSM7_EXTENSION:
            septets += 2
        else:
            return UCS2, len(text.encode("utf-16-le")) // 2, char
    return GSM7, septets, None


ALPHABET = st.sampled_from(sorted(GSM7_BASIC)[:40] + sorted(GSM7_EXTENSION) + ["ç", "ğ", "’", "😀", "中", "\u00a0"])


@given(st.text(ALPHABET, max_size=400))
def test_the_count_agrees_with_reading_the_tables_character_by_character(text: str) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.forced_by) == reference(text)


def test_the_edges_carriers_bill_by() -> None:
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2  # 153 a segment once split
    assert count_segments("€" * 80).segments == 1  # an extension character is two septets
    assert count_segments("€" * 81).segments == 2
    assert count_segments("ç" + "a" * 69).segments == 1  # one character outside GSM-7: UCS-2
    assert count_segments("ç" + "a" * 70).segments == 2
    assert count_segments("😀").units == 2  # a surrogate pair is two UCS-2 units


def test_typographic_quotes_become_plain_only_when_that_makes_the_text_gsm() -> None:
    assert smarten_for_gsm("Talk to your neurologist \u2014 it\u2019s \u201cgeneral\u201d") == \
        'Talk to your neurologist - it\'s "general"'
    assert smarten_for_gsm("\u2019 and 中") == "\u2019 and 中"
