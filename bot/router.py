"""The pure core: (message, conversation) -> what to say, in which language, what to remember.

No Redis, Flask, Twilio or RQ here, so every behaviour is a row in a table of tests. The
checks run in order of precedence: emergency > stop > start > help > language > personal
advice > topic > more > menu > free question > near miss > unknown. An opted-out person
gets nothing but the START confirmation. SUBSCRIBE asks for consent and JOIN gives it;
the subscription itself is stored by ``bot.intake``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.language import (
    DETECTED,
    EXPLICIT,
    STORED_SOURCES,
    Detector,
    country_language,
    negotiate,
    no_detector,
)
from bot.models import Conversation, Decision, Inbound
from bot.text import normalize
from bot.vocabulary import Vocabulary, unspaced, vocabulary
from messages.model import Reply
from messages.topics import TOPICS

PageCounter = Callable[[str, str, str], int]
"""(topic id, language, channel) -> number of pages; supplied by ``messages.render``."""

MENU_ORDER: tuple[str, ...] = tuple(TOPICS)
LANGUAGE_COMMANDS = frozenset({"lang", "language", "idioma", "langue", "sprache", "lingua", "lingue",
                               "язык", "لغة", "भाषा", "语言"})
FUZZY_MIN_SCORE = 85


@dataclass(frozen=True)
class Understanding:
    """What one message means, before the language of the reply is chosen."""

    intent: str
    replies: tuple[Reply, ...] = ()
    topic: str | None = None
    evidence: str | None = None  # the language this message is evidence of
    explicit: str | None = None  # a language chosen by name
    opt_out: bool | None = None
    subscription: str | None = None  # ASK or CONFIRM


ASK = "ask"
CONFIRM = "confirm"
SUBSCRIBE_MAX_WORDS = 6


def _single(languages: frozenset[str] | None) -> str | None:
    return next(iter(languages)) if languages and len(languages) == 1 else None


def _strip_polite(words: list[str], vocab: Vocabulary) -> list[str]:
    """'please stop', 'stop, thank you' -> ['stop']: courtesy around a keyword changes nothing."""
    start, end = 0, len(words)
    while start < end and vocab.word("polite", words[start]):
        start += 1
    while end > start and vocab.word("polite", words[end - 1]):
        end -= 1
    return words[start:end]


def _courtesy_language(words: list[str], core: list[str], vocab: Vocabulary) -> str | None:
    """The one language of the courtesy words around a keyword ("merci", "grazie"), if any."""
    languages: set[str] = set()
    for word in (w for w in words if w not in core):
        languages |= vocab.word("polite", word) or set()
    return _single(frozenset(languages))


def _language_choice(words: list[str], vocab: Vocabulary) -> str | bool | None:
    """'LANG es', 'idioma español', 'Français' -> the language; bare 'LANG' -> True (ask)."""
    if words and words[0] in LANGUAGE_COMMANDS:
        rest = " ".join(words[1:])
        return (vocab.names.get(rest) or vocab.names.get(f"code:{rest}")) if rest else True
    return vocab.names.get(" ".join(words)) if 0 < len(words) <= 2 else None


def _sources_number(words: list[str], vocab: Vocabulary) -> int | None:
    """'SOURCES 2', 'FUENTES 2', 'ИСТОЧНИКИ 2': any language's sources keyword and a number."""
    if len(words) == 2 and words[1].isdigit() and vocab.topics.get(words[0], ("",))[0] == "sources":
        return int(words[1])
    return None


def _mentioned_topics(text: str, vocab: Vocabulary) -> tuple[set[str], str | None]:
    """Topics named anywhere in a longer message ("tell me about the risks").

    "about" (and the disease's own name, filed under it) is in almost every question, so it
    only counts when nothing more specific is named. The language comes from the longest
    phrase found: "transplante de medula" says Portuguese where "transplante" alone does not.
    """
    found: dict[str, str] = {}  # topic -> the longest phrase that named it
    languages: dict[str, frozenset[str]] = {}
    for phrase, (topic, language) in vocab.index("questions").find(text):
        if len(phrase) > len(found.get(topic, "")):
            found[topic], languages[phrase] = phrase, frozenset({language})
    if not found:
        for phrase, (topic, langs) in vocab.index("topics").find(text):
            if (len(phrase) > 2 or unspaced(phrase)) and len(phrase) > len(found.get(topic, "")):
                found[topic], languages[phrase] = phrase, langs
    if len(found) > 1:
        found.pop("about", None)
    if not found:
        return set(), None
    longest = max(found.values(), key=len)
    return set(found), _single(languages[longest])


