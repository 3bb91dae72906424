"""The editor's view, review freshness, and the safety texts reachable from every topic."""

from __future__ import annotations

import pytest
from flask import Flask

from bot.models import Conversation, Inbound
from bot.router import route
from messages import texts
from messages.model import Channel, Reply
from messages.render import page_count, render, topic_pages
from messages.topics import TOPICS


def test_content_report_shows_every_page_and_every_sentences_evidence(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["content", "report", "--today", "2026-12-01"])
    assert result.exit_code == 0, result.output
    for topic in TOPICS.values():
        assert f"== {topic.id.upper()}" in result.output
        pages, _ = topic_pages(topic.id, "en", Channel.SMS)
        assert f"page {len(pages)}/{len(pages)} [en]" in result.output
        for sentence in topic.sentences:
            assert sentence.text in result.output
    assert result.output.count("        <- ") == sum(len(s.evidence) for t in TOPICS.values() for s in t.sentences)
    assert "SMS segment(s), GSM-7" in result.output
    assert "OVERDUE" not in result.output


def test_a_topic_past_its_review_date_is_flagged(app: Flask) -> None:
    late = max(topic.review_due for topic in TOPICS.values()).replace(year=2030)
    result = app.test_cli_runner().invoke(args=["content", "report", "--today", late.isoformat()])
    assert result.output.count("** OVERDUE for review **") == len(TOPICS)
    assert "11 overdue for review" in result.output


@pytest.mark.parametrize("topic", list(TOPICS))
@pytest.mark.parametrize("channel", Channel.ALL)
def test_the_safety_line_is_on_the_first_page_or_one_more_away(topic: str, channel: str) -> None:
    pages, _ = topic_pages(topic, "en", channel)
    assert texts.SAFETY in pages[0] or (len(pages) > 1 and texts.SAFETY in pages[1])


@pytest.mark.parametrize("topic", list(TOPICS))
def test_the_emergency_reply_is_reached_from_inside_every_topic(topic: str) -> None:
    inbound = Inbound("SM" + "2" * 32, "+14155550100", Channel.SMS, "I have chest pain",
                      received_at=1.0)
    decision = route(inbound, Conversation(topic=topic, page=2), False, page_count)
    assert decision.replies == (Reply.text("emergency"),)
    assert "emergency number" in render(decision.replies[0], "en", Channel.SMS).text


def test_personal_advice_gets_the_out_of_scope_reply() -> None:
    for text in ("Should I stop my medication?", "am I eligible for HSCT", "is it right for me"):
        inbound = Inbound("SM" + "3" * 32, "+14155550100", Channel.SMS, text, received_at=1.0)
        decision = route(inbound, Conversation(), False, page_count)
        assert decision.replies == (Reply.text("out_of_scope"),), text
        assert decision.opt_out is None
