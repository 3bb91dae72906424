"""End to end over SMS: signed webhook -> Redis -> real worker -> real twilio client -> fake API."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from redis import Redis
from werkzeug.serving import make_server

from bot import create_app
from bot.config import Config
from messages.model import Channel, Reply
from messages.render import render
from tests.conftest import PUBLIC_BASE_URL, Twilio, WorkerProcess, nothing_queued, sign
from tests.fake_twilio import FakeTwilio

NUMBER = "+14155550123"


def expected(reply: Reply, channel: str = Channel.SMS) -> str:
    return render(reply, "en", channel).text


def settle(seconds: float = 1.0) -> None:
    """Give a wrongly queued job time to show itself before asserting it did not happen."""
    time.sleep(seconds)


def test_risks_gets_exactly_one_sms_with_the_risks_summary(
    inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    response = inbound.send("RISKS", NUMBER)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert b"<Response />" in response.data or b"<Response/>" in response.data
    [message] = twilio.wait_for_messages(1)
    assert message["to"] == NUMBER
    assert message["from"] == "+15005550006"
    assert message["body"] == expected(Reply.topic_page("risks"))
    assert "neurologist" in message["body"].lower()
    settle(0.5)
    assert len(twilio.messages) == 1


def test_more_continues_the_topic_for_that_person(
    inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    inbound.send("TRIALS", NUMBER)
    twilio.wait_for_messages(1)
    inbound.send("MORE", NUMBER)
    messages = twilio.wait_for_messages(2)
    assert messages[1]["body"] == expected(Reply.topic_page("trials", 2))


@pytest.fixture
def live_app(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_same_message_sid_five_times_at_once_gives_one_reply(
    live_app: str, inbound: Twilio, config: Config, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    form = inbound.form("RISKS", NUMBER)
    signature = sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, config.twilio_auth_token)
    barrier = threading.Barrier(5)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        reply = requests.post(f"{live_app}/twilio/messages", data=form,
                              headers={"X-Twilio-Signature": signature}, timeout=10)
        statuses.append(reply.status_code)

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 5
    twilio.wait_for_messages(1)
    settle()
    assert len(twilio.messages) == 1


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl", None])
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_sent(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess,
    signature: str | None,
) -> None:
    form = inbound.form("RISKS", NUMBER)
    if signature is None:
        response = inbound.client.post("/twilio/messages", data=form)
    else:
        response = inbound.post(form, signature=signature)
    assert response.status_code == 403
    assert nothing_queued(redis)
    settle(0.5)
    assert twilio.messages == []


def test_a_signature_for_another_body_is_refused(inbound: Twilio, config: Config,
                                                  twilio: FakeTwilio) -> None:
    form = inbound.form("RISKS", NUMBER)
    signature = sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, config.twilio_auth_token)
    form["Body"] = "TRIALS"
    assert inbound.post(form, signature=signature).status_code == 403


def test_429_then_success_gives_exactly_one_message(
    inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    twilio.script(429)
    inbound.send("MSC", NUMBER)
    twilio.wait_for_messages(1, timeout=15)
    settle()
    assert len(twilio.messages) == 1
    assert [r.outcome for r in twilio.requests] == ["http_429", "created"]


def test_a_dropped_answer_is_reconciled_not_resent(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    twilio.script("accept_then_drop")
    inbound.send("HSCT", NUMBER)
    twilio.wait_for_messages(1)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        statuses = {redis.hget(key, "status") for key in redis.scan_iter("msb:outbox:*")}
        if statuses == {b"sent"}:
            break
        time.sleep(0.2)
    assert statuses == {b"sent"}
    assert len(twilio.messages) == 1
    assert [r.outcome for r in twilio.requests] == ["accept_then_drop"]


def test_21610_is_recorded_not_retried_and_the_person_is_opted_out(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    twilio.script(("error", 21610))
    inbound.send("RISKS", NUMBER)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not twilio.requests:
        time.sleep(0.05)
    settle(3.5)  # longer than the first retry interval
    assert [r.outcome for r in twilio.requests] == ["error_21610"]
    [key] = list(redis.scan_iter("msb:outbox:*"))
    assert redis.hget(key, "status") == b"failed"
    assert redis.hget(key, "reason") == b"21610"
    inbound.send("TRIALS", NUMBER)
    settle()
    assert twilio.messages == []


def test_stop_is_confirmed_once_and_then_nothing_is_sent_until_start(
    inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    inbound.send("STOP", NUMBER)
    [confirmation] = twilio.wait_for_messages(1)
    assert confirmation["body"] == expected(Reply.text("stop_confirm"))
    inbound.send("RISKS", NUMBER)
    inbound.send("STOP", NUMBER)
    settle()
    assert len(twilio.messages) == 1
    inbound.send("START", NUMBER)
    inbound.send("RISKS", NUMBER)
    messages = twilio.wait_for_messages(3)
    assert [m["body"] for m in messages[1:]] == [
        expected(Reply.text("start_confirm")), expected(Reply.topic_page("risks"))]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"From": None}, 400),
        ({"Body": None}, 400),
        ({"MessageSid": None}, 400),
        ({"From": "not-a-number"}, 400),
        ({"Body": "x" * 5000}, 400),
        ({"NumMedia": "many"}, 400),
    ],
    ids=["no-from", "no-body", "no-sid", "bad-from", "long-body", "bad-nummedia"],
)
def test_bad_requests_get_a_clear_4xx_and_nothing_is_queued(
    inbound: Twilio, redis: Redis, change: dict[str, str | None], status: int
) -> None:
    form = inbound.form("RISKS", NUMBER)
    for name, value in change.items():
        if value is None:
            form.pop(name)
        else:
            form[name] = value
    response = inbound.post(form)
    assert response.status_code == status
    assert response.data.strip()
    assert nothing_queued(redis)


def test_a_json_body_is_refused_with_415(inbound: Twilio, redis: Redis) -> None:
    response = inbound.client.post("/twilio/messages", json={"Body": "RISKS"})
    assert response.status_code == 415
    assert nothing_queued(redis)


def test_an_oversized_request_is_refused_with_413(inbound: Twilio, redis: Redis) -> None:
    form = inbound.form("x" * 70_000, NUMBER)
    assert inbound.post(form).status_code == 413
    assert nothing_queued(redis)


def test_healthz_is_200_with_redis_and_503_without(client, config: Config) -> None:
    assert client.get("/healthz").status_code == 200
    broken = create_app(config.with_overrides(redis_url="redis://127.0.0.1:1/0"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"] == "unreachable"


def test_the_webhook_answers_503_when_redis_is_down(config: Config) -> None:
    broken = create_app(config.with_overrides(redis_url="redis://127.0.0.1:1/0"))
    tw = Twilio(broken.test_client(), config)
    assert tw.send("RISKS", NUMBER).status_code == 503


