"""Sending a broadcast: fan out to outbox records, then send them in paced batches.

* **Fan-out** walks the subscribers in name order, a chunk at a time (never all in memory). Each
  chunk's records, its batch, the batch's job and the saved cursor are written in one MULTI,
  so a fan-out killed mid-way resumes from the last chunk without losing or doubling anyone
  (records are created only if absent).
* **Batches** send their records with several sends in flight: a batch's sends are coroutines
  on the worker's event loop (``workers.event_loop``). Records are claimed a few at a time
  and marked sent a few at a time (one round trip for several). Just before each
  request, a send takes a slot from the bucket all workers share (``SEND_RATE_PER_SECOND``)
  and, when the broadcast has a pace, from the broadcast's own bucket. A batch works for a
  bounded slice of time and then yields (so replies to people are never stuck behind a
  broadcast); what it could not send now (quiet hours, pacing, a 429, a record still leased
  by a dead worker) waits in the batch's state until it is due.
* **Tending**: every worker process runs ``tend`` every second or so; it starts scheduled
  broadcasts, re-queues batches whose worker died (lease expired) or whose wait is over, and
  restarts a fan-out that stopped. Each transition is a compare-and-set, so several workers
  tending at once do no harm, and a batch run twice sends nothing twice (the outbox's claim).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from collections import deque
from concurrent.futures import Future, wait
from dataclasses import dataclass

from redis import Redis, WatchError
from rq import Queue

from bot.broadcasts import DONE, PAUSED, SCHEDULED, SENDING, Broadcasts, Draft
from bot.config import Config
from bot.keys import (
    ACTIVE_BROADCASTS,
    BROADCAST_QUEUE,
    REAL,
    Keys,
    broadcast_batch_state,
    broadcast_batches,
    broadcast_fan_out,
)
from bot.keys import broadcast as broadcast_key
from bot.quiet_hours import QuietHours
from bot.stored import text, texts
from bot.subscriptions import Subscriber, stream
from workers.delivery import Deliverer, RetryLater
from workers.outbox import CLAIM_LEASE_SECONDS, Outbox, Record, SentLater, Taken
from workers.outbox import SENDING as RECORD_SENDING
from workers.pacing import SendSlots, TokenBucket

log = logging.getLogger("workers.broadcasting")

CHUNK = 500  # subscribers per fan-out step, records per batch
SLICE_SECONDS = 5.0  # a batch yields its worker after this long
BATCH_LEASE_SECONDS = 15.0  # a batch not heard from for this long is presumed dead (renewed every 5 s)
MAX_TOKEN_WAIT = 2.0  # wait for a send slot up to this; longer waits become deferrals
FAN_OUT_LEASE_SECONDS = 60.0
SEND_BATCH_JOB = "workers.jobs.send_batch"

READY, QUEUED, RUNNING, WAITING, HELD, FINISHED = "ready", "queued", "running", "waiting", "held", "done"
BATCHES_IN_FLIGHT = 8  # queued or running batches per broadcast: enough for every worker
STALE_QUEUED_SECONDS = 600  # a queued batch whose job vanished (Redis lost it) is queued again

# Batch states are "name" or "name:time": ready, queued:<enqueued at>, running:<lease until>,
# waiting:<due at>, held (paused), done.
_PARSE = """
local function parse(raw)
  local state, at = string.match(raw or '', '^(%a+):?([%d%.]*)$')
  return state, tonumber(at) or 0
end
"""

# KEYS: batch state hash. ARGV: batch, now, lease until. Takes a batch to run: one that is
# queued, waiting and due, or running with an expired lease (its worker died).
_CLAIM_BATCH = _PARSE + """
local state, at = parse(redis.call('HGET', KEYS[1], ARGV[1]))
local now = tonumber(ARGV[2])
if state == 'queued' or state == 'ready' or (state == 'waiting' and at <= now)
   or (state == 'running' and at < now) then
  redis.call('HSET', KEYS[1], ARGV[1], 'running:' .. ARGV[3])
  return 1
