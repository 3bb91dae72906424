"""Subscriptions and broadcasts end to end: the webhook, the session worker, the fake Twilio.

A broadcast must reach every subscriber who may receive it exactly once, in their language,
on their channel (as a template outside WhatsApp's window), and nobody who opted out.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from bot.broadcasts import CANCELLED, DONE, PAUSED, SCHEDULED, SENDING, Broadcast, Broadcasts, Draft
from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import REAL, Keys
from bot.models import Conversation
from bot.subscriptions import audience, iterate, subscribe
from messages.model import Channel, Reply
from messages.render import render
from tests.conftest import PUBLIC_BASE_URL, TemplateFile, Twilio, WorkerProcess, sign
from tests.fake_twilio import FakeTwilio

KEYS = Keys(REAL)
TEMPLATE_SID = "HX" + "b" * 32


def seed(redis: Redis, config: Config, numbers: list[tuple[str, str, str]],
         opted_out: frozenset[str] = frozenset(), window_hours_ago: dict[str, float] | None = None) -> None:
    """Subscribers as JOIN would leave them: (number, channel, language) each."""
    book = AddressBook(config.phone_hash_key)
    now = time.time()
    with redis.pipeline() as pipe:
        for number, channel, language in numbers:
            person = book.pseudonym(number)
            address = f"whatsapp:{number}" if channel == Channel.WHATSAPP else number
            subscribe(pipe, KEYS, channel=channel, person=person, sealed_address=book.seal(address),
                      language=language, time_zones="Europe/Madrid", now=now, previous_language=None)
            if number in opted_out:
                pipe.set(KEYS.opt_out(person), "1")
            hours = (window_hours_ago or {}).get(number)
            if hours is not None:
                state = Conversation(language=language, last_inbound_at=now - hours * 3600)
                pipe.hset(KEYS.conversation(channel, person), mapping=state.to_fields())
        pipe.execute()


def wait_for(predicate_description: str, check: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {predicate_description}")


def finished(broadcasts: Broadcasts, broadcast_id: str, timeout: float = 60.0) -> Broadcast:
    wait_for("the broadcast to finish",
             lambda: broadcasts.get(broadcast_id).status == DONE, timeout)  # type: ignore[union-attr]
    found = broadcasts.get(broadcast_id)
    assert found is not None
    return found


@pytest.fixture
def broadcasts(redis: Redis, config: Config) -> Iterator[Broadcasts]:
    yield Broadcasts(redis, config)


def redis_values(redis: Redis) -> bytes:
    """Everything stored under the bot's keys, as one blob to search for leaked numbers."""
    blob = []
    for key in redis.scan_iter("msb:*"):
        kind = redis.type(key)
        blob.append(key)
        if kind == b"hash":
            blob.extend(v for pair in redis.hgetall(key).items() for v in pair)
        elif kind == b"string":
            blob.append(redis.get(key) or b"")
        elif kind == b"zset":
            blob.extend(m for m, _ in redis.zrange(key, 0, -1, withscores=True))
        elif kind == b"list":
            blob.extend(redis.lrange(key, 0, -1))
    return b"\n".join(blob)


# -- subscribing -----------------------------------------------------------------------------


