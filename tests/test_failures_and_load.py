"""Provider faults and load (issue #9): 429s and dropped answers during broadcasts, 21610 on a
reply, every inbound message delivered five times at once, and one number flooding the bot.

Why: these are the ways a real deployment loses a message, sends one twice, bills a flood or
keeps people waiting, and none of them shows up with one message at a time. Everything is
real except Twilio (the local fake): the session's Redis and worker, and the app served over
real HTTP for the concurrent tests. Slow (up to a minute each), so marked ``slow`` and bounded
by explicit timeouts; the whole file takes a couple of minutes on two cores.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
from redis import Redis

from bot.broadcasts import Broadcast, Broadcasts, Draft
from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import REAL, Keys
from bot.twilio_wire import EMPTY_TWIML
from messages.model import Channel
from tests.browser import LiveServer
from tests.conftest import SENT, SMS_FROM, Twilio, WorkerProcess, leave_no_replies_behind, sign
from tests.fake_twilio import FakeTwilio
from tests.test_broadcasts import finished, seed, wait_for
from tests.test_crashes import outbox_statuses

pytestmark = pytest.mark.slow

KEYS = Keys(REAL)
WEBHOOK = "/twilio/messages"
TOPICS = ("RISKS", "COST", "TRIALS", "HSCT", "MSC", "SOURCES")  # one reply each, none alike
CLIENT_THREADS = 16


@pytest.fixture
def fake(twilio: FakeTwilio) -> Iterator[FakeTwilio]:
    """The session's fake with no latency, rate or concurrency cap (an earlier test may have
    left some), and no fault rates once the test is over (later tests share the fake)."""
    saved = (twilio.latency, twilio.max_rate_per_second, twilio.max_in_flight)
    twilio.latency, twilio.max_rate_per_second, twilio.max_in_flight = 0.0, None, None
    yield twilio
    twilio.set_fault_rates()
    twilio.latency, twilio.max_rate_per_second, twilio.max_in_flight = saved


@pytest.fixture
def quiet_afterwards(redis: Redis) -> Iterator[None]:
    """The session worker outlives the test: leave it nothing of ours to send later."""
    yield
    leave_no_replies_behind(redis, timeout=10.0)


@pytest.fixture
def broadcasts(redis: Redis, config: Config) -> Broadcasts:
    return Broadcasts(redis, config)


# -- helpers -------------------------------------------------------------------------------------


def start_broadcast(redis: Redis, config: Config, broadcasts: Broadcasts, recipients: int,
                    text: str, prefix: str = "+1415") -> str:
    seed(redis, config, [(f"{prefix}{i:07d}", Channel.SMS, "en") for i in range(recipients)])
    created = broadcasts.create(Draft(texts={"en": text}), "tester")
    broadcasts.send(created.id, "tester")
    return created.id


def finished_or_explained(redis: Redis, broadcasts: Broadcasts, broadcast_id: str,
                          timeout: float) -> Broadcast:
    """The finished broadcast; on timeout, what an operator would look at."""
    try:
        return finished(broadcasts, broadcast_id, timeout=timeout)
    except AssertionError as error:
        found = broadcasts.get(broadcast_id)
        raise AssertionError(f"{error}: {found.counts if found else None}, "
                             f"outbox {dict(outbox_statuses(redis))}") from None


def sent_once_each(fake: FakeTwilio, recipients: int) -> None:
    sent_to = Counter(m["to"] for m in fake.messages)
    twice = {to: n for to, n in sent_to.items() if n > 1}
    assert not twice, f"{len(twice)} recipients got more than one message"
    assert len(sent_to) == recipients, f"{recipients - len(sent_to)} recipients got nothing"


def reply_records(redis: Redis) -> dict[str, dict[str, str]]:
    """Reply outbox records (``r-<MessageSid>-<index>``) by record id, decoded."""
    found = {}
    for key in redis.scan_iter("msb:outbox:r-*", count=2000):
        record_id = key.decode().removeprefix("msb:outbox:")
        found[record_id] = {k.decode(): v.decode() for k, v in redis.hgetall(key).items()}
    return found


def inbound_sid(record_id: str) -> str:
    return record_id.split("-")[1]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: with few values, p99 is the worst one, not an interpolation."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(len(ordered) * share + 0.999999) - 1))]


def form_for(config: Config, sender: str, body: str) -> dict[str, str]:
    return {"MessageSid": Twilio.next_sid(), "AccountSid": config.twilio_account_sid,
            "From": sender, "To": SMS_FROM, "Body": body, "NumMedia": "0"}


@dataclass
class Answer:
    """One webhook POST as the client saw it; times are ``time.time()``, like the fake's."""

    sid: str
    sender: str
    status: int
    content_type: str
    body: str
    started: float
    finished: float


