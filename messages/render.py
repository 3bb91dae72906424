"""Turning a reply address into the words a person receives, in their language and channel.

One rendering step serves both channels: SMS pages are packed to a segment budget (never
splitting a sentence), WhatsApp gets longer pages with its light formatting. Topics are
written once, as sentences; the pages are derived, per language and channel, and cached.
Pure functions: no I/O beyond reading the compiled catalogs once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from messages import texts
from messages.bidi import right_to_left
from messages.catalog import translate
from messages.languages import DEFAULT_LANGUAGE, LANGUAGES, NO_SPACE_BETWEEN_SENTENCES, RIGHT_TO_LEFT
from messages.model import Channel, Reply
from messages.segments import GSM7, count_segments, smarten_for_gsm
from messages.sources import DOCUMENTS
from messages.topics import TOPICS

# SMS budget per reply: 2 segments when the page is GSM-7, 3 when its language needs UCS-2.
SMS_SEGMENTS = {GSM7: 2, "UCS-2": 3}
SMS_MAX_SEGMENTS = 3
ANY_REPLY = {GSM7: SMS_MAX_SEGMENTS, "UCS-2": SMS_MAX_SEGMENTS}  # menus and fixed texts
WHATSAPP_MAX_CHARS = 4096
WHATSAPP_PAGE_CHARS = 1500  # long enough for a topic, short enough to read on a phone


class UntranslatedError(LookupError):
    """A string has no (non-fuzzy) translation in the requested language."""


@dataclass(frozen=True)
class Rendered:
    """A reply's text, and the language it was actually rendered in."""

    text: str
    locale: str
    fell_back: bool = False


def _t(message: str, locale: str) -> str:
    translated = translate(message, locale)
    if translated is None:
        raise UntranslatedError(message)
    return translated


def _fits(text: str, channel: str, sms_limits: dict[str, int] = SMS_SEGMENTS) -> bool:
    """Within the page size: WhatsApp characters, or SMS segments for the text's encoding."""
    if channel == Channel.WHATSAPP:
        return len(text) <= WHATSAPP_PAGE_CHARS
    count = count_segments(text)
    return count.segments <= sms_limits[count.encoding]


def _finish(text: str, channel: str, locale: str = DEFAULT_LANGUAGE) -> str:
    if locale in RIGHT_TO_LEFT:
        text = right_to_left(text)
    return smarten_for_gsm(text) if channel == Channel.SMS else text


def _join(sentences: Sequence[str], locale: str) -> str:
    return ("" if locale in NO_SPACE_BETWEEN_SENTENCES else " ").join(sentences)


def _compose(
    title: str | None,
    body: str,
    safety: str | None,
    footer: str | None,
    channel: str,
    locale: str,
) -> str:
    parts: list[str] = []
    if channel == Channel.WHATSAPP:
        if title:
            parts.append(f"*{title}*")
        parts.append(body)
        if footer:
            parts.append(footer)
        if safety:
            parts.append(f"_{safety}_")
        return _finish("\n\n".join(parts), channel, locale)
    head = f"{title}: {body}" if title else body
    parts.append(head)
    if footer:
        parts.append(footer)
    if safety:
        parts.append(safety)
    return _finish("\n".join(parts), channel, locale)


@cache
def _topic_pages_in(topic_id: str, locale: str, channel: str, note: str = "") -> tuple[str, ...]:
    topic = TOPICS[topic_id]
    title = f"{note} {_t(topic.title, locale)}" if note else _t(topic.title, locale)
    sentences = [_t(sentence.text, locale) for sentence in topic.sentences]
    safety = _t(texts.SAFETY, locale)
    more = _t(texts.MORE_FOOTER, locale)

    def footer(page: int, pages: int) -> str:
        return more.format(page=page, pages=pages)

    # First pass: pack with the widest footer; second: format the real page numbers.
    groups: list[tuple[list[str], bool]] = []
    start = 0
    while start < len(sentences):
        first = not groups
        best: tuple[int, bool] | None = None
        for with_safety in (True, False):
            end = start
            while end < len(sentences):
                candidate = _compose(
                    title if first else None,
                    _join(sentences[start : end + 1], locale),
                    safety if with_safety else None,
                    footer(99, 99),
                    channel,
                    locale,
                )
                if not _fits(candidate, channel):
                    break
                end += 1
            if end > start:
                best = (end, with_safety)
                break
        if best is None:  # one sentence too long even alone: a content bug the tests catch
            best = (start + 1, False)
        end, with_safety = best
        groups.append((sentences[start:end], with_safety))
        start = end
    # The last page only needs a footer if it has room to spare; try dropping the MORE hint.
    pages = len(groups)
    rendered = []
    for index, (group, with_safety) in enumerate(groups, start=1):
        rendered.append(
            _compose(
                title if index == 1 else None,
                _join(group, locale),
                safety if with_safety else None,
                footer(index, pages) if index < pages else None,
                channel,
                locale,
            )
        )
    return tuple(rendered)


