"""What people type, per language: keywords, carrier words, greetings, emergencies, names.

Each language has one module in ``messages/lexicons/`` holding a ``Lexicon``. Entries are
written as people would type them; the router compares them after ``bot.text.normalize``
(case, accents and punctuation removed), so "RIESGOS", "riesgos" and "Riesgos!" are one.
Words typed in several languages (MENU, INFO) route everywhere but say nothing about
the language; a word unique to one language is evidence of that language.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache

from messages.languages import LANGUAGES


@dataclass(frozen=True)
class Lexicon:
    """The words of one language that the router understands."""

    language: str
    # Names that choose this language: "espanol", "spanish", "castellano"...
    names: tuple[str, ...]
    # Topic id -> keywords and short synonyms ("side effects", "dangers" for risks).
    topics: dict[str, tuple[str, ...]]
    stop: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    help: tuple[str, ...] = ()
    menu: tuple[str, ...] = ()
    more: tuple[str, ...] = ()
    greetings: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()
    # The word that confirms a subscription (never YES, which Twilio reserves for opt-in).
    join: tuple[str, ...] = ()
    # Words that may follow STOP without changing its meaning ("stop please", "stop, thanks").
    polite: tuple[str, ...] = ()
    # Phrases meaning someone may be in danger now (matched as whole words, anywhere).
    emergency: tuple[str, ...] = ()
    # Phrases asking for personal medical advice ("should I", "am I eligible").
    personal_advice: tuple[str, ...] = ()
    # Free-question phrases -> topic ("is it safe" -> risks), matched as whole words.
    questions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Glossary term id -> inflected forms of the approved term that count as using it.
    term_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)


@cache
def lexicon(language: str) -> Lexicon:
    """The lexicon of ``language`` (one of the ten)."""
    if language not in LANGUAGES:
        raise KeyError(language)
    module = importlib.import_module(f"messages.lexicons.{language}")
    found: Lexicon = module.LEXICON
    if found.language != language:
        raise ValueError(f"messages/lexicons/{language}.py declares {found.language!r}")
    return found


def all_lexicons() -> tuple[Lexicon, ...]:
    """Every language's lexicon that exists, English first."""
    found = []
    for code in LANGUAGES:
        try:
            found.append(lexicon(code))
        except ModuleNotFoundError:
            continue
    return tuple(found)
