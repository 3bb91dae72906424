"""Counters for ``/metrics``, kept in Redis so that every web and worker process adds to them.

A counter is a field of a Redis hash (one hash per metric, one field per set of label values)
bumped inside the same transaction as the thing it counts where there is one, so a count is
never off from what happened. The view renders Prometheus' text exposition format.

Label values come only from closed sets (channel, language code, intent, numeric error code,
queue name, broadcast id); anything else becomes ``other``, so no phone number or text can
ever become a label. Simulated conversations (``msb:sim``) are not counted at all.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis
from rq import Queue, Worker, get_current_job
from rq.defaults import DEFAULT_WORKER_TTL
from rq.job import Job
from rq.utils import now as rq_now
from rq.utils import str_to_date

from bot.keys import BROADCAST_QUEUE, BROADCAST_SCAN, REAL, REPLY_QUEUE, metric
from bot.models import Decision
from bot.streams import INBOUND_STREAM, REPLY_RETRIES, REPLY_STREAM, WorkStream
from messages.languages import LANGUAGES
from messages.topics import TOPICS

OTHER = "other"
CHANNELS = frozenset({"sms", "whatsapp"})
LANGUAGE_CODES = frozenset(LANGUAGES)
CONTROL_INTENTS = frozenset({
    "emergency", "stop", "start", "ignored", "media", "help", "language", "subscribe",
    "out_of_scope", "sources", "menu", "more", "unknown",
})
INTENTS = CONTROL_INTENTS | frozenset(TOPICS)
KINDS = frozenset({"reply", "broadcast"})
HELD_BACK_REASONS = frozenset({"rate", "loop"})
INBOUND_QUEUE = "inbound"
QUEUES = (INBOUND_QUEUE, REPLY_QUEUE, BROADCAST_QUEUE)
# Queues that are (also) Redis streams: inbound messages to route, replies to send. The reply
# queue's RQ jobs are replies parked after an error; its retries wait in a sorted set.
STREAMS = {INBOUND_QUEUE: INBOUND_STREAM, REPLY_QUEUE: REPLY_STREAM}
RETRIES = {REPLY_QUEUE: REPLY_RETRIES}  # sorted sets of what waits for a retry, by when it is due
BROADCAST_COUNTS = ("total", "sent", "delivered", "failed", "undelivered", "skipped")
MAX_BROADCASTS = 200  # series per scrape; older broadcasts beyond this are left out
# Upper bounds (seconds) of the queue-wait histogram; +Inf is implied.
QUEUE_WAIT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
# RQ refreshes a worker's heartbeat at least every worker_ttl - 15 s while idle and expires
# its registration worker_ttl + 60 s after the last one: older than that, it is gone.
WORKER_HEARTBEAT_MAX_AGE = DEFAULT_WORKER_TTL + 60
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_SEP = "|"
_CODE = re.compile(r"\d{3,5}")  # Twilio error codes (5 digits) or HTTP statuses, never a number
_OWN_BROADCAST_ID = re.compile(r"\d{14}-[0-9a-f]{6}")  # what bot.broadcasts mints
_BROADCAST_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_LONG_DIGITS = re.compile(r"\d{7,}")
_STATUS = re.compile(r"[a-z_]{1,32}")


# -- label values --------------------------------------------------------------------------
def _pick(value: str | None, allowed: frozenset[str]) -> str:
    return value if value in allowed else OTHER


def error_code(code: object) -> str:
    """A Twilio error code as a label: its digits, ``none`` without one, else ``other``."""
    text = str(code).strip() if code is not None else ""
    if not text:
        return "none"
    return text if _CODE.fullmatch(text) else OTHER


def broadcast_label(broadcast_id: str) -> str:
    """The broadcast's own id (``YYYYmmddHHMMSS-hex``); any other shape only as a short hash."""
    if _OWN_BROADCAST_ID.fullmatch(broadcast_id):
        return broadcast_id
    if _BROADCAST_ID.fullmatch(broadcast_id) and not _LONG_DIGITS.search(broadcast_id):
        return broadcast_id
    return "h" + hashlib.sha256(broadcast_id.encode()).hexdigest()[:12]