end
return 0
"""

# KEYS: batch state hash. ARGV: now, most in flight, release held ('1' after a resume).
# Marks the batches that should run now as queued and returns their numbers: ready ones in
# order, due waiting ones, dead workers' ones, and queued ones whose job was lost.
_PROMOTE = _PARSE + """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
local in_flight, ready, due = 0, {}, {}
for i = 1, #all, 2 do
  local state, at = parse(all[i + 1])
  if state == 'running' and at < now then table.insert(due, all[i])
  elseif state == 'running' then in_flight = in_flight + 1
  elseif state == 'queued' and now - at > tonumber(ARGV[4]) then table.insert(due, all[i])
  elseif state == 'queued' then in_flight = in_flight + 1
  elseif state == 'waiting' and at <= now then table.insert(due, all[i])
  elseif state == 'held' and ARGV[3] == '1' then table.insert(due, all[i])
  elseif state == 'ready' then table.insert(ready, tonumber(all[i]))
  end
end
table.sort(ready)
for _, batch in ipairs(ready) do table.insert(due, tostring(batch)) end
local chosen = {}
for _, batch in ipairs(due) do
  if in_flight >= limit then break end
  redis.call('HSET', KEYS[1], batch, 'queued:' .. ARGV[1])
  in_flight = in_flight + 1
  table.insert(chosen, batch)