class Poster:
    """Signed webhook posts over real HTTP, one keep-alive session per client thread."""

    def __init__(self, server: LiveServer, config: Config) -> None:
        self.url = server.url_for(WEBHOOK)
        self.signed_url = f"{config.public_base_url}{WEBHOOK}"  # what Twilio signs behind a proxy
        self.token = config.twilio_auth_token
        self.local = threading.local()
        self.sessions: list[requests.Session] = []
        self.lock = threading.Lock()

    def signature(self, form: dict[str, str]) -> str:
        return sign(self.signed_url, form, self.token)

    def post(self, form: dict[str, str], signature: str) -> Answer:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
            with self.lock:
                self.sessions.append(session)
        started = time.time()
        response = session.post(self.url, data=form, headers={"X-Twilio-Signature": signature},
                                timeout=30)
        return Answer(form["MessageSid"], form["From"], response.status_code,
                      response.headers.get("Content-Type", ""), response.text, started, time.time())

    def close(self) -> None:
        for session in self.sessions:
            session.close()


def assert_all_twiml(answers: list[Answer]) -> None:
    bad = Counter((a.status, a.content_type, a.body[:80]) for a in answers
                  if a.status != 200 or not a.content_type.startswith("text/xml") or a.body != EMPTY_TWIML)
    assert not bad, f"{sum(bad.values())} answers were not 200 with empty TwiML: {bad.most_common(5)}"


# -- 1. 429s -------------------------------------------------------------------------------------


@pytest.mark.timeout(150)
def test_a_broadcast_through_30_percent_429s_reaches_everyone_once_in_at_most_1_5_calls_each(
    redis: Redis, config: Config, fake: FakeTwilio, worker: WorkerProcess, broadcasts: Broadcasts,
    quiet_afterwards: None,
) -> None:
    """A 429 was never processed, so retrying it is safe and must go on until it succeeds;
    at 30% the expected cost is 1/0.7 = 1.43 calls a recipient."""
    fake.set_fault_rates(rate_429=0.3, seed=429)
    began = time.monotonic()
    broadcast_id = start_broadcast(redis, config, broadcasts, 1000, "Update: trial results posted.")
    done = finished_or_explained(redis, broadcasts, broadcast_id, timeout=120)
    outcomes = Counter(r.outcome for r in fake.requests)
    print(f"\n429s: {fake.api_calls} API calls for 1000 recipients "
          f"({fake.api_calls / 1000:.3f} a recipient), outcomes {dict(outcomes)}, "
          f"finished in {time.monotonic() - began:.1f}s, counts {done.counts}")
    assert outbox_statuses(redis) == {"sent": 1000}
    sent_once_each(fake, 1000)
    assert done.counts["sent"] == 1000 and done.counts["failed"] == 0
    assert fake.api_calls <= 1.5 * 1000


# -- 2. accepted, then the connection dropped ----------------------------------------------------


@pytest.mark.timeout(120)
def test_a_broadcast_through_5_percent_dropped_answers_loses_and_doubles_nothing(
    redis: Redis, config: Config, fake: FakeTwilio, worker: WorkerProcess, broadcasts: Broadcasts,
    quiet_afterwards: None,
) -> None:
    """A send whose answer was lost did happen: the worker must find it in the Messages list
    and record it, not send it again (Twilio has no idempotency key)."""
    fake.set_fault_rates(accept_then_drop=0.05, seed=5)
    began = time.monotonic()
    broadcast_id = start_broadcast(redis, config, broadcasts, 1000, "Update: new trial sites.")
    done = finished_or_explained(redis, broadcasts, broadcast_id, timeout=90)
    outcomes = Counter(r.outcome for r in fake.requests)
    print(f"\ndropped answers: outcomes {dict(outcomes)}, {fake.api_calls} API calls, "
          f"finished in {time.monotonic() - began:.1f}s")
    assert outcomes["accept_then_drop"] >= 20  # the fault really happened
    assert outbox_statuses(redis) == {"sent": 1000}
    sent_once_each(fake, 1000)
    assert fake.api_calls == 1000  # nothing was sent again
    recorded = {redis.hget(key, "sid") for key in redis.scan_iter("msb:outbox:b-*", count=2000)}
    assert recorded == {m["sid"].encode() for m in fake.messages}  # each record knows its message
    assert done.counts["sent"] == 1000


