"""The Twilio transport's HTTP client against the fake API: what reaches Twilio, and how each
way a request can fail is classed (never sent and free to retry, or maybe sent and to be
looked up first), which is what keeps a retried send from going out twice."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from redis import Redis

from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import REAL
from messages.model import Channel, Reply
from tests.fake_twilio import FakeTwilio
from workers.delivery import Deliverer
from workers.event_loop import EventLoopThread
from workers.outbox import Outbox, SentLater
from workers.transport import Outgoing, SendError, TwilioTransport

MESSAGE = Outgoing(record_id="r-transport-1", address="+15005550006", channel=Channel.SMS,
                   body="Stem cell news & updates: reply MENU", person="p-transport", namespace="msb")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def loop() -> Iterator[EventLoopThread]:
    """The event loop a worker's sends run on."""
    running = EventLoopThread("test-sends")
    yield running
    running.stop()


@pytest.fixture
def transport(base_config: Config, loop: EventLoopThread) -> Iterator[TwilioTransport]:
    made = TwilioTransport(base_config)
    yield made
    loop.run(made.close())


def test_a_send_reaches_the_api_as_twilio_builds_it(
        base_config: Config, twilio: FakeTwilio, loop: EventLoopThread, transport: TwilioTransport) -> None:
    sid = loop.run(transport.send(MESSAGE))
    [request] = twilio.requests
    assert request.outcome == "created"
    assert sid == request.sid
    assert request.fields["To"] == MESSAGE.address
    assert request.fields["Body"] == MESSAGE.body  # form-encoded and decoded intact
    assert request.fields["From"] == base_config.twilio_sms_from


def test_a_refused_connection_was_never_sent(base_config: Config, loop: EventLoopThread) -> None:
    config = replace(base_config, twilio_api_base_url=f"http://127.0.0.1:{closed_port()}")
    refused = TwilioTransport(config)
    with pytest.raises(SendError) as raised:
        loop.run(refused.send(MESSAGE))
    loop.run(refused.close())
    assert raised.value.transient and not raised.value.ambiguous


def test_an_answer_lost_after_the_api_accepted_may_have_been_sent(
        twilio: FakeTwilio, loop: EventLoopThread, transport: TwilioTransport) -> None:
    twilio.script("accept_then_drop")
    with pytest.raises(SendError) as raised:
        loop.run(transport.send(MESSAGE))
    assert raised.value.transient and raised.value.ambiguous
    assert loop.run(transport.find_sent(MESSAGE, time.time() - 60)) == twilio.requests[0].sid


def test_a_rate_limited_send_is_free_to_retry_and_a_bad_number_is_final(
        twilio: FakeTwilio, loop: EventLoopThread, transport: TwilioTransport) -> None:
    twilio.script(429, ("error", 21211))
    errors = []
    for _ in range(2):
        with pytest.raises(SendError) as raised:
            loop.run(transport.send(MESSAGE))
        errors.append(raised.value)
    assert errors[0].code in (429, 20429) and errors[0].transient and not errors[0].ambiguous
    assert errors[1].code == 21211 and not errors[1].transient


def test_a_send_marked_later_that_a_crash_lost_is_found_at_twilio_not_sent_again(
        base_config: Config, twilio: FakeTwilio, redis: Redis,
        deliverers: Callable[[Config, Redis], Deliverer]) -> None:
    """A broadcast marks its sent records a few at a time (SentLater). If the process dies
    with some unmarked, the next attempt must find them at Twilio instead of sending again."""
    deliverer = deliverers(base_config, redis)
    book = AddressBook(base_config.phone_hash_key)
    with redis.pipeline() as pipe:
        Outbox.create(pipe, "r-later-1", {
            "kind": "broadcast", "transport": "twilio", "to": book.seal(MESSAGE.address),
            "channel": Channel.SMS, "person": "p-later", "namespace": REAL, "locale": "en",
            "reply": json.dumps(Reply.broadcast().to_dict()), "params": json.dumps({"text": "Trial news."}),
        })
        pipe.execute()
    unwritten = SentLater(deliverer.outbox, size=10)  # the process "dies" before it is written

    assert deliverer.deliver("r-later-1", sent_later=unwritten) == "sent"
    assert redis.hget("msb:outbox:r-later-1", "status") == b"sending"
    redis.hset("msb:outbox:r-later-1", "lease_until", "0")  # the dead process's claim runs out

    assert deliverer.deliver("r-later-1") == "sent"
    [create] = [r for r in twilio.requests if r.outcome == "created"]
    assert redis.hget("msb:outbox:r-later-1", "sid") == create.sid.encode()  # type: ignore[union-attr]
    assert len(twilio.requests) == 1  # looked up, not sent again
