"""All languages' words, indexed once for the router: phrase -> intent, and its languages.

Built from ``messages.lexicons`` and normalised like the messages they are compared with.
A phrase in one language only is evidence of that language; a phrase shared by several
(MENU, INFO, numbers) routes but says nothing about the language.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from bot.text import normalize
from messages.lexicon import Lexicon, all_lexicons


@dataclass(frozen=True)
class Vocabulary:
    topics: dict[str, tuple[str, frozenset[str]]]  # phrase -> (topic, languages)
    words: dict[str, dict[str, frozenset[str]]]  # kind -> phrase -> languages
    phrases: dict[str, tuple[tuple[str, str], ...]]  # kind -> ((phrase, language), ...)
    questions: tuple[tuple[str, str, str], ...]  # (phrase, topic, language)
    names: dict[str, str]  # language name or code -> language

    def word(self, kind: str, text: str) -> frozenset[str] | None:
        """The languages in which ``text`` is a word of ``kind`` (stop, menu...), or None."""
        return self.words[kind].get(text)

    def phrase_in(self, kind: str, text: str) -> str | None:
        """The language of the first ``kind`` phrase (emergency...) found inside ``text``."""
        for phrase, language in self.phrases[kind]:
            if occurs(phrase, text):
                return language
        return None


@lru_cache(maxsize=65536)
def unspaced(phrase: str) -> bool:
    """Chinese (and similar scripts) write words without spaces between them."""
    return any("\u3400" <= char <= "\u9fff" or "\u3040" <= char <= "\u30ff" for char in phrase)


def occurs(phrase: str, text: str) -> bool:
    """``phrase`` in ``text`` as whole words; as a substring where words are not spaced."""
    if unspaced(phrase):
        return phrase in text
    return f" {phrase} " in f" {text} "


WORD_KINDS = ("stop", "start", "help", "menu", "more", "greetings", "subscribe", "join", "polite")
PHRASE_KINDS = ("emergency", "personal_advice")


def build(lexicons: tuple[Lexicon, ...]) -> Vocabulary:
    topics: dict[str, tuple[str, set[str]]] = {}
    words: dict[str, dict[str, set[str]]] = {kind: defaultdict(set) for kind in WORD_KINDS}
    phrases: dict[str, list[tuple[str, str]]] = {kind: [] for kind in PHRASE_KINDS}
    questions: list[tuple[str, str, str]] = []
    names: dict[str, str] = {}
    for lex in lexicons:
        for topic, entries in lex.topics.items():
            for entry in (topic, *entries) if lex.language == "en" else entries:
                key = normalize(entry)
                if key and (key not in topics or topics[key][0] == topic):
                    topics.setdefault(key, (topic, set()))[1].add(lex.language)
        for kind in WORD_KINDS:
            for entry in getattr(lex, kind):
                if key := normalize(entry):
                    words[kind][key].add(lex.language)
        for kind in PHRASE_KINDS:
            phrases[kind].extend((normalize(p), lex.language) for p in getattr(lex, kind) if normalize(p))
        for topic, entries in lex.questions.items():
            questions.extend((normalize(p), topic, lex.language) for p in entries if normalize(p))
        for name in lex.names:
            if len(normalize(name)) > 2 or not name.isascii():  # "hi", "es" alone are words
                names.setdefault(normalize(name), lex.language)
        names.setdefault(f"code:{lex.language}", lex.language)
    # Longest phrases first, so "fever after transplant" is found before "fever".
    ordered = {kind: tuple(sorted(set(items), key=lambda p: -len(p[0]))) for kind, items in phrases.items()}
    return Vocabulary(
        topics={k: (topic, frozenset(langs)) for k, (topic, langs) in topics.items()},
        words={kind: {k: frozenset(v) for k, v in table.items()} for kind, table in words.items()},
        phrases=ordered,
        questions=tuple(sorted(set(questions), key=lambda q: -len(q[0]))),
        names=names,
    )


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary of every language present, built once per process."""
    return build(all_lexicons())
