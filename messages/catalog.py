"""Translations loaded with an explicit locale, straight from Babel's compiled catalogs.

Flask-Babel falls back silently to English outside a request (every RQ job is outside one),
and Babel's loader returns empty translations for a missing catalog; so the bot loads each
catalog itself, once, and can tell a translated string from an untranslated one.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from babel.support import Translations

from messages.languages import DEFAULT_LANGUAGE

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog for ``locale``; English (the source language) needs none."""
    if locale == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    mo = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo.exists():
        return gettext.NullTranslations()
    with mo.open("rb") as handle:
        return Translations(handle, domain=DOMAIN)


def translate(message: str, locale: str) -> str | None:
    """The translation of ``message``, or None when the catalog lacks it (or has it fuzzy).

    Compiled catalogs leave fuzzy entries out, so a fuzzy string is simply missing here.
    """
    if locale == DEFAULT_LANGUAGE:
        return message
    catalog = translations(locale)
    translated = catalog.gettext(message)
    if translated == message and message not in _identical_ok(locale):
        return None
    return translated


@cache
def _identical_ok(locale: str) -> frozenset[str]:
    """Messages whose translation is rightly the same text (names, numbers) in ``locale``."""
    catalog = translations(locale)
    own = getattr(catalog, "_catalog", {})
    return frozenset(key for key, value in own.items() if isinstance(key, str) and key == value)
