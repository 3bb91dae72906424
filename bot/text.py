"""Normalising what people type, so keywords match whatever the case, accents and punctuation."""

from __future__ import annotations

import re
import unicodedata

_PUNCTUATION_CATEGORIES = ("P", "S", "C", "Z")
_SPACES = re.compile(r"\s+")


def _is_latin(char: str) -> bool:
    return "LATIN" in unicodedata.name(char, "")


def strip_accents(text: str) -> str:
    """Drop accents from Latin letters only: in Devanagari or Arabic the marks are letters."""
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and _is_latin(out[-1]):
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def normalize(text: str) -> str:
    """Lower-case, accent-free words separated by single spaces; punctuation and emoji gone.

    Apostrophes inside words are kept ("can't"), hyphens become spaces except in "opt-out".
    """
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").casefold()
    text = strip_accents(text)
    cleaned: list[str] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        inner_apostrophe = char == "'" and 0 < index < len(text) - 1 and text[index - 1].isalnum()
        if inner_apostrophe or category.startswith(("L", "N", "M")):
            cleaned.append(char)
        else:
            cleaned.append(" ")
    return _SPACES.sub(" ", "".join(cleaned)).strip()


def words(text: str) -> list[str]:
    """The normalised words of ``text``."""
    normalized = normalize(text)
    return normalized.split(" ") if normalized else []


def contains_phrase(normalized: str, phrase: str) -> bool:
    """True when ``phrase`` occurs in ``normalized`` as whole words."""
    phrase = normalize(phrase)
    return bool(phrase) and f" {phrase} " in f" {normalized} "