end
return chosen
"""

# KEYS: batch state, broadcast. ARGV: batch. Marks a batch done once; 1 when the broadcast
# is now complete (fan-out finished and every batch done).
_FINISH_BATCH = """
local raw = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if raw == 'done' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'done')
local done = redis.call('HINCRBY', KEYS[2], 'batches_done', 1)
local made = tonumber(redis.call('HGET', KEYS[2], 'batches_created') or '0')
if redis.call('HGET', KEYS[2], 'fanout_done') == '1' and done >= made then return 1 end
return 0
"""


PACE_MARGIN = 0.97  # of SEND_RATE_PER_SECOND: room for the network's jitter under Twilio's limit
SLOTS_BOOKED_SECONDS = 0.02  # a process books this much of the send rate's slots at a time
CHECK_STATUS_AFTER_WAIT = 0.1  # a wait for a slot longer than this ends with a look for a pause
STATUS_CHECK_LEAD = 0.05  # that look is taken this long before the slot, not between slot and send
# A send that reaches its slot later than this (a busy loop, a slow answer) gives it up and takes
# another. At PACE_MARGIN 0.97, the sends in any sliding second stay under the limit unless one
# arrives 31 ms (1/0.97 - 1 s) later than the one booked a second after it: this leaves the
# rest of that for the HTTP request itself.
LATE_SLOT_SECONDS = 0.01
LATE_SLOT_TRIES = 5


@dataclass
class Broadcaster:
    """The broadcast side of a worker process (one per process, shared by its jobs)."""

    redis: Redis
    config: Config
    deliverer: Deliverer

    def __post_init__(self) -> None:
        self.queue = Queue(BROADCAST_QUEUE, connection=self.redis)
        self.outbox: Outbox = self.deliverer.outbox
        self.keys = Keys(REAL)
        self.quiet = QuietHours.parse(self.config.quiet_hours)
        self.transport = "twilio" if self.config.twilio_enabled else "local"
        # Slots evenly spaced (no saved-up burst) a little under the configured rate: Twilio
        # counts creates in any sliding second, and a send reaches it a few ms early or late.
        rate = self.config.send_rate_per_second * PACE_MARGIN
        self.rate = SendSlots(TokenBucket(self.redis, "sender", rate, burst=1),
                              block=int(rate * SLOTS_BOOKED_SECONDS))
        # A send spends part of its time claiming, rendering and finishing around the HTTP
        # exchange; twice as many sends under way as the process's HTTP slots keep those full.
        self.sends_at_once = max(1, min(self.config.send_concurrency * 2,
                                        math.ceil(self.config.send_rate_per_second * 0.5) + 1))
        self._claim_batch = self.redis.register_script(_CLAIM_BATCH)
        self._promote = self.redis.register_script(_PROMOTE)
        self._finish_batch = self.redis.register_script(_FINISH_BATCH)
        self.broadcasts = Broadcasts(self.redis, self.config)
        self._settling: set[Future[str]] = set()  # batches handed out whose last sends are answered
        self._settling_lock = threading.Lock()
        self.stopping = threading.Event()  # the worker is stopping: batches hand out no more records

    # -- fan-out ---------------------------------------------------------------------------

    def fan_out(self, broadcast_id: str) -> str:
        """Create every recipient's record, chunk by chunk, with one batch per chunk."""
        key = broadcast_key(broadcast_id)
        while True:
            cursor_key = broadcast_fan_out(broadcast_id)
            with self.redis.pipeline() as pipe:
                pipe.watch(cursor_key)  # a second run of this fan-out must not interleave with this one
                fields = texts(pipe.hgetall(key))
                cursor = text(pipe.get(cursor_key))
                if fields.get("status") not in {SENDING, PAUSED} or fields.get("fanout_done") == "1":
                    pipe.reset()
                    return "nothing to do"
                draft = Draft.from_fields(fields)
                batch = int(fields.get("batches_created") or 0)
                next_cursor, subscribers = stream(self.redis, self.keys, cursor, CHUNK)
                pipe.multi()
                record_ids = [self._create_record(pipe, broadcast_id, draft, subscriber)
                              for subscriber in subscribers]
                pipe.set(cursor_key, next_cursor or "", ex=30 * 86400)
                changes = {"fanout_lease": f"{time.time() + FAN_OUT_LEASE_SECONDS:.3f}"}
                if record_ids:
                    pipe.hset(broadcast_batches(broadcast_id), str(batch), json.dumps(record_ids))
                    pipe.hset(broadcast_batch_state(broadcast_id), str(batch), READY)
                    changes["batches_created"] = str(batch + 1)
                if next_cursor is None:
                    changes["fanout_done"] = "1"
                pipe.hset(key, mapping=changes)  # type: ignore[arg-type]
                try:
                    pipe.execute()
                except WatchError:
                    continue
            self.promote(broadcast_id)
            if next_cursor is None:
                self._complete_if_finished(broadcast_id)
                return "fanned out"

    def _create_record(self, pipe: object, broadcast_id: str, draft: Draft, subscriber: Subscriber) -> str:
        reply, locale, params = draft.content_for(subscriber.language)
        record_id = f"b-{broadcast_id}-{subscriber.channel}-{subscriber.person}"
        self.outbox.create_once(pipe, record_id, broadcast_id, {
            "kind": "broadcast", "transport": self.transport, "to": subscriber.address,
            "channel": subscriber.channel, "person": subscriber.person, "namespace": REAL,
            "locale": locale, "reply": json.dumps(reply.to_dict()), "params": json.dumps(params),
            "time_zones": subscriber.time_zones,
        })
        return record_id

    def promote(self, broadcast_id: str, release_held: bool = False) -> None:
        """Queue the batches that should run now, keeping a few in flight per broadcast."""
        chosen = self._promote(keys=[broadcast_batch_state(broadcast_id)],
                               args=[f"{time.time():.3f}", BATCHES_IN_FLIGHT, "1" if release_held else "0",
                                     STALE_QUEUED_SECONDS])
        for batch in chosen:
            self._enqueue_batch(broadcast_id, int(batch))

    def _enqueue_batch(self, broadcast_id: str, batch: int) -> None:
        self.queue.enqueue_call(SEND_BATCH_JOB, args=(broadcast_id, batch),
                                job_id=f"bb-{broadcast_id}-{batch}", result_ttl=600, failure_ttl=7 * 86400)

    def _complete_if_finished(self, broadcast_id: str) -> None:
        fields = self.redis.hmget(broadcast_key(broadcast_id), "fanout_done", "batches_created", "batches_done")
        done, made, finished = (text(value, "0") for value in fields)
        if done == "1" and int(finished) >= int(made):
            self._mark_done(broadcast_id)

    def _mark_done(self, broadcast_id: str) -> None:
        for status in (SENDING, PAUSED):
            if self.broadcasts.move(broadcast_id, status, DONE, finished_at=f"{time.time():.3f}"):
                log.info("broadcast finished", extra={"broadcast": broadcast_id})
                return

    # -- batches ---------------------------------------------------------------------------

    def send_batch(self, broadcast_id: str, batch: int) -> str:
        """Send what is due in one batch, for at most one time slice, and settle it."""
        run = self._begin_batch(broadcast_id, batch)
        if isinstance(run, str):
            return run
        return self.deliverer.loop.run(self._run_and_settle(run))

    def start_batch(self, broadcast_id: str, batch: int) -> str:
        """``send_batch`` for the RQ job: returns once the batch has no record left to hand to a
        send, and its last sends are answered and the batch settled on the event loop while
        this worker takes its next job. Why: a batch's last 150 ms would otherwise run with
        fewer and fewer sends in flight, and the next batch start only after them (about 6%
        of the drain's rate at 1,000/s, ``bench.broadcast_drain``)."""
        run = self._begin_batch(broadcast_id, batch)
        if isinstance(run, str):
            return run
        settled = asyncio.run_coroutine_threadsafe(self._run_and_settle(run), self.deliverer.loop.loop)
        with self._settling_lock:
            self._settling.add(settled)
        settled.add_done_callback(self._settled)
        settled.add_done_callback(lambda _: run.handed_out.set())
        run.handed_out.wait()
        return "handed out"

    def _settled(self, settled: Future[str]) -> None:
        with self._settling_lock:
            self._settling.discard(settled)
        if not settled.cancelled() and settled.exception() is not None:
            # Its lease runs out and tending runs it again: the outbox sends nothing twice.
            log.error("broadcast batch failed", exc_info=settled.exception())

    def finish_batches(self, timeout: float) -> bool:
        """For a worker that is stopping: batches hand out no more records (what is left waits
        for another worker), and their sends in flight are answered and recorded. False if
        some did not finish in time."""
        self.stopping.set()
        with self._settling_lock:
            pending = list(self._settling)
        return not wait(pending, timeout=timeout).not_done

    def _begin_batch(self, broadcast_id: str, batch: int) -> _BatchRun | str:
        """Take the batch (a compare-and-set on its state) and prepare its run; or say why not."""
        state_key = broadcast_batch_state(broadcast_id)
        started = time.time()
        if not self._claim_batch(keys=[state_key], args=[batch, started, started + BATCH_LEASE_SECONDS]):
            return "not ours"
        found = self.broadcasts.get(broadcast_id)
        if found is None or found.status != SENDING:
            self.redis.hset(state_key, str(batch), HELD)
            return found.status if found else "gone"
        raw = self.redis.hget(broadcast_batches(broadcast_id), str(batch))
        record_ids: list[str] = json.loads(raw) if raw else []
        pace = (SendSlots(TokenBucket(self.redis, f"pace:{broadcast_id}", found.draft.pace_per_hour / 3600,
                                      burst=1)) if found.draft.pace_per_hour else None)
        return _BatchRun(self, broadcast_id, batch, record_ids, pace, started)

    async def _run_and_settle(self, run: _BatchRun) -> str:
        outcome = await run.run()
        return self._settle(run.broadcast_id, run.batch, outcome)

    def _settle(self, broadcast_id: str, batch: int, outcome: _Outcome) -> str:
        """Record how the slice ended: held (paused), waiting until a time, or done."""
        state_key = broadcast_batch_state(broadcast_id)
        if outcome.stopped_for is not None:
            self.redis.hset(state_key, str(batch), HELD)
            return outcome.stopped_for
        if outcome.waiting_until is not None:
            self.redis.hset(state_key, str(batch), f"{WAITING}:{outcome.waiting_until:.3f}")
            self.promote(broadcast_id)
            return f"waiting {outcome.waiting_until - time.time():.1f}s"
        if self._finish_batch(keys=[state_key, broadcast_key(broadcast_id)], args=[batch]):
            self._mark_done(broadcast_id)
        else:
            self.promote(broadcast_id)
        return "done"

    # -- tending ---------------------------------------------------------------------------

    def tend(self) -> None:
        """Keep every open broadcast moving (see the module docstring)."""
        now = time.time()
        for raw in self.redis.smembers(ACTIVE_BROADCASTS):
            broadcast_id = text(raw)
            fields = texts(self.redis.hgetall(broadcast_key(broadcast_id)))
            status = fields.get("status")
            if status == SCHEDULED and float(fields.get("scheduled_for") or 0) <= now:
                self._start_scheduled(broadcast_id)
                continue
            if status != SENDING:
                continue
            if fields.get("fanout_done") != "1" and float(fields.get("fanout_lease") or 0) < now:
                self.broadcasts.start_fan_out(broadcast_id)
            self.promote(broadcast_id, release_held=True)
            self._complete_if_finished(broadcast_id)

    def _start_scheduled(self, broadcast_id: str) -> None:
        if self.broadcasts.move(broadcast_id, SCHEDULED, SENDING, started_at=f"{time.time():.3f}"):
            self.broadcasts.start_fan_out(broadcast_id)
            self.broadcasts.audit("scheduler", "send", broadcast_id, "scheduled time reached")


