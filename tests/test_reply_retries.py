"""A reply whose send failed for now is sent again after its backoff by the reply loop alone:
no RQ worker and no RQ scheduler run here (against the test's own Redis and the fake
Twilio API), which is what lets any surviving worker retry it at once after a crash."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace

from redis import Redis

from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import REAL
from bot.streams import GROUP, REPLY_RETRIES, REPLY_STREAM
from messages.model import Channel, Reply
from tests.fake_twilio import FakeTwilio
from workers.delivery import Deliverer
from workers.outbox import Outbox
from workers.replies import ReplySender

NUMBER = "+15005550123"


def queue_reply(redis: Redis, config: Config, record_id: str) -> None:
    """A reply as the intake leaves it: its outbox record and its entry on the reply stream."""
    with redis.pipeline() as pipe:
        Outbox.create(pipe, record_id, {
            "kind": "reply", "transport": "twilio", "to": AddressBook(config.phone_hash_key).seal(NUMBER),
            "channel": Channel.SMS, "person": "p-retry", "namespace": REAL, "locale": "en",
            "reply": json.dumps(Reply.broadcast().to_dict()), "params": json.dumps({"text": "Trial news."}),
        })
        pipe.xadd(REPLY_STREAM, {"record": record_id})
        pipe.execute()


def test_a_rate_limited_reply_waits_its_backoff_then_any_reply_loop_sends_it_once(
    own_redis: tuple[Redis, str], config: Config, twilio: FakeTwilio,
    deliverers: Callable[[Config, Redis], Deliverer],
) -> None:
    redis, url = own_redis
    mine = replace(config, redis_url=url)
    sender = ReplySender(redis, mine, deliverers(mine, redis), concurrency=4)
    sender.stream.ensure_group()
    queue_reply(redis, mine, "r-retry-1")
    twilio.script(429)  # the first attempt is refused; the next is accepted

    first_try = time.time()
    deadline = first_try + 5
    while redis.zscore(REPLY_RETRIES, "r-retry-1") is None and time.time() < deadline:
        sender.step("loop-a", block_seconds=0.1)
    due = redis.zscore(REPLY_RETRIES, "r-retry-1")
    assert due is not None and first_try + 0.5 < due < time.time() + 1.5  # one second's backoff
    assert redis.hget("msb:outbox:r-retry-1", "status") == b"pending"

    other = ReplySender(redis, mine, sender.deliverer, concurrency=4)  # another worker's loop
    deadline = time.time() + 10
    while redis.hget("msb:outbox:r-retry-1", "status") != b"sent" and time.time() < deadline:
        other.step("loop-b", block_seconds=0.1)
    other.shutdown(wait=True)
    sender.shutdown(wait=True)

    assert redis.hget("msb:outbox:r-retry-1", "status") == b"sent"
    assert time.time() > due  # not before its backoff
    assert [r.outcome for r in twilio.requests] == ["http_429", "created"]
    assert twilio.bodies_to(NUMBER) == [twilio.messages[0]["body"]]  # once
    assert redis.zcard(REPLY_RETRIES) == 0
    assert redis.xpending(REPLY_STREAM, GROUP)["pending"] == 0  # both entries acknowledged