# -- counting (web and worker) -------------------------------------------------------------
def count_inbound(pipe: Any, namespace: str, channel: str, decision: Decision) -> None:
    """One inbound message taken, inside the intake's MULTI (with its held-back reason)."""
    if namespace != REAL:
        return
    labels = (_pick(channel, CHANNELS), _pick(decision.language, LANGUAGE_CODES), _pick(decision.intent, INTENTS))
    pipe.hincrby(metric("inbound"), _SEP.join(labels), 1)
    if decision.held_back:
        pipe.hincrby(metric("held_back"), _pick(decision.held_back, HELD_BACK_REASONS), 1)


def sent_field(namespace: str, channel: str, kind: str) -> str:
    """The ``sent`` counter's field for a message accepted by Twilio (or the local outbox);
    '' for a simulated conversation, which is not counted. The outbox adds one to it when
    the record moves to sent, in the same step, so a message is counted exactly once."""
    if namespace != REAL:
        return ""
    return _SEP.join((_pick(channel, CHANNELS), _pick(kind, KINDS)))


def count_send_error(redis: Any, namespace: str, code: object) -> None:
    """One failed send attempt (retried or not), by Twilio error code."""
    if namespace != REAL:
        return
    redis.hincrby(metric("send_errors"), error_code(code), 1)


def _bucket(seconds: float) -> str:
    for bound in QUEUE_WAIT_BUCKETS:
        if seconds <= bound:
            return _number(bound)
    return "+Inf"


def observe_queue_wait(pipe: Any, seconds: float) -> None:
    """Add one enqueue -> start wait to the histogram, in the caller's pipeline (bucket, sum
    and count go together)."""
    seconds = max(0.0, float(seconds))
    pipe.hincrby(metric("queue_wait"), _bucket(seconds), 1)
    pipe.hincrbyfloat(metric("queue_wait"), "sum", seconds)
    pipe.hincrby(metric("queue_wait"), "count", 1)


def queue_wait(redis: Redis, record_id: str, namespace: str, queued_at: float | None = None,
               waits: list[float] | None = None) -> str:
    """For a reply: how long it waited, from the reply stream (``queued_at``) or in its own
    retry job; observed in the histogram (real conversations only) now, or appended to
    ``waits`` for the caller to observe with its next batch of writes.

    Returns the wait in milliseconds for the send's log line, or "" when this delivery is
    neither (a broadcast batch sends many records in one job).
    """
    if queued_at is not None:
        seconds = max(0.0, time.time() - queued_at)
    else:
        job = get_current_job()
        if job is None or job.id != record_id or job.enqueued_at is None:
            return ""
        started = job.started_at or rq_now()
        seconds = max(0.0, (started - job.enqueued_at).total_seconds())
    if namespace == REAL:
        if waits is not None:
            waits.append(seconds)
        else:
            with redis.pipeline(transaction=True) as pipe:
                observe_queue_wait(pipe, seconds)
                pipe.execute()
    return f"{seconds * 1000:.0f}"


# -- reading (health and metrics) ----------------------------------------------------------
@dataclass(frozen=True)
class QueueState:
    name: str
    depth: int
    oldest_age_seconds: float | None  # None when the queue is empty


def queue_state(redis: Redis, name: str, now: float | None = None) -> QueueState:
    """How many entries or jobs wait in a queue, and how long the oldest has waited."""
    queue = Queue(name, connection=redis)
    depth = queue.count
    oldest: float | None = None
    now = time.time() if now is None else now
    for job_id in queue.get_job_ids(0, 5) if depth else []:
        raw = redis.hget(Job.key_for(job_id), "enqueued_at")
        if raw:
            oldest = max(0.0, now - str_to_date(raw).timestamp())
            break
    if name in STREAMS:
        waiting, age = WorkStream(redis, STREAMS[name], 0).depth_and_oldest_age(now)
        depth += waiting
        if age is not None:
            oldest = age if oldest is None else max(oldest, age)
    if name in RETRIES:  # a retry waits from when it falls due: until then it is not late
        depth += redis.zcard(RETRIES[name])
        first = redis.zrange(RETRIES[name], 0, 0, withscores=True)
        due = float(first[0][1]) if first else now
        if due < now:
            oldest = now - due if oldest is None else max(oldest, now - due)
    return QueueState(name, depth, oldest)