# -- 3. 21610 on a reply -------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_21610_on_a_reply_opts_the_person_out_without_a_retry_and_a_broadcast_skips_them(
    inbound: Twilio, redis: Redis, config: Config, fake: FakeTwilio, worker: WorkerProcess,
    broadcasts: Broadcasts, quiet_afterwards: None,
) -> None:
    """21610 means the person texted STOP to Twilio itself: we must stop too, everywhere."""
    person, other = "+14155550191", "+14155550192"
    seed(redis, config, [(person, Channel.SMS, "en"), (other, Channel.SMS, "en")])
    fake.script(("error", 21610))
    first = inbound.form("RISKS", person)
    assert inbound.post(first).status_code == 200
    wait_for("the reply's send", lambda: fake.api_calls >= 1, timeout=10)
    time.sleep(3.5)  # past the reply's first two retry intervals (1 s, 2 s)
    assert [r.outcome for r in fake.requests] == ["error_21610"]
    record = redis.hgetall(f"msb:outbox:r-{first['MessageSid']}-0")
    assert (record[b"status"], record[b"reason"]) == (b"failed", b"21610")
    assert redis.exists(KEYS.opt_out(AddressBook(config.phone_hash_key).pseudonym(person)))

    second = inbound.form("TRIALS", person)
    assert inbound.post(second).status_code == 200
    assert not list(redis.scan_iter(f"msb:outbox:r-{second['MessageSid']}-*"))  # nothing queued
    created = broadcasts.create(Draft(texts={"en": "Update: new results."}), "tester")
    broadcasts.send(created.id, "tester")
    done = finished_or_explained(redis, broadcasts, created.id, timeout=30)
    time.sleep(0.5)  # a late reply to the second message would show up by now
    assert [m["to"] for m in fake.messages] == [other]
    assert fake.api_calls == 2  # the refused reply once, the broadcast to the other person once
    assert (done.counts["sent"], done.counts["skipped"]) == (1, 1)
    assert outbox_statuses(redis) == {"failed (21610)": 1, "sent": 1, "skipped (opted_out)": 1}


# -- 4. every inbound message delivered five times at once ---------------------------------------


@pytest.mark.timeout(180)
def test_2000_messages_each_posted_5_times_at_once_get_exactly_one_reply_each(
    redis: Redis, config: Config, fake: FakeTwilio, worker: WorkerProcess,
    live_server: Callable[[Config], LiveServer], quiet_afterwards: None,
) -> None:
    """Twilio retries a webhook it thinks failed, so the same MessageSid can arrive while the
    first delivery is still being handled: one reply, one record, however many copies."""
    senders = [f"+1628{i:07d}" for i in range(2000)]
    for sender in senders[::200]:
        SENT.record({"From": sender})  # a sample for the log-privacy check (all would slow it)
    forms = [form_for(config, sender, TOPICS[i % len(TOPICS)]) for i, sender in enumerate(senders)]
    poster = Poster(live_server(config), config)
    copies = [(form, poster.signature(form)) for form in forms for _ in range(5)]  # adjacent: racing
    began = time.monotonic()
    try:
        with ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="twilio-retry") as pool:
            answers = list(pool.map(lambda job: poster.post(*job), copies))
    finally:
        poster.close()
    posted = time.monotonic() - began
    fake.wait_for_messages(2000, timeout=120)
    drained = time.monotonic() - began
    time.sleep(1.5)  # a duplicate reply would be queued behind the last one
    by_sid: dict[str, list[Answer]] = {}
    for answer in answers:
        by_sid.setdefault(answer.sid, []).append(answer)
    overlapping = sum(1 for group in by_sid.values()
                      if max(a.started for a in group) < min(a.finished for a in group))
    print(f"\nduplicates: 10000 posts in {posted:.1f}s ({10000 / posted:.0f}/s); "
          f"{overlapping} of 2000 SIDs had all 5 copies in flight at once; "
          f"2000 replies sent {drained:.1f}s after the first post")
    assert_all_twiml(answers)
    assert len(answers) == 10_000
    sent_to = Counter(m["to"] for m in fake.messages)
    assert sent_to == Counter(senders), (
        f"{sum(n > 1 for n in sent_to.values())} senders got more than one reply, "
        f"{len(set(senders) - set(sent_to))} got none")
    assert len(list(redis.scan_iter("msb:outbox:*", count=5000))) == 2000
    assert overlapping >= 200  # the copies really raced


