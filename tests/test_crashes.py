"""Crashes: workers killed mid-broadcast, a worker asked to stop, Redis killed and restarted,
Redis out of memory. Nothing acknowledged may be lost and nothing may be sent twice.

Slow (tens of seconds each): marked ``slow`` and bounded by the timeouts below.
"""

from __future__ import annotations

import signal
import socket
import time
from collections import Counter

import pytest
from redis import Redis
from redis.exceptions import OutOfMemoryError

from bot import create_app
from bot.broadcasts import DONE, Broadcasts, Draft
from bot.crypto import AddressBook
from bot.keys import REAL, Keys
from messages.model import Channel
from tests.conftest import SENT, Twilio, sign
from tests.fake_twilio import FakeTwilio
from tests.isolated import Stack
from tests.test_broadcasts import seed

pytestmark = pytest.mark.slow


def outbox_statuses(redis: Redis) -> Counter[str]:
    """Status (and the reason, for records that did not go) -> how many records."""
    statuses: Counter[str] = Counter()
    for key in redis.scan_iter("msb:outbox:*", count=2000):
        status, reason = redis.hmget(key, "status", "reason")
        label = (status or b"?").decode() + (f" ({reason.decode()})" if reason else "")
        statuses[label] += 1
    return statuses


def start_broadcast(stack: Stack, recipients: int, text: str) -> str:
    numbers = [(f"+1415{i:07d}", Channel.SMS, "en") for i in range(recipients)]
    seed(stack.redis, stack.config, numbers)
    broadcasts = Broadcasts(stack.redis, stack.config)
    created = broadcasts.create(Draft(texts={"en": text}), "tester")
    broadcasts.send(created.id, "tester")
    return created.id


def broadcast_state(stack: Stack, broadcast_id: str) -> str:
    """What an operator would look at when a broadcast seems stuck (for failure messages)."""
    fields = stack.redis.hgetall(f"msb:broadcast:{broadcast_id}")
    batches = stack.redis.hgetall(f"msb:broadcast:{broadcast_id}:batch-state")
    return f"broadcast {fields}, batches {batches}, outbox {dict(outbox_statuses(stack.redis))}"


def assert_each_once(twilio: FakeTwilio, recipients: int) -> None:
    sent_to = Counter(m["to"] for m in twilio.messages)
    assert len(sent_to) == recipients, f"{recipients - len(sent_to)} recipients got nothing"
    duplicates = {to: n for to, n in sent_to.items() if n > 1}
    assert not duplicates, f"{len(duplicates)} recipients got more than one message"


def test_kill_9_three_times_during_a_10000_recipient_broadcast_loses_and_doubles_nothing(
    stack: Stack, twilio: FakeTwilio
) -> None:
    twilio.latency = 0.02  # every send is in flight for a while: kills land mid-send
    broadcast_id = start_broadcast(stack, 10_000, "Kill test update.")
    workers = [stack.start_worker(), stack.start_worker()]
    for kill_at in (1500, 4000, 6500):
        stack.wait_until(f"{kill_at} messages", lambda n=kill_at: len(twilio.messages) >= n, timeout=120)
        victim = workers.pop(0)
        stack.kill_worker(victim)
        workers.append(stack.start_worker())
    broadcasts = Broadcasts(stack.redis, stack.config)
    stack.wait_until("the broadcast to finish",
                     lambda: broadcasts.get(broadcast_id).status == DONE, timeout=240)  # type: ignore[union-attr]
    assert_each_once(twilio, 10_000)
    assert outbox_statuses(stack.redis) == {"sent": 10_000}
    assert broadcasts.get(broadcast_id).counts["sent"] == 10_000  # type: ignore[union-attr]


@pytest.mark.timeout(420)
def test_kill_9_while_messages_are_routed_and_replies_in_flight_answers_each_once(
    stack: Stack, twilio: FakeTwilio
) -> None:
    """The webhook only queues; the workers route and send. A worker killed with messages
    half-routed and replies waiting on Twilio leaves them pending in the streams; another
    worker reclaims them after the lease (a minute: longer than a send may take) and the
    outbox's lookup keeps a reply that did go out from going again."""
    twilio.latency = 0.3  # a killed worker has about 30 replies in flight
    workers = [stack.start_worker(), stack.start_worker()]
    client = create_app(stack.config).test_client()
    inbound = Twilio(client, stack.config)
    senders = [f"+1628555{i:04d}" for i in range(400)]
    for index, sender in enumerate(senders):
        form = inbound.form(("RISKS", "TRIALS", "COST", "MSC")[index % 4], sender)
        SENT.record(form)
        url = f"{stack.config.public_base_url}/twilio/messages"
        response = client.post("/twilio/messages", data=form,
                               headers={"X-Twilio-Signature": sign(url, form, stack.config.twilio_auth_token)})
        assert response.status_code == 200
        if index == 200:
            stack.wait_until("replies in flight", lambda: twilio.api_calls >= 100, timeout=30)
            victim = workers.pop(0)
            stack.kill_worker(victim)
            consumer = f"{socket.gethostname()}-{victim.process.pid}"  # type: ignore[union-attr]
            held = [stack.redis.xpending_range(stream, "workers", "-", "+", 1000, consumername=consumer)
                    for stream in ("msb:inbound", "msb:replies")]
            workers.append(stack.start_worker())
    # Within the send lease (60 s) and a retry's backoff: retries wait in a sorted set that the
    # surviving worker's reply loop serves, not behind RQ's scheduler lock (120 s to fail over).
    try:
        stack.wait_until("every reply recorded as sent", lambda: outbox_statuses(stack.redis) == {"sent": 400},
                         timeout=120)
    except AssertionError as error:
        raise AssertionError(f"{error}: outbox {dict(outbox_statuses(stack.redis))}, "
                             f"{len(twilio.messages)} messages at the fake") from None
    time.sleep(1.0)  # a second reply would be on its way by now
    assert sum(map(len, held)) > 0, "the killed worker held nothing: the test proved nothing"
    twice = [to for to, n in Counter(m["to"] for m in twilio.messages).items() if n > 1]
    if twice:  # what an operator would look at: the requests and the record of each
        details = []
        for to in twice:
            requests = [(round(r.time, 3), r.outcome, r.sid) for r in twilio.requests if r.fields.get("To") == to]
            person = AddressBook(stack.config.phone_hash_key).pseudonym(to).encode()
            records = [{k: v for k, v in stack.redis.hgetall(key).items() if k not in (b"to", b"reply")}
                       for key in stack.redis.scan_iter("msb:outbox:r-*")
                       if stack.redis.hget(key, "person") == person]
            details.append(f"person {person.decode()}: requests {requests}, records {records}")
        logs = "\n".join(w.log()[-3000:] for w in stack.workers)
        raise AssertionError(f"sent twice: {details}\n{logs}")
    assert_each_once(twilio, 400)
    assert outbox_statuses(stack.redis) == {"sent": 400}
    stack.wait_until("both streams emptied (acknowledged in batches)",
                     lambda: stack.redis.xlen("msb:inbound") == 0 and stack.redis.xlen("msb:replies") == 0,
                     timeout=10)


