"""The shape of the bot's content: topics made of sentences, each carrying its evidence.

Every sentence the bot says about the therapy must be traceable to a passage of a source
document (``messages/seeds/``) or to a reference id from the content notes; the types here
make that evidence impossible to leave out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Evidence:
    """Support for one sentence: an exact passage of a seed file, or a reference id.

    ``seed`` is the three-digit prefix of a file in ``messages/seeds/`` ("000" to "004") and
    ``passage`` a verbatim quote from it (white space and quote style may differ). ``ref`` is
    an id from the reference table of ``content-notes.md`` (for example "sormani2017"), used
    for corrections and for figures the documents lack.
    """

    seed: str | None = None
    passage: str | None = None
    ref: str | None = None

    def __post_init__(self) -> None:
        if self.ref is None and (self.seed is None or self.passage is None):
            raise ValueError("evidence needs a seed and a passage, or a reference id")


def seed(prefix: str, passage: str) -> Evidence:
    """Evidence from a source document: its file prefix and an exact passage."""
    return Evidence(seed=prefix, passage=passage)


def ref(reference_id: str) -> Evidence:
    """Evidence from the reference table of the content notes."""
    return Evidence(ref=reference_id)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a topic: English source text (a gettext msgid) and its evidence."""

    text: str
    evidence: tuple[Evidence, ...]

    def __post_init__(self) -> None:
        if not self.evidence:
            raise ValueError(f"sentence without evidence: {self.text[:40]!r}")


@dataclass(frozen=True)
class Topic:
    """A topic the bot can explain, reached by its id as a keyword (RISKS, MSC...).

    Sentences are in reading order; the renderer packs them into pages that fit the channel
    (SMS segments, WhatsApp length) in the person's language, never splitting a sentence.
    """

    id: str
    title: str
    sentences: tuple[Sentence, ...]
    reviewed: date
    review_due: date
    sources: tuple[str, ...] = field(default=())

    def is_overdue(self, today: date) -> bool:
        """A topic past its review date is flagged to editors (the content must stay current)."""
        return today > self.review_due


def S(text: str, *evidence: Evidence) -> Sentence:  # noqa: N802 - reads like prose in topics.py
    """A sentence with its evidence, written compactly in the topic tables."""
    return Sentence(text=text, evidence=tuple(evidence))


class Channel:
    """The two ways people reach the bot; Twilio delivers both to one webhook."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    ALL = (SMS, WHATSAPP)


@dataclass(frozen=True)
class Reply:
    """What to say, not the words: a content address the renderer turns into text.

    Replies travel through Redis to the workers as small JSON dicts, and are rendered there
    in the person's language for the person's channel.
    """

    kind: str  # "topic", "text", "menu", "source" or "broadcast" (staff text in params)
    topic: str | None = None
    page: int = 1
    name: str | None = None
    number: int | None = None

    @classmethod
    def topic_page(cls, topic: str, page: int = 1) -> Reply:
        return cls(kind="topic", topic=topic, page=page)

    @classmethod
    def text(cls, name: str) -> Reply:
        return cls(kind="text", name=name)

    @classmethod
    def menu(cls, lead: str | None = None, page: int = 1) -> Reply:
        """The menu (or one of its parts), optionally led by a fixed text ('not understood')."""
        return cls(kind="menu", name=lead, page=page)

    @classmethod
    def broadcast(cls) -> Reply:
        """A staff update; its text travels in the outbox record's params, per language."""
        return cls(kind="broadcast")

    @classmethod
    def source(cls, number: int) -> Reply:
        return cls(kind="source", number=number)

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Reply:
        return cls(
            kind=str(data["kind"]),
            topic=data.get("topic"),  # type: ignore[arg-type]
            page=int(str(data.get("page", 1))),
            name=data.get("name"),  # type: ignore[arg-type]
            number=data.get("number"),  # type: ignore[arg-type]
        )