# -- 5. one number floods while five people talk --------------------------------------------------


@pytest.mark.timeout(120)
def test_a_flood_of_1000_messages_a_minute_is_capped_and_does_not_delay_other_people(
    redis: Redis, config: Config, fake: FakeTwilio, worker: WorkerProcess,
    live_server: Callable[[Config], LiveServer], quiet_afterwards: None,
) -> None:
    """Bounded version: one number sends 1,200 messages a minute (above the 1,000 asked)
    for 21 s while five people each send a message every second. The flood must get at most
    ``replies_per_minute`` replies in any minute (and ``replies_per_day`` in all), counted as
    ``bot.limits`` counts them (one per outbox record). Latency is measured from each of the
    five people's POSTs to the fake creating the reply; the limits apply to them too (a
    message a second is above 5 a minute), so only the replies actually sent are timed."""
    flooder = "+14155550900"
    people = [f"+1415555091{i}" for i in range(5)]
    for number in (flooder, *people):
        SENT.record({"From": number})
    duration, flood_per_second = 21.0, 20.0
    plan: list[tuple[float, dict[str, str]]] = []
    for n in range(int(duration * flood_per_second)):
        plan.append((n / flood_per_second, form_for(config, flooder, TOPICS[n % len(TOPICS)])))
    for p, number in enumerate(people):
        for second in range(int(duration)):
            plan.append((second + p / 5 + 0.05, form_for(config, number, TOPICS[(second + p) % len(TOPICS)])))
    plan.sort(key=lambda item: item[0])
    poster = Poster(live_server(config), config)
    signed = [(at, form, poster.signature(form)) for at, form in plan]
    futures = []
    try:
        with ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="load") as pool:
            start = time.monotonic()
            for at, form, signature in signed:
                delay = start + at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                futures.append(pool.submit(poster.post, form, signature))
            answers = [future.result(timeout=60) for future in futures]
    finally:
        poster.close()
    assert_all_twiml(answers)

    records: dict[str, dict[str, str]] = {}

    def settled() -> bool:
        records.update(reply_records(redis))
        return bool(records) and all(r["status"] in {"sent", "failed", "skipped"} for r in records.values())

    wait_for("every reply to be sent", settled, timeout=30)
    assert {r["status"] for r in records.values()} == {"sent"}
    replies: Counter[str] = Counter(inbound_sid(record_id) for record_id in records)

    flood = [a for a in answers if a.sender == flooder]
    span = max(a.started for a in flood) - min(a.started for a in flood)
    rate = (len(flood) - 1) / span * 60
    per_minute: Counter[int] = Counter()
    for answer in sorted(flood, key=lambda a: a.started):
        if replies[answer.sid]:
            # The webhook stamps the message between start and finish: a post across a minute
            # boundary belongs to either minute; give it the one with room.
            first, last = int(answer.started // 60), int(answer.finished // 60)
            per_minute[first if per_minute[first] <= per_minute[last] else last] += replies[answer.sid]
    to_flooder = [m for m in fake.messages if m["to"] == flooder]

    times = fake.message_times
    latencies = []
    for answer in answers:
        if answer.sender in people and replies[answer.sid]:
            sids = [records[f"r-{answer.sid}-{i}"]["sid"] for i in range(replies[answer.sid])]
            latencies.append(max(times[sid] for sid in sids) - answer.started)
    acks = [a.finished - a.started for a in answers]
    print(f"\nload: {len(flood)} flood posts over {span:.1f}s ({rate:.0f}/min) and "
          f"{len(answers) - len(flood)} from 5 people; flood got {len(to_flooder)} replies "
          f"(per minute {dict(per_minute)}); other people: {len(latencies)} replies, latency "
          f"p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms; webhook answer p50 "
          f"{statistics.median(acks) * 1000:.0f} ms, p99 {percentile(acks, 0.99) * 1000:.0f} ms, "
          f"max {max(acks) * 1000:.0f} ms")
    assert span >= 20 and rate >= 1000  # the flood really was 1,000 a minute for 20 s
    assert to_flooder, "the flooding number got no reply at all: the limit is per minute, not a ban"
    assert len(to_flooder) == sum(per_minute.values())
    assert max(per_minute.values()) <= config.replies_per_minute
    assert len(to_flooder) <= config.replies_per_day
    assert len(latencies) >= 5 * config.replies_per_minute  # every person was answered
    assert percentile(latencies, 0.99) < 2.0