def test_sigterm_lets_the_worker_finish_its_job_and_exit(
    stack: Stack, twilio: FakeTwilio
) -> None:
    twilio.latency = 1.5  # the reply is in flight when SIGTERM arrives
    worker = stack.start_worker()
    app = create_app(stack.config)
    inbound = Twilio(app.test_client(), stack.config)
    time.sleep(1.0)  # the worker is up and waiting for jobs
    inbound.send("RISKS", "+14155550160")
    stack.wait_until("the send to start", lambda: twilio.api_calls >= 1, timeout=20)
    assert worker.process is not None
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=30) == 0
    assert len(twilio.messages) == 1
    assert outbox_statuses(stack.redis) == {"sent": 1}


def test_sigterm_mid_broadcast_records_the_sends_in_flight_and_leaves_the_rest_to_another_worker(
    stack: Stack, twilio: FakeTwilio
) -> None:
    """A deploy stops a worker mid-broadcast: it hands out no more records, waits for the
    answers to the sends it has in flight and records them, and exits; another worker sends
    the rest, nobody twice."""
    twilio.latency = 1.0  # many sends are in flight when SIGTERM arrives
    broadcast_id = start_broadcast(stack, 600, "Deploy test update.")
    worker = stack.start_worker()
    stack.wait_until("sends in flight", lambda: twilio.api_calls >= 20, timeout=30)
    assert worker.process is not None
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=45) == 0
    stopped_with = outbox_statuses(stack.redis)
    assert set(stopped_with) == {"sent", "pending"}, stopped_with  # nothing left 'maybe sent'
    assert 0 < stopped_with["sent"] == len(twilio.messages) < 600

    stack.start_worker()
    broadcasts = Broadcasts(stack.redis, stack.config)
    stack.wait_until("the broadcast to finish",
                     lambda: broadcasts.get(broadcast_id).status == DONE, timeout=60)  # type: ignore[union-attr]
    assert outbox_statuses(stack.redis) == {"sent": 600}
    assert_each_once(twilio, 600)


def test_redis_killed_and_restarted_mid_broadcast_loses_and_doubles_nothing(
    stack: Stack, twilio: FakeTwilio
) -> None:
    twilio.latency = 0.02
    broadcast_id = start_broadcast(stack, 3000, "Restart test update.")
    stack.start_worker()
    stack.start_worker()
    stack.wait_until("1000 messages", lambda: len(twilio.messages) >= 1000, timeout=120)
    stack.restart_redis(kill=True)
    stack.redis = Redis.from_url(stack.server.url)
    broadcasts = Broadcasts(stack.redis, stack.config)
    try:
        stack.wait_until("the broadcast to finish",
                         lambda: broadcasts.get(broadcast_id).status == DONE, timeout=150)  # type: ignore[union-attr]
    except AssertionError as error:
        raise AssertionError(f"{error}: {broadcast_state(stack, broadcast_id)}") from None
    assert outbox_statuses(stack.redis) == {"sent": 3000}
    assert_each_once(twilio, 3000)


def test_redis_out_of_memory_answers_503_and_evicts_nothing(tmp_path, base_config) -> None:  # type: ignore[no-untyped-def]
    full = Stack(tmp_path, base_config, maxmemory="4mb")
    try:
        filler = b"x" * 10_000
        written = 0
        with pytest.raises(OutOfMemoryError):
            for index in range(10_000):
                full.redis.set(f"filler:{index}", filler)
                written += 1
        app = create_app(full.config)
        answer = Twilio(app.test_client(), full.config).send("RISKS", "+14155550161")
        assert answer.status_code == 503
        assert int(full.redis.info("stats")["evicted_keys"]) == 0
        assert full.redis.dbsize() == written  # the filler is all there; nothing of ours half-written
        assert not list(full.redis.scan_iter(f"{Keys(REAL).prefix}:*"))
    finally:
        full.stop()
