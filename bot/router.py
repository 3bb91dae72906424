"""The pure core: (message text, conversation) -> what to say and what to remember.

No Redis, Flask, Twilio or RQ here, so every behaviour is a row in a table of tests. The
order of the checks is the order of precedence: emergency > stop > start > help > topic >
more > menu > unknown. An opted-out person gets nothing but the START confirmation.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.models import Conversation, Decision, Inbound
from bot.text import contains_phrase, normalize
from messages import keywords
from messages.languages import DEFAULT_LANGUAGE
from messages.model import Reply
from messages.sources import DOCUMENTS
from messages.topics import TOPICS

PageCounter = Callable[[str, str, str], int]
"""(topic id, language, channel) -> number of pages; supplied by ``messages.render``."""

MENU_ORDER: tuple[str, ...] = tuple(TOPICS)

_KEYWORD_TO_TOPIC: dict[str, str] = {
    word: topic for topic, words in keywords.TOPIC_KEYWORDS.items() for word in (topic, *words)
}


def _first_word(text: str) -> str:
    return text.split(" ", 1)[0] if text else ""


def _is_stop(text: str) -> bool:
    """STOP and friends as the message, or its first word ("stop please", "Stop. Thank you")."""
    return text in keywords.STOP_WORDS or _first_word(text) in keywords.STOP_WORDS


def _is_emergency(text: str) -> bool:
    return any(contains_phrase(text, phrase) for phrase in keywords.EMERGENCY_PHRASES)


def _topic_for(text: str) -> str | None:
    if text in _KEYWORD_TO_TOPIC:
        return _KEYWORD_TO_TOPIC[text]
    if text.isdigit() and 1 <= int(text) <= len(MENU_ORDER):
        return MENU_ORDER[int(text) - 1]
    return None


def _source_number(text: str) -> int | None:
    """"SOURCES 2" or "SOURCE 2": the document number asked for."""
    parts = text.split(" ")
    if len(parts) == 2 and parts[0] in ("sources", "source") and parts[1].isdigit():
        return int(parts[1])
    return None


def route(
    inbound: Inbound,
    conversation: Conversation,
    opted_out: bool,
    pages: PageCounter,
) -> Decision:
    """Decide the reply to one inbound message and the conversation that follows it."""
    text = normalize(inbound.button_payload or inbound.body)
    channel = inbound.channel
    language = conversation.language or DEFAULT_LANGUAGE
    seen = conversation.but(last_inbound_at=inbound.received_at)

    def decide(intent: str, *replies: Reply, state: Conversation = seen, **extra: object) -> Decision:
        return Decision(
            intent=intent,
            language=language,
            conversation=state,
            replies=replies,
            **extra,  # type: ignore[arg-type]
        )

    if _is_emergency(text) and not opted_out:
        return decide("emergency", Reply.text("emergency"))
    if _is_stop(text):
        if opted_out:
            return decide("stop")  # already confirmed once; say nothing more
        return decide("stop", Reply.text("stop_confirm"), opt_out=True)
    if text in keywords.START_WORDS:
        return decide("start", Reply.text("start_confirm"), opt_out=False)
    if opted_out:
        return decide("ignored")
    if not text and inbound.num_media:
        return decide("media", Reply.text("text_only"))
    if text in keywords.HELP_WORDS:
        return decide("help", Reply.text("help"))

    number = _source_number(text)
    if number is not None:
        return decide("sources", Reply.source(number), topic="sources")

    topic = _topic_for(text)
    if topic is not None:
        return decide(
            topic, Reply.topic_page(topic, 1), state=seen.but(topic=topic, page=1), topic=topic
        )

    if text in keywords.MORE_WORDS:
        if conversation.topic is None or conversation.topic not in TOPICS:
            return decide("more", Reply.text("no_topic_for_more"))
        total = pages(conversation.topic, language, channel)
        if conversation.page >= total:
            return decide("more", Reply.text("end_of_topic"), topic=conversation.topic)
        page = conversation.page + 1
        return decide(
            conversation.topic,
            Reply.topic_page(conversation.topic, page),
            state=seen.but(page=page),
            topic=conversation.topic,
        )

    if text in keywords.MENU_WORDS or text in keywords.GREETINGS or not text:
        return decide("menu", Reply.menu())
    return decide("unknown", Reply.menu(lead="not_understood"))


def document_count() -> int:
    """How many source documents SOURCES n can name."""
    return len(DOCUMENTS)