def outside_rq(redis: Redis, name: str) -> tuple[int, int]:
    """What waits for a queue's work outside RQ: (entries on its stream, retries not yet due
    or not yet moved back to the stream)."""
    streamed = WorkStream(redis, STREAMS[name], 0).depth_and_oldest_age()[0] if name in STREAMS else 0
    return streamed, redis.zcard(RETRIES[name]) if name in RETRIES else 0


def alive_workers(redis: Redis, now: float | None = None) -> int:
    """Workers registered for the reply queue whose heartbeat is recent."""
    now = time.time() if now is None else now
    alive = 0
    for worker in Worker.all(connection=redis, queue=Queue(REPLY_QUEUE, connection=redis)):
        beat = worker.last_heartbeat
        if beat is not None and now - beat.timestamp() <= WORKER_HEARTBEAT_MAX_AGE:
            alive += 1
    return alive


def _broadcasts(redis: Redis) -> list[tuple[str, dict[str, str]]]:
    """Broadcast hashes (``msb:broadcast:{id}``), read defensively: other keys are skipped."""
    prefix = BROADCAST_SCAN.removesuffix("*")
    ids: list[str] = []
    for raw in redis.scan_iter(match=BROADCAST_SCAN, count=1000):
        key = raw.decode(errors="replace")
        ident = key.removeprefix(prefix)
        if ident and ":" not in ident:
            ids.append(ident)
    ids = sorted(ids)[-MAX_BROADCASTS:]
    with redis.pipeline(transaction=False) as pipe:
        for ident in ids:
            pipe.type(prefix + ident)
        types = pipe.execute()
    hashes = [ident for ident, kind in zip(ids, types, strict=True) if kind in (b"hash", "hash")]
    with redis.pipeline(transaction=False) as pipe:
        for ident in hashes:
            pipe.hmget(prefix + ident, "status", *BROADCAST_COUNTS)
        rows = pipe.execute()
    found = []
    for ident, values in zip(hashes, rows, strict=True):
        fields = {name: value.decode(errors="replace") for name, value in
                  zip(("status", *BROADCAST_COUNTS), values, strict=True) if value is not None}
        found.append((ident, fields))
    return found


# -- exposition ----------------------------------------------------------------------------
def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _sample(name: str, labels: Mapping[str, str], value: float) -> str:
    if not labels:
        return f"{name} {_number(value)}"
    inner = ",".join(f'{key}="{_escape(val)}"' for key, val in labels.items())
    return f"{name}{{{inner}}} {_number(value)}"


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str,
               samples: Iterable[tuple[Mapping[str, str], float]]) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        self.lines.extend(_sample(name, labels, value) for labels, value in samples)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _decoded(raw: Mapping[bytes, bytes]) -> dict[str, str]:
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in raw.items()}


def _counter_samples(raw: Mapping[str, str], names: tuple[str, ...],
                     allowed: tuple[frozenset[str] | None, ...]) -> list[tuple[dict[str, str], float]]:
    """Stored fields back to labels, whitelisted again (what was stored is not trusted)."""
    totals: dict[tuple[str, ...], float] = {}
    for field, value in raw.items():
        parts = field.split(_SEP)
        if len(parts) != len(names):
            continue
        clean = tuple(_pick(p, sets) if sets is not None else error_code(p)
                      for p, sets in zip(parts, allowed, strict=True))
        try:
            totals[clean] = totals.get(clean, 0) + float(value)
        except ValueError:
            continue
    return [(dict(zip(names, labels, strict=True)), count) for labels, count in sorted(totals.items())]