def _subscription(core: list[str], text: str, vocab: Vocabulary) -> tuple[str, frozenset[str] | None] | None:
    """SUBSCRIBE asks for consent; JOIN (a word of its own, never YES) gives it.

    A short message that contains one of the words ("send me updates please") counts too;
    one that names a topic ("any updates on trials?") or a long one does not.
    """
    core_text = " ".join(core)
    for kind, step in (("join", CONFIRM), ("subscribe", ASK)):
        languages = vocab.word(kind, core_text)
        if languages:
            return step, languages
    if len(core) <= SUBSCRIBE_MAX_WORDS and not _mentioned_topics(text, vocab)[0]:
        for kind, step in (("join", CONFIRM), ("subscribe", ASK)):
            for _phrase, languages in vocab.index(f"words:{kind}").find(text):
                return step, languages
    return None


def _near_miss(text: str, vocab: Vocabulary) -> tuple[str, str | None] | None:
    """'riks', 'trails', 'HSTC': the closest keyword when it is clearly the one meant."""
    from rapidfuzz import fuzz, process, utils

    if not text or len(text) < 3 or len(text.split()) > 3:
        return None
    candidates = [phrase for phrase in vocab.topics if len(phrase) >= 3]
    best = process.extract(text, candidates, scorer=fuzz.ratio, processor=utils.default_process, limit=2)
    if not best or best[0][1] < FUZZY_MIN_SCORE:
        return None
    phrase = best[0][0]
    topic, languages = vocab.topics[phrase]
    if len(best) > 1 and best[1][1] >= best[0][1] - 3 and vocab.topics[best[1][0]][0] != topic:
        return None  # two different topics are about as close: do not guess
    return topic, _single(languages)


def understand(inbound: Inbound, opted_out: bool, vocab: Vocabulary) -> Understanding:
    """Classify the message by precedence; no reply language chosen yet."""
    text = normalize(inbound.button_payload or inbound.body)
    words = text.split(" ") if text else []
    core = _strip_polite(words, vocab)
    core_text = " ".join(core)

    emergency = vocab.phrase_in("emergency", text)
    if emergency and not opted_out:
        return Understanding("emergency", (Reply.text("emergency"),), evidence=emergency)
    stop = vocab.word("stop", core_text)
    if stop:
        # STOP is English, Italian and Hindi alike; "stop merci" says which one it is.
        evidence = _single(stop) or _courtesy_language(words, core, vocab)
        if opted_out:
            return Understanding("stop", evidence=evidence)  # confirmed once already
        return Understanding("stop", (Reply.text("stop_confirm"),), evidence=evidence, opt_out=True)
    start = vocab.word("start", core_text)
    if start:
        return Understanding("start", (Reply.text("start_confirm"),), evidence=_single(start), opt_out=False)
    if opted_out:
        return Understanding("ignored")
    if not text and inbound.num_media:
        return Understanding("media", (Reply.text("text_only"),))
    helped = vocab.word("help", core_text)
    if helped:
        return Understanding("help", (Reply.text("help"),), evidence=_single(helped))

    chosen = _language_choice(core, vocab)
    if chosen is True:
        return Understanding("language", (Reply.text("language_unknown"),))
    if isinstance(chosen, str):
        return Understanding("language", (Reply.text("language_changed"),), explicit=chosen)

    subscription = _subscription(core, text, vocab)
    if subscription:
        step, languages = subscription
        reply = Reply.text("subscribe_ask" if step == ASK else "subscribed")
        return Understanding("subscribe", (reply,), evidence=_single(languages), subscription=step)

    advice = vocab.phrase_in("personal_advice", text)
    if advice:
        return Understanding("out_of_scope", (Reply.text("out_of_scope"),), evidence=advice)

    number = _sources_number(core, vocab)
    if number is not None:
        return Understanding("sources", (Reply.source(number),), topic="sources")
    if core_text in vocab.topics:
        topic, languages = vocab.topics[core_text]
        return Understanding(topic, (Reply.topic_page(topic, 1),), topic=topic, evidence=_single(languages))
    if core_text.isdigit():
        if core_text == "0":
            return Understanding("menu", (Reply.menu(),))
        if 1 <= int(core_text) <= len(MENU_ORDER):
            topic = MENU_ORDER[int(core_text) - 1]
            return Understanding(topic, (Reply.topic_page(topic, 1),), topic=topic)
    more = vocab.word("more", core_text)
    if more:
        return Understanding("more", evidence=_single(more))
    menu = vocab.word("menu", core_text) or vocab.word("greetings", core_text)
    if menu or not core_text:
        return Understanding("menu", (Reply.menu(),), evidence=_single(menu))

    topics, language = _mentioned_topics(text, vocab)
    if len(topics) == 1:
        topic = topics.pop()
        return Understanding(topic, (Reply.topic_page(topic, 1),), topic=topic, evidence=language)
    near = _near_miss(core_text, vocab)
    if near:
        topic, language = near
        return Understanding(topic, (Reply.topic_page(topic, 1),), topic=topic, evidence=language)
    return Understanding("unknown", (Reply.menu(lead="not_understood"),))


