"""All languages' words, indexed once for the router: phrase -> intent, and its languages.

Built from ``messages.lexicons`` and normalised like the messages they are compared with.
A phrase in one language only is evidence of that language; a phrase shared by several
(MENU, INFO, numbers) routes but says nothing about the language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, TypeVar

from bot.text import normalize
from messages.lexicon import Lexicon, all_lexicons

T = TypeVar("T")
MAX_PHRASE_WORDS = 8  # the longest phrase in any lexicon has 7 words


@dataclass(frozen=True)
class Message:
    """A normalised message's word runs, found once: every phrase lookup is then a set
    membership, not a scan of the text per phrase (thousands of phrases per message)."""

    text: str
    runs: frozenset[str]
    has_unspaced: bool  # a phrase written without spaces can only occur if this is true

    @classmethod
    def of(cls, text: str) -> Message:
        words = text.split(" ") if text else []
        runs = {" ".join(words[i:j]) for i in range(len(words))
                for j in range(i + 1, min(len(words), i + MAX_PHRASE_WORDS) + 1)}
        return cls(text, frozenset(runs), unspaced(text))


@lru_cache(maxsize=8)
def message(text: str) -> Message:
    """The message being routed, shared by its lookups (a few entries: texts are not kept)."""
    return Message.of(text)


@dataclass(frozen=True)
class PhraseIndex(Generic[T]):
    """Phrases (each with a payload) in a fixed order, found in a message in that order.

    Same answers as testing ``occurs(phrase, text)`` for every phrase in turn: a spaced phrase
    occurs as whole words exactly when it equals one of the message's word runs."""

    spaced: dict[str, tuple[tuple[int, T], ...]]
    unspaced: tuple[tuple[int, str, T], ...]
    longest: int = field(default=0)

    @classmethod
    def of(cls, entries: Iterable[tuple[str, T]]) -> PhraseIndex[T]:
        spaced: dict[str, list[tuple[int, T]]] = defaultdict(list)
        other: list[tuple[int, str, T]] = []
        longest = 0
        for position, (phrase, payload) in enumerate(entries):
            if unspaced(phrase):
                other.append((position, phrase, payload))
            else:
                spaced[phrase].append((position, payload))
                longest = max(longest, len(phrase.split(" ")))
        if longest > MAX_PHRASE_WORDS:
            raise ValueError(f"a phrase has {longest} words; raise MAX_PHRASE_WORDS")
        return cls({k: tuple(v) for k, v in spaced.items()}, tuple(other), longest)

    def find(self, text: str) -> list[tuple[str, T]]:
        """The phrases occurring in ``text`` (normalised), with payloads, in index order."""
        seen = message(text)
        hits = [(position, phrase, payload) for phrase in seen.runs
                for position, payload in self.spaced.get(phrase, ())]
        if seen.has_unspaced:
            hits += [(position, phrase, payload) for position, phrase, payload in self.unspaced
                     if phrase in text]
        hits.sort(key=lambda hit: hit[0])
        return [(phrase, payload) for _, phrase, payload in hits]


@dataclass(frozen=True)
class Vocabulary:
    topics: dict[str, tuple[str, frozenset[str]]]  # phrase -> (topic, languages)
    words: dict[str, dict[str, frozenset[str]]]  # kind -> phrase -> languages
    phrases: dict[str, tuple[tuple[str, str], ...]]  # kind -> ((phrase, language), ...)
    questions: tuple[tuple[str, str, str], ...]  # (phrase, topic, language)
    names: dict[str, str]  # language name or code -> language
    indexes: dict[str, PhraseIndex[Any]] = field(default_factory=dict, compare=False)

    def index(self, table: str) -> PhraseIndex[Any]:
        """``phrases:<kind>``, ``words:<kind>``, ``questions`` or ``topics``, indexed once."""
        found = self.indexes.get(table)
        if found is None:
            if table == "questions":
                entries: Iterable[tuple[str, Any]] = ((p, (t, lang)) for p, t, lang in self.questions)
            elif table == "topics":
                entries = self.topics.items()
            elif table.startswith("words:"):
                entries = self.words[table.removeprefix("words:")].items()
            else:
                entries = self.phrases[table.removeprefix("phrases:")]
            found = self.indexes[table] = PhraseIndex.of(entries)
        return found

    def word(self, kind: str, text: str) -> frozenset[str] | None:
        """The languages in which ``text`` is a word of ``kind`` (stop, menu...), or None."""
        return self.words[kind].get(text)

    def phrase_in(self, kind: str, text: str) -> str | None:
        """The language of the first ``kind`` phrase (emergency...) found inside ``text``."""
        found = self.index(f"phrases:{kind}").find(text)
        return str(found[0][1]) if found else None


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
