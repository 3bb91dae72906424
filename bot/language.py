"""Choosing the language of a reply: explicit choice > stored > detected > phone country > English.

Pure functions, except that the text detector is handed in (it loads a model once per
process); ``phonenumbers`` and Babel's territory data answer from packaged tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from babel.languages import get_official_languages

from messages.languages import DEFAULT_LANGUAGE, LANGUAGES

Detector = Callable[[str], "str | None"]
"""Text -> one of the ten language codes, or None when unsure or the text is too short."""

EXPLICIT = "explicit"
DETECTED = "detected"
COUNTRY = "country"
DEFAULT = "default"
# Sources that count as the person's stored language (a country guess does not).
STORED_SOURCES = frozenset({EXPLICIT, DETECTED})

MIN_DETECTION_LETTERS = 12


def letter_weight(text: str) -> int:
    """Letters, counting a Chinese character as three: each carries about a word's worth,
    so a whole short Chinese sentence is as much evidence as a dozen Latin letters."""
    return sum(3 if "\u3400" <= char <= "\u9fff" else 1 for char in text if char.isalpha())


@lru_cache(maxsize=4096)
def country_language(number: str) -> str | None:
    """The first of the ten languages spoken officially (or de facto) in the number's country."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return None
    if not region:
        return None
    for language in get_official_languages(region, de_facto=True):
        base = language.split("_")[0]
        if base in LANGUAGES:
            return base
    return None


@dataclass(frozen=True)
class Choice:
    language: str
    source: str


def negotiate(
    explicit: str | None,
    stored: str | None,
    stored_source: str | None,
    detected: str | None,
    number: str,
) -> Choice:
    """Apply the order of precedence to what is known about this message and person."""
    if explicit:
        return Choice(explicit, EXPLICIT)
    if stored and stored_source in STORED_SOURCES:
        return Choice(stored, stored_source)  # type: ignore[arg-type]
    if detected:
        return Choice(detected, DETECTED)
    from_country = country_language(number)
    if from_country:
        return Choice(from_country, COUNTRY)
    return Choice(DEFAULT_LANGUAGE, DEFAULT)


class LinguaDetector:
    """lingua's offline detector restricted to the ten languages (its models ship in the wheel).

    Built once per process; answers None for short or ambiguous text instead of guessing.
    """

    def __init__(self) -> None:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
        self._detector = (
            LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
            .with_minimum_relative_distance(0.1)
            .with_low_accuracy_mode()
            .with_preloaded_language_models()
            .build()
        )

    def __call__(self, text: str) -> str | None:
        if letter_weight(text) < MIN_DETECTION_LETTERS:
            return None
        found = self._detector.detect_language_of(text)
        if found is None:
            return None
        return str(found.iso_code_639_1.name).lower()


def no_detector(text: str) -> str | None:
    """Used where detection is unavailable: every message is 'unsure'."""
    return None