@dataclass
class _Outcome:
    waiting_until: float | None = None  # some records wait (quiet hours, pace, retry, lease)
    stopped_for: str | None = None  # paused or cancelled meanwhile


class _BatchRun:
    """One slice of one batch: several sends in flight on the event loop, each paced by the
    shared bucket. Its Redis calls are short and batched, and made from the loop."""

    def __init__(self, owner: Broadcaster, broadcast_id: str, batch: int, record_ids: list[str],
                 pace: SendSlots | None, started: float) -> None:
        self.owner = owner
        self.broadcast_id = broadcast_id
        self.batch = batch
        self.pending = list(reversed(record_ids))
        self.pace = pace
        self.deadline = started + SLICE_SECONDS
        self.waits: list[float] = []
        self.stopped_for: str | None = None
        self.last_check = 0.0
        self.lease_renewed = started
        self.sends_at_once = owner.sends_at_once
        if pace is not None:  # a slow pace needs few sends in flight
            self.sends_at_once = max(1, min(self.sends_at_once, math.ceil(pace.bucket.rate * MAX_TOKEN_WAIT)))
        # With many sends in flight, records are claimed and marked sent a few at a time: one
        # round trip for several (``Outbox.take_many``, ``SentLater``).
        self.sent_later = SentLater(owner.outbox, size=self.sends_at_once // 5)
        self.claim_size = max(1, self.sends_at_once // 10)
        self.claimed: deque[tuple[str, Taken]] = deque()
        self.handed_out = threading.Event()  # no record left to hand to a send: the job may return

    async def run(self) -> _Outcome:
        sends = asyncio.gather(*(self._drain() for _ in range(self.sends_at_once)))
        try:
            while not sends.done():  # the lease is kept while the last answers are awaited too
                await asyncio.wait([sends], timeout=BATCH_LEASE_SECONDS / 3)
                self._renew_lease_if_due(time.time())
            await sends
        finally:
            self.sent_later.flush()  # before the batch can count as done
            self._give_back_claimed()
        if self.stopped_for:
            return _Outcome(stopped_for=self.stopped_for)
        if self.pending:  # the slice ran out: run again as soon as possible
            self.waits.append(time.time())
        return _Outcome(waiting_until=min(self.waits) if self.waits else None)

    def _give_back_claimed(self) -> None:
        """Claims taken for sends that the slice ended (or a pause stopped) before: released,
        attempt and all, for the next slice."""
        for record_id, (outcome, previous, _record) in self.claimed:
            if outcome == "claimed":
                self.owner.outbox.release(record_id, ambiguous=previous == RECORD_SENDING, refund=True)
            self.pending.append(record_id)
        self.claimed.clear()

    def _next(self) -> tuple[str, Taken] | None:
        """The next claimed record to send, or None when the slice is over. No await inside:
        on the one loop, nothing else runs between its look and its change."""
        now = time.time()
        if (self.stopped_for or now > self.deadline or not (self.pending or self.claimed)
                or self.owner.stopping.is_set()):
            self.handed_out.set()
            return None
        if now - self.last_check > 0.5:
            self.last_check = now
            if not self._still_sending():
                self.handed_out.set()
                return None
        self._renew_lease_if_due(now)
        if not self.claimed:
            ids = [self.pending.pop() for _ in range(min(self.claim_size, len(self.pending)))]
            self.claimed.extend(zip(ids, self.owner.outbox.take_many(ids), strict=True))
        if not self.pending and len(self.claimed) == 1:  # the last one
            self.handed_out.set()
        return self.claimed.popleft()

    def _renew_lease_if_due(self, now: float) -> None:
        if now - self.lease_renewed > BATCH_LEASE_SECONDS / 3:
            self.lease_renewed = now
            self.owner.redis.hset(broadcast_batch_state(self.broadcast_id), str(self.batch),
                                  f"{RUNNING}:{now + BATCH_LEASE_SECONDS:.3f}")

    def _still_sending(self) -> bool:
        status = self.owner.redis.hget(broadcast_key(self.broadcast_id), "status")
        if status == SENDING.encode():
            return True
        self.stopped_for = text(status, "gone")
        return False

    def _later(self, until: float) -> None:
        self.waits.append(until)

    async def _drain(self) -> None:
        try:
            while (claimed := self._next()) is not None:
                await self._send_one(*claimed)
        except Exception:  # a send must not die silently: the batch will be re-run
            log.exception("broadcast send failed", extra={"broadcast": self.broadcast_id})
            self._later(time.time() + 5)

    async def _send_one(self, record_id: str, taken: Taken) -> None:
        owner = self.owner
        try:
            outcome = await owner.deliverer.deliver_taken(record_id, taken, gate=self._may_send_now,
                                                          sent_later=self.sent_later)
        except RetryLater:
            self._later(time.time() + min(60.0, 2.0 ** max(1, owner.outbox.attempts(record_id))))
            return
        if outcome == "claimed_elsewhere":  # a dead worker's lease: reconcile once it expires
            self._later(time.time() + CLAIM_LEASE_SECONDS + 1)

    async def _may_send_now(self, record: Record) -> bool:
        """Quiet hours, then the broadcast's pace and the account's rate, asked just before the
        request: a slot taken before claiming and rendering would reach Twilio later by that
        much, and such jitter is what pushes a sliding second over Twilio's limit."""
        now = time.time()
        quiet = self.owner.quiet.wait_everywhere(now, (record.get("time_zones") or "UTC").split())
        if quiet > 0:
            self._later(now + quiet)
            return False
        for slots in (self.pace, self.owner.rate):
            if slots is not None and not await self._wait_for_slot(slots):
                return False
        return True

    async def _wait_for_slot(self, slots: SendSlots) -> bool:
        """Sleep until this send's slot; False (and the record waits) when none is free soon
        enough, the broadcast was paused meanwhile, or every slot taken was reached too late."""
        for _ in range(LATE_SLOT_TRIES):
            granted, wait = slots.take(MAX_TOKEN_WAIT)
            if not granted:
                self._later(time.time() + min(wait, 3600))
                return False
            slot = time.time() + wait
            if wait > CHECK_STATUS_AFTER_WAIT:
                await asyncio.sleep(wait - STATUS_CHECK_LEAD)
                if not self._still_sending():
                    return False
            await asyncio.sleep(max(0.0, slot - time.time()))
            if time.time() - slot <= LATE_SLOT_SECONDS:
                return True
        self._later(time.time())
        return False


def batch_ids(redis: Redis, broadcast_id: str) -> list[str]:
    """Every record id of a broadcast (tests and the CLI's status)."""
    ids: list[str] = []
    for _batch, raw in redis.hscan_iter(broadcast_batches(broadcast_id), count=1000):
        ids.extend(json.loads(raw))
    return ids


__all__ = ["Broadcaster", "Draft", "batch_ids"]
