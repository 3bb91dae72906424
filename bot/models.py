"""The plain data the bot passes between its parts: an inbound message, a conversation, a
routing decision. No I/O here; ``bot.state`` stores these, ``bot.router`` computes them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from messages.model import Channel, Reply


@dataclass(frozen=True)
class Inbound:
    """One message from a person, as parsed from Twilio's webhook (or the simulator)."""

    message_sid: str
    number: str  # bare E.164, the person's identity across channels
    channel: str  # Channel.SMS or Channel.WHATSAPP
    body: str
    num_media: int = 0
    button_payload: str = ""
    received_at: float = 0.0

    @property
    def address(self) -> str:
        """Where to reply: the number itself, or ``whatsapp:`` + number."""
        return f"whatsapp:{self.number}" if self.channel == Channel.WHATSAPP else self.number


@dataclass(frozen=True)
class Conversation:
    """What the bot remembers of one person on one channel (stored under a pseudonym)."""

    language: str | None = None
    language_source: str | None = None  # explicit, detected (stored) -- see bot.language
    topic: str | None = None
    page: int = 0
    last_inbound_at: float = 0.0
    last_digest: str = ""  # keyed fingerprint of the last message, for loop detection
    repeats: int = 0

    def to_fields(self) -> dict[str, str]:
        fields = {
            "language": self.language or "",
            "language_source": self.language_source or "",
            "topic": self.topic or "",
            "page": str(self.page),
            "last_inbound_at": f"{self.last_inbound_at:.3f}",
            "last_digest": self.last_digest,
            "repeats": str(self.repeats),
        }
        return fields

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Conversation:
        def number(name: str, kind: type) -> object:
            try:
                return kind(fields.get(name) or 0)
            except ValueError:
                return kind(0)

        return cls(
            language=fields.get("language") or None,
            language_source=fields.get("language_source") or None,
            topic=fields.get("topic") or None,
            page=int(number("page", int)),  # type: ignore[call-overload]
            last_inbound_at=float(number("last_inbound_at", float)),  # type: ignore[arg-type]
            last_digest=fields.get("last_digest", ""),
            repeats=int(number("repeats", int)),  # type: ignore[call-overload]
        )

    def but(self, **changes: object) -> Conversation:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Decision:
    """What the router decided: what to say, and what to remember.

    ``intent`` is the topic id for a topic reply, or a control intent (menu, help, more,
    stop, start, emergency, unknown...). ``opt_out`` is True to opt the person out, False to
    opt them back in, None to leave it as it is.
    """

    intent: str
    language: str
    conversation: Conversation
    replies: tuple[Reply, ...] = field(default=())
    topic: str | None = None
    opt_out: bool | None = None
    held_back: str | None = None  # "rate" or "loop": replies withheld (see bot.limits)
    subscription: str | None = None  # "ask" (SUBSCRIBE) or "confirm" (JOIN): see bot.router