def route(
    inbound: Inbound,
    conversation: Conversation,
    opted_out: bool,
    pages: PageCounter,
    detect: Detector = no_detector,
) -> Decision:
    """Decide the reply to one inbound message and the conversation that follows it."""
    meaning = understand(inbound, opted_out, vocabulary())
    evidence = meaning.evidence
    if evidence is None and meaning.explicit is None and meaning.intent in {"unknown", *TOPICS}:
        evidence = detect(inbound.body)
    choice = negotiate(meaning.explicit, conversation.language, conversation.language_source,
                       evidence, inbound.number)
    state = conversation.but(last_inbound_at=inbound.received_at)
    if choice.source in {EXPLICIT, DETECTED}:
        state = state.but(language=choice.language, language_source=choice.source)
    expected = (conversation.language if conversation.language_source in STORED_SOURCES else None) \
        or country_language(inbound.number) or "en"
    replies = meaning.replies
    topic = meaning.topic

    if meaning.intent == "more":
        current = conversation.topic
        if current is None or current not in TOPICS:
            replies = (Reply.text("no_topic_for_more"),)
        elif conversation.page >= pages(current, choice.language, inbound.channel):
            replies, topic = (Reply.text("end_of_topic"),), current
        else:
            state = state.but(page=conversation.page + 1)
            replies, topic = (Reply.topic_page(current, conversation.page + 1),), current
        intent = topic or "more"
    else:
        intent = meaning.intent
        if meaning.topic and meaning.replies and meaning.replies[0].kind == "topic":
            state = state.but(topic=meaning.topic, page=1)

    # A menu too long for one SMS in this language goes as two (or more) messages.
    expanded: list[Reply] = []
    for reply in replies:
        if reply.kind == "menu" and reply.page == 1:
            parts = pages(f"menu:{reply.name}" if reply.name else "menu", choice.language, inbound.channel)
            expanded.extend(Reply.menu(reply.name, n) for n in range(1, parts + 1))
        else:
            expanded.append(reply)
    replies = tuple(expanded)

    # A language the bot chose by itself (not by LANG) is announced once, with how to switch.
    if (choice.source == DETECTED and choice.language != expected and replies
            and meaning.intent not in {"stop", "emergency"}):
        replies = (*replies, Reply.text("language_changed"))
    return Decision(
        intent=intent,
        language=choice.language,
        conversation=state,
        replies=replies,
        topic=topic,
        opt_out=meaning.opt_out,
        subscription=meaning.subscription,
    )