def test_subscribe_asks_for_consent_and_join_gives_it_with_the_number_sealed(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    number = "+34600111222"
    inbound.send("SUSCRIBIRME", number)
    [ask] = twilio.wait_for_messages(1)
    assert ask["body"] == render(Reply.text("subscribe_ask"), "es", Channel.SMS).text
    assert list(iterate(redis, KEYS)) == []  # asking is not consent

    inbound.send("CONFIRMAR", number)
    confirmed = twilio.wait_for_messages(2)[1]
    assert confirmed["body"] == render(Reply.text("subscribed"), "es", Channel.SMS).text
    [subscriber] = list(iterate(redis, KEYS))
    assert (subscriber.channel, subscriber.language) == ("sms", "es")
    assert set(subscriber.time_zones.split()) == {"Europe/Madrid", "Atlantic/Canary"}
    assert subscriber.consented_at > time.time() - 60
    assert audience(redis, KEYS) == {("sms", "es"): 1}
    stored = redis_values(redis)
    assert number.encode() not in stored and number[1:].encode() not in stored


def test_lang_moves_the_subscription_and_stop_on_any_channel_ends_it(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    number = "+14155550177"
    inbound.send("JOIN", number)
    inbound.send("JOIN", f"whatsapp:{number}")
    twilio.wait_for_messages(2)
    assert len(list(iterate(redis, KEYS))) == 2
    inbound.send("LANG francais", number)
    twilio.wait_for_messages(3)
    assert audience(redis, KEYS) == {("sms", "fr"): 1, ("whatsapp", "en"): 1}
    inbound.send("STOP", f"whatsapp:{number}")
    twilio.wait_for_messages(4)
    assert list(iterate(redis, KEYS)) == []
    assert audience(redis, KEYS) == {}
    inbound.send("JOIN", number)  # opted out: JOIN does nothing until START
    time.sleep(0.5)
    assert list(iterate(redis, KEYS)) == [] and len(twilio.messages) == 4


# -- sending -----------------------------------------------------------------------------------


def test_two_thousand_subscribers_each_eligible_one_gets_exactly_one_message(
    redis: Redis, config: Config, twilio: FakeTwilio, templates: TemplateFile, worker: WorkerProcess,
    broadcasts: Broadcasts, client: FlaskClient
) -> None:
    templates.write({"broadcast": {"en": {"content_sid": TEMPLATE_SID}}})  # none for Spanish
    people = [(f"+1415{i:07d}", Channel.SMS, "en" if i % 3 else "es") for i in range(1800)]
    whatsapp = [(f"+3461{i:07d}", Channel.WHATSAPP, "en" if i % 2 else "es") for i in range(200)]
    opted_out = frozenset(number for number, _, _ in people[::20])  # 90 people said STOP
    # Half the WhatsApp subscribers wrote within the day; the others were silent for 25 hours.
    hours = {number: (1.0 if i % 4 < 2 else 25.0) for i, (number, _, _) in enumerate(whatsapp)}
    seed(redis, config, people + whatsapp, opted_out, hours)

    draft = Draft(texts={"en": "New: a trial of HSCT opened.", "es": "Nuevo: se abrió un ensayo de TCMH."})
    created = broadcasts.create(draft, "tester")
    broadcasts.send(created.id, "tester")
    done = finished(broadcasts, created.id, timeout=90)

    silent = {n for n, _, _ in whatsapp if hours[n] > 24}
    refused = {n for n, _, lang in whatsapp if n in silent and lang == "es"}  # no Spanish template
    eligible = {n for n, _, _ in people + whatsapp} - opted_out - refused
    sent_to = Counter(m["to"].removeprefix("whatsapp:") for m in twilio.messages)
    assert set(sent_to) == eligible
    assert max(sent_to.values()) == 1
    assert done.counts == {"total": 2000, "sent": len(eligible), "skipped": len(opted_out),
                           "failed": len(refused), "delivered": 0, "undelivered": 0}
    by_to = {r.fields["To"]: r.fields for r in twilio.requests}
    spanish_sms = next(n for n, _, lang in people if lang == "es" and n not in opted_out)
    assert by_to[spanish_sms]["Body"] == render(Reply.broadcast(), "es", Channel.SMS,
                                                {"text": draft.texts["es"]}).text
    late_english = next(n for n, _, lang in whatsapp if n in silent and lang == "en")
    assert by_to[f"whatsapp:{late_english}"]["ContentSid"] == TEMPLATE_SID
    assert "Body" not in by_to[f"whatsapp:{late_english}"]
    fresh = next(n for n in (w for w, _, _ in whatsapp) if n not in silent)
    assert "ContentSid" not in by_to[f"whatsapp:{fresh}"]

    # Status callbacks, repeated and shuffled, move the counts exactly once each.
    sample = [m for m in twilio.messages][:300]
    callbacks = []
    for index, message in enumerate(sample):
        final = "undelivered" if index % 10 == 0 else "delivered"
        for status in ("queued", "sent", final, final, "sent"):
            callbacks.append({"MessageSid": message["sid"], "MessageStatus": status,
                              "AccountSid": config.twilio_account_sid})
    random.Random(7).shuffle(callbacks)
    url = f"{PUBLIC_BASE_URL}/twilio/status"
    for form in callbacks:
        answer = client.post("/twilio/status", data=form,
                             headers={"X-Twilio-Signature": sign(url, form, config.twilio_auth_token)})
        assert answer.status_code == 204
    after = broadcasts.get(created.id)
    assert after is not None
    assert after.counts["delivered"] == 270 and after.counts["undelivered"] == 30
    assert after.counts["sent"] == len(eligible)  # delivery reports do not change what was sent
    statuses = Counter(redis.hget(f"msb:outbox:{r}", "delivery") for r in
                       [redis.get(f"msb:sid:{m['sid']}").decode() for m in sample])  # type: ignore[union-attr]
    assert statuses == {b"delivered": 270, b"undelivered": 30}


def test_a_whatsapp_subscriber_silent_for_25_hours_gets_the_broadcast_template_in_their_language(
    redis: Redis, config: Config, twilio: FakeTwilio, templates: TemplateFile, worker: WorkerProcess,
    broadcasts: Broadcasts
) -> None:
    templates.write({"broadcast": {"es": {"content_sid": TEMPLATE_SID}, "en": {"content_sid": "HX" + "c" * 32}}})
    seed(redis, config, [("+34612000001", Channel.WHATSAPP, "es")], window_hours_ago={"+34612000001": 25})
    draft = Draft(texts={"en": "Trial news.", "es": "Noticias de ensayos."})
    created = broadcasts.create(draft, "tester")
    broadcasts.send(created.id, "tester")
    finished(broadcasts, created.id)
    [request] = twilio.requests
    assert request.fields["To"] == "whatsapp:+34612000001"
    assert request.fields["ContentSid"] == TEMPLATE_SID
    expected = render(Reply.broadcast(), "es", Channel.WHATSAPP, {"text": "Noticias de ensayos."}).text
    assert json.loads(request.fields["ContentVariables"]) == {"1": expected}


def test_a_topic_broadcast_goes_in_each_subscribers_language(
    redis: Redis, config: Config, twilio: FakeTwilio, worker: WorkerProcess, broadcasts: Broadcasts
) -> None:
    seed(redis, config, [("+33612000001", Channel.SMS, "fr"), ("+49151000001", Channel.SMS, "de")])
    created = broadcasts.create(Draft(topic="trials"), "tester")
    broadcasts.send(created.id, "tester")
    finished(broadcasts, created.id)
    bodies = {m["to"]: m["body"] for m in twilio.messages}
    assert bodies == {"+33612000001": render(Reply.topic_page("trials"), "fr", Channel.SMS).text,
                      "+49151000001": render(Reply.topic_page("trials"), "de", Channel.SMS).text}


def test_pause_holds_the_rest_resume_sends_it_once_and_cancel_stops_for_good(
    redis: Redis, config: Config, twilio: FakeTwilio, worker: WorkerProcess, broadcasts: Broadcasts
) -> None:
    numbers = [(f"+1415666{i:04d}", Channel.SMS, "en") for i in range(8)]
    seed(redis, config, numbers)
    created = broadcasts.create(Draft(texts={"en": "Paced update."}, pace_per_hour=3 * 3600), "tester")
    broadcasts.send(created.id, "tester")  # three a second: slow enough to pause mid-way
    twilio.wait_for_messages(2)
    broadcasts.pause(created.id, "tester")
    time.sleep(0.6)  # a send already holding its token may still land
    held = len(twilio.messages)
    time.sleep(1.5)
    assert len(twilio.messages) == held < 8
    assert broadcasts.get(created.id).status == PAUSED  # type: ignore[union-attr]
    broadcasts.resume(created.id, "tester")
    done = finished(broadcasts, created.id, timeout=30)
    assert sorted(m["to"] for m in twilio.messages) == sorted(n for n, _, _ in numbers)
    assert done.counts["sent"] == 8

    twilio.reset()
    second = broadcasts.create(Draft(texts={"en": "Another paced update."}, pace_per_hour=2 * 3600), "tester")
    broadcasts.send(second.id, "tester")
    twilio.wait_for_messages(1)
    broadcasts.cancel(second.id, "tester")
    time.sleep(0.6)
    stopped = len(twilio.messages)
    time.sleep(2.0)
    assert len(twilio.messages) == stopped < 8
    assert broadcasts.get(second.id).status == CANCELLED  # type: ignore[union-attr]
    actions = [(entry["who"], entry["action"]) for entry in reversed(broadcasts.audit_log())]
    assert actions == [("tester", a) for a in ("create", "send", "pause", "resume", "create", "send", "cancel")]


def test_a_scheduled_broadcast_waits_for_its_time(
    redis: Redis, config: Config, twilio: FakeTwilio, worker: WorkerProcess, broadcasts: Broadcasts
) -> None:
    seed(redis, config, [("+14155550199", Channel.SMS, "en")])
    created = broadcasts.create(Draft(texts={"en": "Scheduled update."}), "tester")
    broadcasts.send(created.id, "tester", at=time.time() + 3)
    assert broadcasts.get(created.id).status == SCHEDULED  # type: ignore[union-attr]
    time.sleep(1.5)
    assert twilio.messages == []
    finished(broadcasts, created.id, timeout=15)
    assert [m["to"] for m in twilio.messages] == ["+14155550199"]


def test_drafts_with_problems_are_refused_with_every_problem_named(broadcasts: Broadcasts) -> None:
    from bot.broadcasts import BroadcastError

    with pytest.raises(BroadcastError) as error:
        broadcasts.create(Draft(texts={"es": "x" * 1300, "xx": "?"}, pace_per_hour=0,
                                scheduled_for=time.time() - 3600), "tester")
    message = str(error.value)
    for expected in ("English text is required", "1300 characters", "Unknown language 'xx'",
                     "at least 1 message an hour", "in the past"):
        assert expected in message
    assert broadcasts.recent() == []


def test_a_sending_broadcast_cannot_be_sent_again(
    redis: Redis, config: Config, broadcasts: Broadcasts, app: Flask
) -> None:
    from bot.broadcasts import BroadcastError

    created = broadcasts.create(Draft(texts={"en": "Once."}), "tester")
    broadcasts.send(created.id, "tester", at=time.time() + 3600)
    with pytest.raises(BroadcastError):
        broadcasts.send(created.id, "tester")
    assert broadcasts.get(created.id).status in {SCHEDULED, SENDING}  # type: ignore[union-attr]
