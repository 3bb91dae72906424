"""Provider faults and load (issue #9): 429s and dropped answers during broadcasts, 21610 on a
reply, every inbound message delivered five times at once, and one number flooding the bot.

Why: these are the ways a real deployment loses a message, sends one twice, bills a flood or
keeps people waiting, and none of them shows up with one message at a time. Everything is
real except Twilio (the local fake): the session's Redis and worker, and for the concurrent
tests the app in two processes of its own (as the Procfile's gunicorn runs it) over real HTTP.
Slow, so marked ``slow``, each bounded by explicit timeouts. The duplicates test alone posts
10,000 webhooks: its run time is the webhook's CPU cost per request (about 10-15 ms here).
"""

from __future__ import annotations

import http.client
import itertools
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from redis import Redis

from bot.broadcasts import Broadcast, Broadcasts, Draft
from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import REAL, Keys
from bot.twilio_wire import EMPTY_TWIML
from messages.model import Channel
from tests.conftest import (
    ROOT,
    SENT,
    SMS_FROM,
    Twilio,
    WorkerProcess,
    config_env,
    leave_no_replies_behind,
    sign,
)
from tests.fake_twilio import FakeTwilio
from tests.test_broadcasts import finished, seed, wait_for
from tests.test_crashes import outbox_statuses

pytestmark = pytest.mark.slow

KEYS = Keys(REAL)
WEBHOOK = "/twilio/messages"
TOPICS = ("RISKS", "COST", "TRIALS", "HSCT", "MSC", "SOURCES")  # one reply each, none alike
CLIENT_THREADS = 16
APP_PROCESSES = 2


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


APP_SERVER = """
from werkzeug.serving import WSGIRequestHandler, make_server
from bot import create_app

class Quiet(WSGIRequestHandler):
    disable_nagle_algorithm = True  # else each answer waits ~40 ms for a delayed ACK

    def log_request(self, code="-", size="-"):
        return

server = make_server("127.0.0.1", 0, create_app(), threaded=True, request_handler=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
"""


class AppProcess:
    """The app served by werkzeug's threaded server in a process of its own, as gunicorn runs
    it in production: in the test process it would share one interpreter lock with the load
    generator and the fake Twilio, and slow both down (the fake's timestamps with them)."""

    def __init__(self, config: Config, log_path: Path) -> None:
        self.log_path = log_path
        SENT.worker_logs.append(log_path)  # its log lines face the same privacy checks
        with log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-c", APP_SERVER], env=config_env(config),
                                            cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the port, once it listens
        if not line.strip():
            self.stop()
            raise AssertionError(f"the app process did not start: {log_path.read_text()[-2000:]}")
        self.url = f"http://127.0.0.1:{int(line)}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def app_processes(config: Config, redis: Redis, tmp_path: Path) -> Iterator[list[str]]:
    """Two app processes, as the Procfile's gunicorn runs two workers; their base URLs."""
    served: list[AppProcess] = []
    try:
        for index in range(APP_PROCESSES):
            served.append(AppProcess(config, tmp_path / f"app-{index}.log"))
        yield [process.url for process in served]
    finally:
        for process in served:
            process.stop()


# -- helpers -------------------------------------------------------------------------------------


def start_broadcast(redis: Redis, config: Config, broadcasts: Broadcasts, recipients: int,
                    text: str, prefix: str = "+1415") -> str:
    seed(redis, config, [(f"{prefix}{i:07d}", Channel.SMS, "en") for i in range(recipients)])
    created = broadcasts.create(Draft(texts={"en": text}), "tester")
    broadcasts.send(created.id, "tester")
    return created.id


def finished_or_explained(redis: Redis, broadcasts: Broadcasts, broadcast_id: str,
                          timeout: float) -> Broadcast:
    """The finished broadcast; on timeout, what an operator would look at: the counts, the
    outbox, and how many attempts the records still open have used."""
    try:
        return finished(broadcasts, broadcast_id, timeout=timeout)
    except AssertionError as error:
        found = broadcasts.get(broadcast_id)
        open_records: Counter[str] = Counter()
        for key in redis.scan_iter("msb:outbox:b-*", count=2000):
            status, attempts = (v.decode() if v else "?" for v in redis.hmget(key, "status", "attempts"))
            if status not in {"sent", "failed", "skipped"}:
                open_records[f"{status} after {attempts} attempts"] += 1
        raise AssertionError(f"{error}: {found.counts if found else None}, outbox "
                             f"{dict(outbox_statuses(redis))}, open records {dict(open_records)}") from None


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
    due: float  # when the message was meant to be posted (== started unless the client lagged)


