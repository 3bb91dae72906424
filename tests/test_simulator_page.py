"""The web phone at /simulator, in a real Chromium against a live server, worker and Redis."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from redis import Redis

from bot import create_app
from bot.config import Config
from messages.model import Reply
from messages.render import render
from messages.segments import count_segments
from tests.browser import ROOT, artifact_path
from tests.conftest import WorkerProcess

STATIC = ROOT / "bot" / "static"
DOCS_SCREENSHOT = ROOT / "docs" / "simulator.png"


def local(config: Config) -> Config:
    return config.with_overrides(twilio_account_sid="", twilio_auth_token="")


def send(page: Page, text: str) -> None:
    """Type a message and wait until the bot's answer (or a note) replaced the typing dots."""
    replies = page.locator("#conversation .bubble.in:not(.typing), #conversation .note")
    before = replies.count()
    page.fill("#message", text)
    page.press("#message", "Enter")
    expect(page.locator("#conversation .typing")).to_have_count(0)
    expect(replies).not_to_have_count(before)


@pytest.mark.browser
def test_a_conversation_on_the_web_phone(
    page: Page, console_errors: list[str], live_server, config: Config, redis: Redis,
    worker: WorkerProcess,
) -> None:
    started = time.monotonic()
    server = live_server(local(config))
    page.goto(server.url_for("/simulator"))
    expect(page.locator("#phone")).to_have_attribute("data-ready", "true")
    page.select_option("#country", "+34")
    page.fill("#number", "600000001")
    expect(page.locator("#address")).to_have_text("+34600000001")

    # SMS in Spanish: one bubble per reply, with its segments, encoding, topic and language.
    send(page, "RIESGOS")
    expected = render(Reply.topic_page("risks"), "es", "sms").text
    count = count_segments(expected)
    reply = page.locator("#conversation .bubble.in").last
    expect(reply.locator(".body")).to_have_text(expected)
    expect(reply).to_have_attribute("lang", "es")
    expect(reply.locator(".badge.segments")).to_have_text(
        f"{count.segments} segment{'' if count.segments == 1 else 's'}")
    expect(reply.locator(".badge.encoding")).to_have_text(count.encoding)
    expect(reply.locator(".badge.topic")).to_have_text("risks")
    expect(reply.locator(".badge.language")).to_have_text("es")
    expect(page.locator("#conversation .bubble.out .body")).to_have_text(["RIESGOS"])
    send(page, "MAS")  # the next page of the same topic
    reply = page.locator("#conversation .bubble.in").last
    expect(reply.locator(".body")).to_have_text(render(Reply.topic_page("risks", 2), "es", "sms").text)
    expect(reply.locator(".badge.topic")).to_have_text("risks")
    save_screenshots(page)

    # WhatsApp: the phone changes its look; a reply comes back without SMS badges.
    page.check("input[name=channel][value=whatsapp]")
    expect(page.locator("#phone")).to_have_attribute("data-channel", "whatsapp")
    send(page, "menu")
    reply = page.locator("#conversation .bubble.in").last
    expect(reply.locator(".badge.topic")).to_have_text("menu")
    expect(reply.locator(".badge.language")).to_have_text("es")
    expect(reply.locator(".badge.segments")).to_have_count(0)
    expect(reply.locator(".body")).not_to_be_empty()
    expect(page.locator("#conversation .note.divider")).to_have_count(1)

    # An explicit language choice sticks until the conversation is reset.
    send(page, "LANG en")
    expect(page.locator("#conversation .bubble.in").last.locator(".badge.language")).to_have_text("en")
    page.click("#reset")
    expect(page.locator("#conversation .bubble")).to_have_count(0)
    expect(page.locator("#conversation .note")).to_contain_text(["Conversation reset"])
    send(page, "menu")
    reply = page.locator("#conversation .bubble.in").last
    expect(reply.locator(".badge.language")).to_have_text("es")  # the +34 phone's default again
    expect(page.locator("#conversation .bubble.out .body")).to_have_text(["menu"])
    page.screenshot(path=str(artifact_path("simulator-after-reset.png")), full_page=True)
    assert console_errors == []  # no CSP violation, no script error
    print(f"browser conversation took {time.monotonic() - started:.2f}s")


def save_screenshots(page: Page) -> None:
    """The test artifact, and the README's picture when it is missing or asked for again."""
    shot = artifact_path("simulator.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if not DOCS_SCREENSHOT.exists() or os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)


@pytest.mark.browser
def test_whatsapp_bold_and_arabic_are_shown_as_a_phone_would(
    page: Page, console_errors: list[str], live_server, config: Config, redis: Redis,
    worker: WorkerProcess,
) -> None:
    server = live_server(local(config))
    page.goto(server.url_for("/simulator"))
    page.select_option("#country", "+971")
    expect(page.locator("#number")).to_have_value("501234567")  # the country's example number
    page.check("input[name=channel][value=whatsapp]")
    send(page, "menu")
    reply = page.locator("#conversation .bubble.in").first
    expect(reply).to_have_attribute("lang", "ar")
    body = reply.locator(".body")
    expect(body).to_have_attribute("dir", "auto")
    assert body.evaluate("node => getComputedStyle(node).direction") == "rtl"
    assert "*" in render(Reply.menu(), "ar", "whatsapp").text  # WhatsApp's bold markers
    bold = body.locator("strong").first
    expect(bold).to_be_visible()
    assert "*" not in bold.text_content()
    # What the person typed is shown as text, never as markup.
    send(page, "<b>مرحبا</b> *عريض*")
    mine = page.locator("#conversation .bubble.out").last.locator(".body")
    expect(mine).to_have_text("<b>مرحبا</b> عريض")
    assert mine.locator("b").count() == 0
    expect(mine.locator("strong")).to_have_text("عريض")
    page.screenshot(path=str(artifact_path("simulator-whatsapp-arabic.png")), full_page=True)
    assert console_errors == []


def test_the_page_is_served_with_a_strict_policy(config: Config, redis: Redis) -> None:
    client = create_app(local(config)).test_client()
    response = client.get("/simulator")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    assert "/static/simulator.js" in html and "/static/simulator.css" in html
    for name in ("simulator.js", "simulator.css"):
        with client.get(f"/static/{name}") as static:
            assert static.status_code == 200
    assert "innerHTML" not in (STATIC / "simulator.js").read_text().replace("never innerHTML", "")


def test_the_page_is_off_when_twilio_credentials_are_set(client) -> None:
    assert client.get("/simulator").status_code == 404


def test_the_docs_screenshot_is_kept() -> None:
    assert DOCS_SCREENSHOT.exists() and DOCS_SCREENSHOT.stat().st_size > 10_000
    assert Path(DOCS_SCREENSHOT).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