@cache
def topic_pages(topic_id: str, locale: str, channel: str) -> tuple[tuple[str, ...], str]:
    """The pages of a topic and the language they are in (English when a string is missing)."""
    try:
        return _topic_pages_in(topic_id, locale, channel), locale
    except UntranslatedError:
        return (_topic_pages_in(topic_id, DEFAULT_LANGUAGE, channel, _fallback_note(locale)),
                DEFAULT_LANGUAGE)


def _fallback_note(locale: str) -> str:
    """Said in the person's language when possible: the page that follows is in English."""
    return translate(texts.FALLBACK_NOTE, locale) or texts.FALLBACK_NOTE


def page_count(topic_id: str, locale: str, channel: str) -> int:
    """How many MORE pages a topic has for this language and channel ("menu": its messages)."""
    if topic_id.startswith("menu"):  # "menu" or "menu:<lead text>"
        lead = topic_id.partition(":")[2] or None
        try:
            return len(menu_pages(locale, channel, lead))
        except UntranslatedError:
            return len(menu_pages(DEFAULT_LANGUAGE, channel, lead))
    return len(topic_pages(topic_id, locale, channel)[0])


def _text(name: str, locale: str) -> str:
    template = _t(getattr(texts, name.upper()), locale)
    return template


@cache
def menu_pages(locale: str, channel: str, lead: str | None = None) -> tuple[str, ...]:
    """The numbered menu in as few messages as fit the budget (one or two SMS screens)."""
    header = _text("menu_header", locale).format(service=texts.SERVICE_NAME)
    lines = [f"{number} {_t(topic.title, locale)}" for number, topic in enumerate(TOPICS.values(), 1)]
    footer = _text("menu_footer", locale)
    if channel == Channel.WHATSAPP:
        header = f"*{header}*"
    first = [_text(lead, locale), header] if lead else [header]
    for parts in range(1, len(lines) + 1):
        size = -(-len(lines) // parts)
        chunks = [lines[i : i + size] for i in range(0, len(lines), size)]
        pages = []
        for index, chunk in enumerate(chunks):
            top = first if index == 0 else []
            bottom = [footer] if index == len(chunks) - 1 else []
            pages.append(_finish("\n".join([*top, *chunk, *bottom]), channel, locale))
        if all(_fits(page, channel, ANY_REPLY) for page in pages):
            return tuple(pages)
    return tuple(pages)


def _menu(locale: str, channel: str, lead: str | None, page: int = 1) -> str:
    pages = menu_pages(locale, channel, lead)
    return pages[min(max(page, 1), len(pages)) - 1]


def _source(number: int, locale: str, channel: str) -> str:
    matches = [doc for doc in DOCUMENTS if doc.number == number]
    if not matches:
        return _finish(_text("source_unknown", locale).format(count=len(DOCUMENTS)), channel, locale)
    doc = matches[0]
    label = _t(texts.SOURCE_LABEL, locale).format(number=doc.number)
    author = _text("source_author", locale).format(author=_t(doc.author, locale))
    stop = "。" if locale in NO_SPACE_BETWEEN_SENTENCES else ". "
    parts = [f"{label}: \"{doc.title}\"", author, _t(doc.kind, locale), _t(doc.summary, locale)]
    body = stop.join(part.rstrip(".。") for part in parts) + stop.strip()
    return _finish(body, channel, locale)


def _render_in(reply: Reply, locale: str, channel: str, params: dict[str, str]) -> str:
    """Every reply but a topic page (topics fall back to English as a whole, in render())."""
    if reply.kind == "menu":
        return _menu(locale, channel, reply.name, reply.page)
    if reply.kind == "source":
        return _source(int(reply.number or 0), locale, channel)
    if reply.kind == "broadcast":
        return _finish(f"{params['text'].strip()}\n{_t(texts.SAFETY, locale)}", channel, locale)
    if reply.kind == "text":
        values = {"service": texts.SERVICE_NAME, "count": str(len(DOCUMENTS)),
                  "language": LANGUAGES.get(locale, locale),
                  "languages": ", ".join(LANGUAGES.values()), **params}
        return _finish(_text(str(reply.name), locale).format(**values), channel, locale)
    raise ValueError(f"unknown reply kind {reply.kind!r}")


def render(
    reply: Reply, locale: str, channel: str, params: dict[str, str] | None = None
) -> Rendered:
    """The words for ``reply``; English, said so, when the language lacks a string."""
    params = params or {}
    if reply.kind == "topic":
        pages, used = topic_pages(str(reply.topic), locale, channel)
        text = pages[min(max(reply.page, 1), len(pages)) - 1]
        return Rendered(text, used, fell_back=used != locale)
    try:
        return Rendered(_render_in(reply, locale, channel, params), locale)
    except UntranslatedError:
        english = _render_in(reply, DEFAULT_LANGUAGE, channel, params)
        note = _fallback_note(locale)
        return Rendered(_finish(f"{note}\n{english}", channel), DEFAULT_LANGUAGE, fell_back=True)
