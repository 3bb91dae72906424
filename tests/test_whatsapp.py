"""WhatsApp end to end: its own sender, the 24-hour window, templates, buttons, media."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from flask import Flask
from redis import Redis

from bot.models import Conversation, Inbound
from bot.services import services
from messages.model import Channel, Reply
from messages.render import render
from tests.conftest import WHATSAPP_FROM, TemplateFile, Twilio, WorkerProcess
from tests.fake_twilio import FakeTwilio

PERSON = "whatsapp:+14155550124"


def wait_final(redis: Redis, timeout: float = 10.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in redis.scan_iter("msb:outbox:*"):
            record = {k.decode(): v.decode() for k, v in redis.hgetall(key).items()}
            if record.get("status") in {"sent", "failed", "skipped"}:
                return record
        time.sleep(0.05)
    raise AssertionError("no outbox record became final")


def late_reply(app: Flask, body: str, hours_ago: float, language: str | None = None) -> None:
    """A message taken long ago whose reply is only now sent (the window may have closed)."""
    with app.app_context():
        intake = services().intake
        if language:
            person = intake.addresses.pseudonym(PERSON.removeprefix("whatsapp:"))
            key = intake.keys.conversation(Channel.WHATSAPP, person)
            intake.redis.hset(key, mapping=Conversation(language=language,
                                                        language_source="explicit").to_fields())
        inbound = Inbound("SM" + "7" * 32, PERSON.removeprefix("whatsapp:"), Channel.WHATSAPP, body,
                          received_at=time.time() - hours_ago * 3600)
        assert intake.accept(inbound) is not None


def test_a_whatsapp_message_gets_exactly_one_whatsapp_reply_from_the_whatsapp_sender(
    inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    inbound.send("RISKS", PERSON)
    [message] = twilio.wait_for_messages(1)
    assert message["to"] == PERSON
    assert message["from"] == WHATSAPP_FROM
    assert message["body"].startswith("*")  # WhatsApp's bold title, not the SMS layout
    assert message["body"] == render(Reply.topic_page("risks"), "en", Channel.WHATSAPP).text
    time.sleep(0.5)
    assert len(twilio.messages) == 1


def test_sms_and_whatsapp_are_two_conversations_but_one_opt_out(
    inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    sms = PERSON.removeprefix("whatsapp:")
    inbound.send("TRIALS", PERSON)
    twilio.wait_for_messages(1)
    inbound.send("MORE", sms)  # the SMS conversation has no topic yet
    messages = twilio.wait_for_messages(2)
    assert messages[1]["body"] == render(Reply.text("no_topic_for_more"), "en", Channel.SMS).text
    inbound.send("STOP", sms)
    twilio.wait_for_messages(3)
    inbound.send("RISKS", PERSON)
    time.sleep(1.0)
    assert len(twilio.messages) == 3  # opted out on SMS means opted out on WhatsApp too


def test_outside_the_window_a_reply_goes_as_the_template_in_the_persons_language(
    app: Flask, twilio: FakeTwilio, redis: Redis, templates: TemplateFile, worker: WorkerProcess
) -> None:
    templates.write({"reply": {"en": {"content_sid": "HX" + "e" * 32}}})
    late_reply(app, "RISKS", hours_ago=25)
    [message] = twilio.wait_for_messages(1)
    [request] = twilio.requests
    assert request.fields["ContentSid"] == "HX" + "e" * 32
    variables = json.loads(request.fields["ContentVariables"])
    assert variables == {"1": render(Reply.topic_page("risks"), "en", Channel.WHATSAPP).text}
    assert "Body" not in request.fields
    assert message["to"] == PERSON


def test_outside_the_window_without_a_template_the_send_is_refused_and_recorded(
    app: Flask, twilio: FakeTwilio, redis: Redis, templates: TemplateFile, worker: WorkerProcess
) -> None:
    templates.write({"reply": {"en": {"content_sid": "HX" + "e" * 32}}})  # none for German
    late_reply(app, "RISKS", hours_ago=25, language="de")
    record = wait_final(redis)
    assert record["status"] == "failed"
    assert record["reason"].startswith("no_template")
    assert "'de'" in record["reason"]
    time.sleep(0.5)
    assert twilio.requests == []


def test_inside_the_window_a_late_reply_is_free_form(
    app: Flask, twilio: FakeTwilio, templates: TemplateFile, worker: WorkerProcess
) -> None:
    templates.write({"reply": {"en": {"content_sid": "HX" + "e" * 32}}})
    late_reply(app, "RISKS", hours_ago=23)
    twilio.wait_for_messages(1)
    assert "ContentSid" not in twilio.requests[0].fields


def test_63016_is_recorded_and_not_retried(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    twilio.script(("error", 63016))
    inbound.send("RISKS", PERSON)
    record = wait_final(redis)
    time.sleep(3.5)  # past the first retry interval
    assert record["status"] == "failed"
    assert record["reason"] == "63016"
    assert [r.outcome for r in twilio.requests] == ["error_63016"]


def test_a_button_payload_routes_like_the_typed_keyword(
    inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    inbound.send("Clinical trials", PERSON, ButtonPayload="TRIALS", ButtonText="Clinical trials",
                 MessageType="button")
    [message] = twilio.wait_for_messages(1)
    assert message["body"] == render(Reply.topic_page("trials"), "en", Channel.WHATSAPP).text


def test_the_menu_goes_as_the_interactive_template_when_one_is_configured(
    inbound: Twilio, twilio: FakeTwilio, templates: TemplateFile, worker: WorkerProcess
) -> None:
    templates.write({"menu": {"en": "HX" + "a" * 32}})
    inbound.send("MENU", PERSON)
    twilio.wait_for_messages(1)
    assert twilio.requests[0].fields["ContentSid"] == "HX" + "a" * 32
    templates.write({})
    inbound.send("MENU", PERSON)
    messages = twilio.wait_for_messages(2)
    assert messages[1]["body"] == render(Reply.menu(), "en", Channel.WHATSAPP).text


def test_media_location_or_sticker_gets_the_text_only_reply_and_nothing_is_fetched(
    inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    hits: list[str] = []

    class Media(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Media)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    media_url = f"http://127.0.0.1:{server.server_port}/media/ME123"
    inbound.send("", PERSON, NumMedia="1", MediaUrl0=media_url, MediaContentType0="image/jpeg",
                 MessageType="image")
    inbound.send("", PERSON, Latitude="40.4", Longitude="-3.7", MessageType="location")
    inbound.send("", PERSON, NumMedia="1", MediaUrl0=media_url, MediaContentType0="image/webp",
                 MessageType="sticker")
    messages = twilio.wait_for_messages(3)
    text_only = render(Reply.text("text_only"), "en", Channel.WHATSAPP).text
    assert [m["body"] for m in messages] == [text_only] * 3
    time.sleep(0.3)
    server.shutdown()
    server.server_close()
    assert hits == []  # MediaUrl is never fetched
