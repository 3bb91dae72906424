"""The staff console in a real browser (Debian's chromium through Playwright, tests/browser.py).

An admin signs in, writes an update in English and Spanish, reads the live preview (checked
against the segment counter the senders use), confirms, and watches the broadcast reach 200
subscribers through the fake Twilio API, sent by the session's real worker. A viewer sees no
Send button, and a request forged from their own session is refused.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from playwright.sync_api import Page, expect
from redis import Redis

from bot.broadcasts import DONE, DRAFT, Broadcasts, Draft
from bot.config import Config
from bot.staff import ADMIN, VIEWER, StaffStore
from messages.model import Channel, Reply
from messages.render import render
from messages.segments import count_segments
from tests.browser import ROOT, artifact_path
from tests.conftest import WorkerProcess
from tests.fake_twilio import FakeTwilio
from tests.test_broadcasts import seed

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
ENGLISH = "A new HSCT trial is recruiting in London. Reply TRIALS to learn more."
SPANISH = ("Nuevo ensayo clínico de TCMH en Madrid: plazas abiertas para personas con EM "
           "remitente-recurrente. Más información pronto.")
PACE_PER_HOUR = 144_000  # 40 a second: slow enough to watch the bar move, quick enough to wait for
README_SCREENSHOT = ROOT / "docs" / "console.png"


def sign_in(page: Page, url: str, username: str) -> None:
    """Open a console page signed out, get sent to the login form, come back signed in."""
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(url)


def sms_segments(language: str, text: str) -> tuple[int, str]:
    count = count_segments(render(Reply.broadcast(), language, Channel.SMS, {"text": text}).text)
    return count.segments, count.encoding


def test_an_admin_composes_in_two_languages_and_watches_200_messages_go_out(
    page: Page, console_errors: list[str], live_server, redis: Redis, config: Config,
    twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    StaffStore(redis).create("ada", PASSWORD, ADMIN)
    people = ([(f"+1415777{i:04d}", Channel.SMS, "en") for i in range(100)]
              + [(f"+3460077{i:04d}", Channel.SMS, "es") for i in range(60)]
              + [(f"+3461077{i:04d}", Channel.WHATSAPP, "es") for i in range(40)])
    seed(redis, config, people, window_hours_ago={n: 1.0 for n, c, _ in people if c == Channel.WHATSAPP})
    server = live_server(config)

    sign_in(page, server.url_for("/console/broadcasts/new"), "ada")
    page.fill("#text_en", ENGLISH)
    page.fill("#text_es", SPANISH)
    page.fill("#pace_per_hour", str(PACE_PER_HOUR))

    # The preview, as typed: each language's segments and encoding as the senders count them.
    en_segments, en_encoding = sms_segments("en", ENGLISH)
    es_segments, es_encoding = sms_segments("es", SPANISH)
    assert (en_encoding, es_encoding) == ("GSM-7", "UCS-2") and es_segments > 1
    english, spanish = page.locator('tr[data-lang="en"]'), page.locator('tr[data-lang="es"]')
    expect(spanish.locator(".segments")).to_have_text(str(es_segments))
    expect(spanish.locator(".encoding")).to_have_text(es_encoding)
    expect(english.locator(".segments")).to_have_text(str(en_segments))
    expect(english.locator(".encoding")).to_have_text(en_encoding)
    expect(spanish.locator(".sms-recipients")).to_have_text("60")
    expect(spanish.locator(".whatsapp-recipients")).to_have_text("40")
    expect(english.locator(".sms-recipients")).to_have_text("100")
    french = page.locator('tr[data-lang="fr"]')
    expect(french.locator(".source")).to_have_text("gets the English text")
    expect(french.locator(".segments")).to_have_text(str(en_segments))
    expect(page.locator("#total-recipients")).to_have_text("200")
    expect(page.locator("#total-segments")).to_have_text(str(100 * en_segments + 60 * es_segments))
    expect(page.locator("#total-time")).to_have_text("5 s")  # 200 at 40 a second
    cost = (100 * en_segments + 60 * es_segments) * config.sms_price_per_segment
    expect(page.locator("#total-cost")).to_have_text(f"${cost:,.2f}")
    spanish_text = render(Reply.broadcast(), "es", Channel.SMS, {"text": SPANISH}).text
    assert spanish.locator(".sms-text").text_content() == spanish_text
    page.screenshot(path=str(artifact_path("console-compose.png")), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#text_es").blur()
    page.evaluate("window.scrollTo(0, 0)")
    if not README_SCREENSHOT.exists() or os.environ.get("UPDATE_SCREENSHOTS") == "1":
        page.screenshot(path=str(README_SCREENSHOT))  # the README's copy: only when asked
    page.set_viewport_size({"width": 1100, "height": 860})

    # Review, then confirm.
    page.click("#review")
    expect(page.locator("#send-now")).to_have_text("Send now to 200 people")
    expect(page.locator('tr[data-lang="es"] .segments')).to_have_text(str(es_segments))
    broadcast_id = page.url.rsplit("/", 1)[1]
    page.click("#send-now")
    expect(page.locator("#progress-panel")).to_be_visible()

    # Watch the bar move live (the page is not reloaded) until it is full.
    seen: list[float] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        seen.append(page.eval_on_selector("#progress", "bar => bar.value"))
        if seen[-1] >= 100:
            break
        time.sleep(0.1)
    assert seen[-1] == 100, f"the progress bar stopped at {seen[-1]}%"
    assert any(0 < value < 100 for value in seen), f"no progress between 0 and 100% was shown: {seen[:20]}"
    expect(page.locator("#progress-text")).to_have_text("100%")
    expect(page.locator("#progress-panel")).to_have_attribute("data-status", DONE)
    expect(page.locator("#live-note")).to_have_text("Finished.")
    expect(page.locator("#pause")).to_be_hidden()
    expect(page.locator("#finished-at")).to_contain_text(" UTC")

    # The page's counts are the fake Twilio's records.
    sent = len(twilio.messages)
    assert sent == 200
    assert len({m["to"] for m in twilio.messages}) == 200
    expect(page.locator("#count-total")).to_have_text("200")
    expect(page.locator("#count-sent")).to_have_text(str(sent))
    expect(page.locator("#count-failed")).to_have_text("0")
    expect(page.locator("#count-skipped")).to_have_text("0")
    bodies = {m["to"]: m["body"] for m in twilio.messages}
    assert bodies["+34600770000"] == spanish_text
    stored = Broadcasts(redis, config).get(broadcast_id)
    assert stored is not None and stored.counts["sent"] == sent and stored.draft.pace_per_hour == PACE_PER_HOUR
    page.screenshot(path=str(artifact_path("console-broadcast.png")), full_page=True)

    page.goto(server.url_for("/console/audit"))
    rows = page.locator("#audit tbody tr")
    expect(rows.first).to_contain_text("send")
    audit = [(e["who"], e["action"]) for e in reversed(Broadcasts(redis, config).audit_log())]
    assert audit == [("ada", "login"), ("ada", "create"), ("ada", "send")]
    assert console_errors == []  # no script error, no Content-Security-Policy violation


def test_a_viewer_sees_no_send_button_and_a_forged_post_is_refused(
    page: Page, console_errors: list[str], live_server, redis: Redis, config: Config
) -> None:
    StaffStore(redis).create("vi", PASSWORD, VIEWER)
    draft = Broadcasts(redis, config).create(Draft(texts={"en": "Trial news."}), "ada")
    server = live_server(config)
    url = server.url_for(f"/console/broadcasts/{draft.id}")
    sign_in(page, url, "vi")
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#send-now")).to_have_count(0)
    expect(page.locator("nav").get_by_text("Compose")).to_have_count(0)

    forged = """async ([path, withToken]) => {
        const form = new FormData();
        form.append("when", "now");
        if (withToken) form.append("csrf_token", document.querySelector('meta[name="csrf-token"]').content);
        const answer = await fetch(path, {method: "POST", body: form, credentials: "same-origin"});
        return answer.status;
    }"""
    send_path = f"/console/broadcasts/{draft.id}/send"
    assert page.evaluate(forged, [send_path, True]) == 403
    assert page.evaluate(forged, [send_path, False]) == 400
    page.goto(server.url_for("/console/broadcasts/new"))
    expect(page.locator("h1")).to_have_text("403 · Forbidden")
    assert Broadcasts(redis, config).get(draft.id).status == DRAFT  # type: ignore[union-attr]
    assert [e for e in console_errors if "403" not in e and "400" not in e] == []