def _histogram(raw: Mapping[str, str]) -> list[tuple[str, dict[str, str], float]]:
    def num(name: str) -> float:
        try:
            return float(raw.get(name, 0))
        except ValueError:
            return 0.0

    rows: list[tuple[str, dict[str, str], float]] = []
    running = 0.0
    for bound in QUEUE_WAIT_BUCKETS:
        running += num(_number(bound))
        rows.append(("_bucket", {"le": _number(bound)}, running))
    running += num("+Inf")
    rows.append(("_bucket", {"le": "+Inf"}, running))
    rows.append(("_sum", {}, num("sum")))
    rows.append(("_count", {}, running))
    return rows


def render(redis: Redis) -> str:
    """Every metric in Prometheus' text format (raises RedisError when Redis is away)."""
    with redis.pipeline(transaction=False) as pipe:
        for name in ("inbound", "sent", "send_errors", "held_back", "queue_wait"):
            pipe.hgetall(metric(name))
        inbound, sent, errors, held, wait = (_decoded(raw) for raw in pipe.execute())
    out = _Exposition()
    out.family("msb_inbound_messages_total", "counter",
               "Inbound messages taken from real people, by channel, language and intent.",
               _counter_samples(inbound, ("channel", "language", "intent"), (CHANNELS, LANGUAGE_CODES, INTENTS)))
    out.family("msb_replies_sent_total", "counter",
               "Messages accepted for sending by Twilio (or the local outbox), by channel and kind.",
               _counter_samples(sent, ("channel", "kind"), (CHANNELS, KINDS)))
    out.family("msb_send_errors_total", "counter",
               "Failed send attempts, retried or not, by Twilio error code (none: network).",
               _counter_samples(errors, ("code",), (None,)))
    out.family("msb_held_back_total", "counter",
               "Inbound messages counted but not answered (reply limits, loops), by reason.",
               _counter_samples(held, ("reason",), (HELD_BACK_REASONS,)))
    name = "msb_queue_wait_seconds"
    out.lines.append(f"# HELP {name} Time a reply's delivery job waited between enqueue and a worker starting it.")
    out.lines.append(f"# TYPE {name} histogram")
    out.lines.extend(_sample(name + suffix, labels, value) for suffix, labels, value in _histogram(wait))
    now = time.time()
    states = [queue_state(redis, queue, now) for queue in QUEUES]
    out.family("msb_queue_depth", "gauge", "Jobs waiting in each RQ queue.",
               [({"queue": s.name}, s.depth) for s in states])
    out.family("msb_queue_oldest_job_age_seconds", "gauge",
               "How long the oldest job in each queue has waited (0 when empty).",
               [({"queue": s.name}, round(s.oldest_age_seconds or 0.0, 3)) for s in states])
    out.family("msb_workers", "gauge", "Workers on the reply queue with a recent heartbeat.",
               [({}, alive_workers(redis, now))])
    _render_broadcasts(out, _broadcasts(redis))
    return out.text()


def _render_broadcasts(out: _Exposition, broadcasts: list[tuple[str, dict[str, str]]]) -> None:
    labelled = [(broadcast_label(ident), fields) for ident, fields in broadcasts]
    statuses = []
    for label, fields in labelled:
        status = fields.get("status", "")
        statuses.append(({"broadcast": label, "status": status if _STATUS.fullmatch(status) else OTHER}, 1.0))
    out.family("msb_broadcast_info", "gauge", "One series per broadcast, carrying its status.", statuses)
    helps = {
        "total": ("msb_broadcast_recipients", "Recipients a broadcast has (records created so far)."),
        "sent": ("msb_broadcast_sent", "Broadcast messages accepted by Twilio."),
        "delivered": ("msb_broadcast_delivered", "Broadcast messages reported delivered."),
        "failed": ("msb_broadcast_failed", "Broadcast messages that failed."),
        "undelivered": ("msb_broadcast_undelivered", "Broadcast messages reported undelivered."),
        "skipped": ("msb_broadcast_skipped", "Broadcast messages skipped (opted out meanwhile)."),
    }
    for field in BROADCAST_COUNTS:
        name, help_text = helps[field]
        samples = []
        for label, fields in labelled:
            try:
                samples.append(({"broadcast": label}, float(int(fields[field]))))
            except (KeyError, ValueError):
                continue
        out.family(name, "gauge", help_text, samples)