class Poster:
    """Signed webhook posts over real HTTP, one keep-alive connection per client thread and
    app process; successive posts go to the processes in turn (copies of one message race
    across processes, not only across threads). Plain ``http.client``: the load generator
    must cost little next to what it measures, and log nothing per request."""

    def __init__(self, base_urls: list[str], config: Config) -> None:
        self.hosts = [urlsplit(url).netloc for url in base_urls]
        self.turn = itertools.count()
        self.signed_url = f"{config.public_base_url}{WEBHOOK}"  # what Twilio signs behind a proxy
        self.token = config.twilio_auth_token
        self.local = threading.local()
        self.connections: list[http.client.HTTPConnection] = []
        self.lock = threading.Lock()

    def signature(self, form: dict[str, str]) -> str:
        return sign(self.signed_url, form, self.token)

    def _connection(self, host: str) -> http.client.HTTPConnection:
        mine = self.local.__dict__.setdefault("connections", {})
        if host not in mine:
            mine[host] = http.client.HTTPConnection(host, timeout=30)
            with self.lock:
                self.connections.append(mine[host])
        return mine[host]  # type: ignore[no-any-return]

    def post(self, form: dict[str, str], signature: str, due: float | None = None) -> Answer:
        connection = self._connection(self.hosts[next(self.turn) % len(self.hosts)])
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        started = time.time()
        try:
            connection.request("POST", WEBHOOK, body, headers)
            response = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()  # the server closed an idle keep-alive connection: once more
            started = time.time()
            connection.request("POST", WEBHOOK, body, headers)
            response = connection.getresponse()
        text = response.read().decode()
        return Answer(form["MessageSid"], form["From"], response.status,
                      response.getheader("Content-Type", ""), text, started, time.time(),
                      started if due is None else min(due, started))

    def close(self) -> None:
        for connection in self.connections:
            connection.close()


def assert_all_twiml(answers: list[Answer]) -> None:
    bad = Counter((a.status, a.content_type, a.body[:80]) for a in answers
                  if a.status != 200 or not a.content_type.startswith("text/xml") or a.body != EMPTY_TWIML)
    assert not bad, f"{sum(bad.values())} answers were not 200 with empty TwiML: {bad.most_common(5)}"


# -- 1. 429s -------------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_broadcast_through_30_percent_429s_reaches_everyone_once_in_at_most_1_5_calls_each(
    redis: Redis, config: Config, fake: FakeTwilio, worker: WorkerProcess, broadcasts: Broadcasts,
    quiet_afterwards: None,
) -> None:
    """A 429 was never processed, so retrying it is safe and must go on until it succeeds;
    at 30% the expected cost is 1/0.7 = 1.43 calls a recipient. Twilio asks for one second
    (Retry-After: 1), so 90 s is plenty for 1,000 recipients at 1,000 a second."""
    fake.set_fault_rates(rate_429=0.3, seed=429)
    began = time.monotonic()
    broadcast_id = start_broadcast(redis, config, broadcasts, 1000, "Update: trial results posted.")
    try:
        done = finished_or_explained(redis, broadcasts, broadcast_id, timeout=90)
    finally:  # the figures, finished or not
        outcomes = Counter(r.outcome for r in fake.requests)
        print(f"\n429s: {fake.api_calls} API calls for 1000 recipients "
              f"({fake.api_calls / 1000:.3f} a recipient), outcomes {dict(outcomes)}, "
              f"{len(fake.messages)} messages, after {time.monotonic() - began:.1f}s")
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


