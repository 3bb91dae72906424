"""Table tests of the pure router: (text, state before) -> intent, replies, state after."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.language import no_detector
from bot.models import Conversation, Inbound
from bot.router import MENU_ORDER, route
from bot.vocabulary import PhraseIndex, occurs, vocabulary
from messages.model import Channel, Reply
from messages.render import page_count

PAGES = {topic: 3 for topic in MENU_ORDER}


def pages(topic: str, language: str, channel: str) -> int:
    return 1 if topic.startswith("menu") else PAGES[topic]


US = "+14155550100"


def run(text: str, state: Conversation | None = None, opted_out: bool = False,
        channel: str = Channel.SMS, num_media: int = 0, number: str = US, detect=no_detector):
    inbound = Inbound("SM" + "0" * 32, number, channel, text, num_media=num_media,
                      received_at=1000.0)
    return route(inbound, state or Conversation(), opted_out, pages, detect)


TOPIC_CASES = [
    ("RISKS", "risks"),
    ("risks", "risks"),
    ("  Risks  ", "risks"),
    ("risk", "risks"),
    ("TRIALS", "trials"),
    ("MSC", "msc"),
    ("hsct", "hsct"),
    ("ABOUT", "about"),
    ("SOURCES", "sources"),
    ("Risks!", "risks"),
    ("1", MENU_ORDER[0]),
    ("11", MENU_ORDER[10]),
]


@pytest.mark.parametrize(("text", "topic"), TOPIC_CASES, ids=[c[0].strip() for c in TOPIC_CASES])
def test_topic_keywords_reach_their_topic_first_page(text: str, topic: str) -> None:
    decision = run(text)
    assert decision.intent == topic
    assert decision.topic == topic
    assert decision.replies == (Reply.topic_page(topic, 1),)
    assert decision.conversation.topic == topic
    assert decision.conversation.page == 1


@pytest.mark.parametrize("text", ["MENU", "menu", "0", "hi", "Hello", ""])
def test_menu_words_and_greetings_get_the_menu(text: str) -> None:
    decision = run(text)
    assert decision.intent == "menu"
    assert decision.replies == (Reply.menu(),)


def test_a_menu_too_long_for_one_sms_goes_as_two_messages() -> None:
    inbound = Inbound("SM" + "0" * 32, US, Channel.SMS, "menu", received_at=1.0)
    decision = route(inbound, Conversation(), False, lambda topic, *_: 2 if topic == "menu" else 3)
    assert decision.replies == (Reply.menu(page=1), Reply.menu(page=2))


@pytest.mark.parametrize("text", ["what is the weather", "12", "tell me a joke", "asdf"])
def test_anything_else_gets_the_menu_led_by_not_understood(text: str) -> None:
    decision = run(text)
    assert decision.intent == "unknown"
    assert decision.replies == (Reply.menu(lead="not_understood"),)


@pytest.mark.parametrize("text", ["HELP", "help", "INFO"])
def test_help(text: str) -> None:
    assert run(text).replies == (Reply.text("help"),)


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop. Thank you", "stop please", "UNSUBSCRIBE",
                                  "CANCEL", "END", "QUIT", "STOPALL", "optout", "REVOKE"])
def test_stop_opts_out_and_confirms_once(text: str) -> None:
    first = run(text)
    assert first.intent == "stop"
    assert first.opt_out is True
    assert first.replies == (Reply.text("stop_confirm"),)
    again = run(text, opted_out=True)
    assert again.replies == ()


@pytest.mark.parametrize("text", ["RISKS", "MENU", "HELP", "hello"])
def test_an_opted_out_person_gets_nothing(text: str) -> None:
    decision = run(text, opted_out=True)
    assert decision.replies == ()
    assert decision.opt_out is None


@pytest.mark.parametrize("text", ["START", "yes", "UNSTOP"])
def test_start_opts_back_in(text: str) -> None:
    decision = run(text, opted_out=True)
    assert decision.opt_out is False
    assert decision.replies == (Reply.text("start_confirm"),)


def test_more_pages_through_the_topic_and_stops_at_the_end() -> None:
    state = Conversation(topic="risks", page=1)
    second = run("MORE", state)
    assert second.replies == (Reply.topic_page("risks", 2),)
    assert second.conversation.page == 2
    third = run("next", second.conversation)
    assert third.replies == (Reply.topic_page("risks", 3),)
    end = run("MORE", third.conversation)
    assert end.replies == (Reply.text("end_of_topic"),)
    assert end.conversation.page == 3


def test_more_without_a_topic_says_so() -> None:
    assert run("MORE").replies == (Reply.text("no_topic_for_more"),)


def test_sources_n_names_one_document() -> None:
    decision = run("SOURCES 2")
    assert decision.replies == (Reply.source(2),)
    assert decision.topic == "sources"


@pytest.mark.parametrize("text", ["I want to kill myself", "chest pain", "I can't breathe",
                                  "EMERGENCY", "sudden weakness in my legs"])
def test_emergency_words_get_the_emergency_reply(text: str) -> None:
    decision = run(text)
    assert decision.intent == "emergency"
    assert decision.replies == (Reply.text("emergency"),)


def test_emergency_beats_stop() -> None:
    decision = run("stop I have chest pain")
    assert decision.intent == "emergency"
    assert decision.opt_out is None


def test_media_without_text_gets_the_text_only_reply() -> None:
    assert run("", num_media=1).replies == (Reply.text("text_only"),)


def test_every_decision_records_the_time_of_the_message() -> None:
    assert run("RISKS").conversation.last_inbound_at == 1000.0
    assert run("what").conversation.last_inbound_at == 1000.0


@pytest.mark.parametrize("text, intent", [
    ("SUBSCRIBE", "subscribe"), ("send me updates please", "subscribe"), ("JOIN", "subscribe"),
    ("any updates on trials?", "trials"), ("quiero recibir novedades", "subscribe"),
])
def test_subscribe_asks_and_join_confirms_unless_a_topic_is_named(text: str, intent: str) -> None:
    decision = route(Inbound("SM" + "1" * 32, "+14155550123", "sms", text), Conversation(), False, page_count)
    assert decision.intent == intent
    if intent == "subscribe":
        assert decision.subscription == ("confirm" if text == "JOIN" else "ask")


# -- the phrase index finds exactly what a scan of every phrase finds ---------------------------

_VOCAB = vocabulary()
_WORDS = sorted({word for phrase, _topic, _lang in _VOCAB.questions for word in phrase.split(" ")}
                | {word for phrase in _VOCAB.topics for word in phrase.split(" ")})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(alphabet="abc 中文", max_size=4)), max_size=12))
def test_the_phrase_index_agrees_with_testing_every_phrase(words: list[str]) -> None:
    """Why: routing looks phrases up in an index of the message's word runs (20x cheaper);
    it must find the same phrases, in the same order, as testing each phrase in turn."""
    text = " ".join(words)
    for table, entries in (("questions", [(p, (t, lang)) for p, t, lang in _VOCAB.questions]),
                           ("topics", list(_VOCAB.topics.items())),
                           ("phrases:emergency", list(_VOCAB.phrases["emergency"]))):
        scanned = [(phrase, payload) for phrase, payload in entries if occurs(phrase, text)]
        assert _VOCAB.index(table).find(text) == scanned, table
        assert PhraseIndex.of(entries).find(text) == scanned
