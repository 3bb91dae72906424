"""A broadcast batch's time slice, run in this process against its own Redis and the fake
Twilio API: records claimed a few at a time and not sent before the slice ended are given
back untouched, the slices together send every record exactly once, and a batch's job lets
its worker go before the batch's last answers come back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pytest
from redis import Redis

from bot.broadcasts import DONE, SENDING, Broadcasts, Draft
from bot.config import Config
from bot.keys import broadcast_batch_state
from messages.model import Channel
from tests.fake_twilio import FakeTwilio
from tests.test_broadcasts import seed
from workers import broadcasting
from workers.broadcasting import Broadcaster, batch_ids
from workers.delivery import Deliverer


def statuses(redis: Redis, record_ids: list[str]) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for record_id in record_ids:
        status, attempts = redis.hmget(f"msb:outbox:{record_id}", "status", "attempts")
        found[(status.decode(), attempts.decode())] += 1  # type: ignore[union-attr]
    return found


def fanned_out(redis: Redis, config: Config, build: Callable[[Config, Redis], Deliverer], recipients: int,
               first_number: int) -> tuple[Broadcasts, str, Broadcaster]:
    """A broadcast to ``recipients`` SMS subscribers, sent and fanned out into batches, and the
    broadcaster of a worker process at 1,000/s (100 sends at once, 10 claimed at a time)."""
    fast = replace(config, send_rate_per_second=1000)
    seed(redis, fast, [(f"+1415{first_number + i:07d}", Channel.SMS, "en") for i in range(recipients)])
    broadcasts = Broadcasts(redis, fast)
    created = broadcasts.create(Draft(texts={"en": "Batch update."}), "tester")
    broadcasts.send(created.id, "tester")
    broadcaster = Broadcaster(redis, fast, build(fast, redis))
    broadcaster.fan_out(created.id)
    return broadcasts, created.id, broadcaster


def test_claims_left_when_a_slice_ends_are_given_back_and_every_record_goes_once(
    own_redis: tuple[Redis, str], config: Config, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch,
    deliverers: Callable[[Config, Redis], Deliverer],
) -> None:
    redis, url = own_redis
    broadcasts, broadcast_id, broadcaster = fanned_out(redis, replace(config, redis_url=url), deliverers,
                                                       600, 7770000)
    record_ids = batch_ids(redis, broadcast_id)
    monkeypatch.setattr(twilio, "latency", 0.05)  # a knob the fake keeps: put back after
    monkeypatch.setattr(broadcasting, "SLICE_SECONDS", 0.3)  # the slice ends mid-batch

    assert broadcaster.send_batch(broadcast_id, 0).startswith("waiting")

    created_at_twilio = sum(1 for r in twilio.requests if r.outcome == "created")
    after_one_slice = statuses(redis, record_ids[:500])
    assert 0 < created_at_twilio < 500
    assert after_one_slice == {("sent", "1"): created_at_twilio, ("pending", "0"): 500 - created_at_twilio}

    for batch in (0, 1) * 20:
        broadcaster.send_batch(broadcast_id, batch)
        if broadcasts.get(broadcast_id).status == DONE:  # type: ignore[union-attr]
            break
    sent_to = Counter(m["to"] for m in twilio.messages)
    assert len(sent_to) == 600 and set(sent_to.values()) == {1}
    assert statuses(redis, record_ids) == {("sent", "1"): 600}


def test_a_batch_job_returns_before_its_last_answers_and_the_batch_settles_after_them(
    own_redis: tuple[Redis, str], config: Config, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch,
    deliverers: Callable[[Config, Redis], Deliverer],
) -> None:
    """The worker takes its next job as soon as every record of the batch is handed to a send,
    so the next batch's sends start while this one's last answers are awaited; the batch
    counts as done only once they are in, each record sent once."""
    redis, url = own_redis
    broadcasts, broadcast_id, broadcaster = fanned_out(redis, replace(config, redis_url=url), deliverers,
                                                       60, 7780000)
    monkeypatch.setattr(twilio, "latency", 0.5)  # answers come long after the sends start

    assert broadcaster.start_batch(broadcast_id, 0) == "handed out"

    assert redis.hget(broadcast_batch_state(broadcast_id), "0").startswith(b"running:")  # type: ignore[union-attr]
    assert broadcasts.get(broadcast_id).status == SENDING  # type: ignore[union-attr]
    assert broadcaster.finish_batches(timeout=15)
    assert redis.hget(broadcast_batch_state(broadcast_id), "0") == b"done"
    assert broadcasts.get(broadcast_id).status == DONE  # type: ignore[union-attr]
    assert statuses(redis, batch_ids(redis, broadcast_id)) == {("sent", "1"): 60}
    assert sorted(Counter(m["to"] for m in twilio.messages).values()) == [1] * 60