@pytest.mark.timeout(300)
def test_2000_messages_each_posted_5_times_at_once_get_exactly_one_reply_each(
    redis: Redis, config: Config, fake: FakeTwilio, worker: WorkerProcess, app_processes: list[str],
    quiet_afterwards: None,
) -> None:
    """Twilio retries a webhook it thinks failed, so the same MessageSid can arrive while the
    first delivery is still being handled: one reply, one record, however many copies."""
    senders = [f"+1628{i:07d}" for i in range(2000)]
    for sender in senders[::200]:
        SENT.record({"From": sender})  # a sample for the log-privacy check (all would slow it)
    forms = [form_for(config, sender, TOPICS[i % len(TOPICS)]) for i, sender in enumerate(senders)]
    poster = Poster(app_processes, config)
    copies = [(form, poster.signature(form)) for form in forms for _ in range(5)]  # adjacent: racing
    began = time.monotonic()
    try:
        with ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="twilio-retry") as pool:
            answers = list(pool.map(lambda job: poster.post(*job), copies))
    finally:
        poster.close()
    posted = time.monotonic() - began
    fake.wait_for_messages(2000, timeout=240)
    drained = time.monotonic() - began
    time.sleep(1.5)  # a duplicate reply would be queued behind the last one
    by_sid: dict[str, list[Answer]] = {}
    for answer in answers:
        by_sid.setdefault(answer.sid, []).append(answer)
    overlapping = sum(1 for group in by_sid.values()
                      if max(a.started for a in group) < min(a.finished for a in group))
    print(f"\nduplicates: {len(answers)} posts in {posted:.1f}s ({len(answers) / posted:.0f}/s); "
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
    redis: Redis, config: Config, fake: FakeTwilio, worker: WorkerProcess, app_processes: list[str],
    quiet_afterwards: None,
) -> None:
    """Bounded version: one number sends 1,200 messages a minute (above the 1,000 asked)
    for 21 s while five people each send a message every second. The flood must get at most
    ``replies_per_minute`` replies in any minute (and ``replies_per_day`` in all), counted as
    ``bot.limits`` counts them (one per outbox record). Latency is measured from the moment
    each of the five people's messages is due (it is posted then: their posts never queue
    behind the flood's) to the fake creating the reply; the limits apply to them too (a
    message a second is above 5 a minute), so only the replies actually sent are timed."""
    flooder = "+14155550900"
    people = [f"+1415555091{i}" for i in range(5)]
    for number in (flooder, *people):
        SENT.record({"From": number})
    duration, flood_per_second = 21.0, 20.0
    poster = Poster(app_processes, config)

    def signed(number: str, at: float, index: int) -> tuple[float, dict[str, str], str]:
        form = form_for(config, number, TOPICS[index % len(TOPICS)])
        return at, form, poster.signature(form)

    plan = [(*signed(flooder, n / flood_per_second, n), True)
            for n in range(int(duration * flood_per_second))]
    plan += [(*signed(number, second + p / 5 + 0.05, second + p), False)
             for p, number in enumerate(people) for second in range(int(duration))]
    plan.sort(key=lambda step: step[0])
    start = time.time() + 0.5
    answers: list[Answer] = []
    try:
        # Like Twilio, each message is its own request at its own time: the five people's never
        # wait behind the flood's in the client (their pool always has a free thread), and the
        # flood gets CLIENT_THREADS connections at most. What the flood's connections could not
        # post by the end is dropped from the run (and shows in the rate asserted below).
        with ThreadPoolExecutor(32, thread_name_prefix="person") as talkers, \
                ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="flood") as flooders:
            futures = []
            for at, form, signature, flooding in plan:
                time.sleep(max(0.0, start + at - time.time()))
                futures.append((flooders if flooding else talkers).submit(poster.post, form, signature, start + at))
            time.sleep(max(0.0, start + duration + 2.0 - time.time()))
            not_posted = sum(future.cancel() for future in futures)  # only the flood's can wait
            answers = [future.result(timeout=60) for future in futures if not future.cancelled()]
            finished_at = time.time()
    finally:
        poster.close()
    records: dict[str, dict[str, str]] = {}

    def settled() -> bool:
        records.update(reply_records(redis))
        return bool(records) and all(r["status"] in {"sent", "failed", "skipped"} for r in records.values())

    wait_for("every reply to be sent", settled, timeout=30)
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
            sids = [records[f"r-{answer.sid}-{i}"].get("sid", "") for i in range(replies[answer.sid])]
            latencies.append(max(times.get(sid, float("inf")) for sid in sids) - answer.due)
    acks = [a.finished - a.started for a in answers]
    people_acks = [a.finished - a.started for a in answers if a.sender in people]
    refused = Counter(a.status for a in answers if a.status != 200)

    def ms(values: list[float]) -> str:
        if not values:
            return "none"
        return (f"p50 {statistics.median(values) * 1000:.0f} ms, p99 {percentile(values, 0.99) * 1000:.0f} ms, "
                f"max {max(values) * 1000:.0f} ms")

    print(f"\nload: {len(flood)} flood posts over {span:.1f}s ({rate:.0f}/min) and "
          f"{len(answers) - len(flood)} from 5 people ({not_posted} flood posts not started in time), "
          f"sending took {finished_at - start:.1f}s; "
          f"non-200 answers {dict(refused)}; flood got {len(to_flooder)} replies (per minute "
          f"{dict(per_minute)}); other people: {len(latencies)} replies, POST to reply {ms(latencies)}; "
          f"their webhook answers {ms(people_acks)}; all webhook answers {ms(acks)}")
    assert_all_twiml([a for a in answers if a.sender in people])  # nobody else is refused
    assert {r["status"] for r in records.values()} == {"sent"}
    assert to_flooder, "the flooding number got no reply at all: the limit is per minute, not a ban"
    assert len(to_flooder) == sum(per_minute.values())
    assert max(per_minute.values()) <= config.replies_per_minute
    assert len(to_flooder) <= config.replies_per_day
    assert len(latencies) >= 5 * config.replies_per_minute  # every person was answered
    assert percentile(latencies, 0.99) < 2.0
    assert span >= 20 and rate >= 1000, "the app did not take the flood at 1,000 a minute"
    # The flood's messages are taken (and held back), or shed with a 503 for Twilio to deliver
    # again later; never a 500 (an unhandled error).
    assert_all_twiml([a for a in flood if a.status != 503])
