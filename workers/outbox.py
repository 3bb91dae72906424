"""Outbox records: one per outgoing message, so nothing is lost and nothing is sent twice.

A record moves pending -> sending -> sent | failed | skipped. Claiming it for sending is
atomic (a Lua script) and carries a lease: a worker killed mid-send leaves the record in
'sending' with an expired lease, and the next attempt reconciles with Twilio before any
resend, because a send whose answer was lost may still have gone out.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis

from bot.keys import broadcast as broadcast_key
from bot.keys import early_status, message_sid, metric, status_seen
from bot.keys import outbox as outbox_key
from bot.stored import text_list, texts

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
FINAL = frozenset({SENT, FAILED, SKIPPED})
RECORD_TTL_SECONDS = 14 * 24 * 3600
CLAIM_LEASE_SECONDS = 45.0  # longer than a send can take (the client allows 15 s to connect and 15 s to read)
# Replies that go out even though the person has just opted out: the one confirmation. Their
# records carry ``when_opted_out=send``, so the claim can decide without reading the reply.
SENT_WHEN_OPTED_OUT = frozenset({"stop_confirm"})

# KEYS: record. ARGV: now, lease end. One round trip for what a send needs to know first:
# {outcome, previous status, field, value, ...} with outcome 'gone' (no record), 'final',
# 'opted_out' (not claimed), 'busy' (another worker's lease runs) or 'claimed'. The opt-out
# key is built as bot.keys.Keys.opt_out builds it: {namespace}:optout:{person}.
_TAKE = """
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {'gone', ''} end
local f = {}
for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
local status = f['status'] or ''
if status == 'sent' or status == 'failed' or status == 'skipped' then return {'final', status} end
local opt_out = (f['namespace'] or 'msb') .. ':optout:' .. (f['person'] or '')
if f['when_opted_out'] ~= 'send' and redis.call('EXISTS', opt_out) == 1 then
  return {'opted_out', status, unpack(fields)}
end
if status == 'pending' or (status == 'sending' and tonumber(f['lease_until'] or '0') < tonumber(ARGV[1])) then
  redis.call('HSET', KEYS[1], 'status', 'sending', 'lease_until', ARGV[2], 'sending_at', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  return {'claimed', status, unpack(fields)}
end
return {'busy', status}
"""

# Twilio's delivery statuses in the order they happen; a callback never moves a message back.
# failed and undelivered are final; a message already delivered (or read) cannot fail after.
_DELIVERY = """
local RANK = {accepted=1, scheduled=1, queued=2, sending=3, sent=4, delivered=6, read=7,
              undelivered=9, failed=9, canceled=9}
local COUNTED = {delivered='delivered', read='delivered', undelivered='undelivered',
                 failed='failed', canceled='failed'}
local function apply_delivery(record, counts, status)
  local new = RANK[status]
  if not new then return 'unknown_status' end
  local current = RANK[redis.call('HGET', record, 'delivery') or ''] or 0
  if current >= 9 or new <= current or (new == 9 and current >= 6) then return 'stale' end
  redis.call('HSET', record, 'delivery', status)
  local counted = COUNTED[status]
  if counts ~= '' and counted and not (counted == 'delivered' and current >= 6) then
    redis.call('HINCRBY', counts, counted, 1)
  end
  return 'moved'
end
"""

# KEYS: record, broadcast counts, sid -> record index, early status, metrics hash. ARGV:
# status, record id, index ttl, metrics field ('' for none), then field/value pairs. Moves a
# record to a final status exactly once, counting it in its broadcast and in /metrics; a
# status callback that came first is applied now.
_FINISH = _DELIVERY + """
local current = redis.call('HGET', KEYS[1], 'status')
if (not current) or current == 'sent' or current == 'failed' or current == 'skipped' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(ARGV, 5))
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[5], ARGV[4], 1) end
local counts = ''
if redis.call('HEXISTS', KEYS[1], 'broadcast') == 1 then
  counts = KEYS[2]
  redis.call('HINCRBY', counts, ARGV[1], 1)
end
if ARGV[1] == 'sent' then
  redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
  local early = redis.call('GET', KEYS[4])
  if early then
    apply_delivery(KEYS[1], counts, early)
    redis.call('DEL', KEYS[4])
  end
end
return 1
"""

# KEYS: (sid, status) seen marker, sid -> record index, early status. ARGV: status, ttl.
# Returns 'duplicate', 'early' (no record yet), or what apply_delivery says.
_STATUS = _DELIVERY + """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return 'duplicate' end
local record_id = redis.call('GET', KEYS[2])
if not record_id then
  local RANKED = RANK[ARGV[1]] or 0
  local before = RANK[redis.call('GET', KEYS[3]) or ''] or 0
  if RANKED > before then redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[2]) end
  return 'early'
end
local record = 'msb:outbox:' .. record_id
local counts = ''
local broadcast = redis.call('HGET', record, 'broadcast')
if broadcast then counts = 'msb:broadcast:' .. broadcast end
return apply_delivery(record, counts, ARGV[1])
"""

# KEYS: record, broadcast counts. ARGV: ttl, then field/value pairs. 1 when created.
_CREATE_ONCE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], 'total', 1)
return 1
"""


@dataclass(frozen=True)
class Record:
    """An outgoing message as stored (the address stays sealed)."""

    id: str
    status: str
    fields: dict[str, str]

    @property
    def reply(self) -> dict[str, Any]:
        return json.loads(self.fields.get("reply", "{}"))

    @property
    def params(self) -> dict[str, str]:
        return json.loads(self.fields.get("params", "{}"))

    @property
    def attempts(self) -> int:
        return int(self.fields.get("attempts", "0"))

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)


Taken = tuple[str, str, Record | None]  # what ``Outbox.take`` found: outcome, previous status, record


class Outbox:
    """Reads and moves outbox records; writes go through a pipeline when given one."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._take = redis.register_script(_TAKE)
        self._finish = redis.register_script(_FINISH)
        self._status = redis.register_script(_STATUS)
        self._create_once = redis.register_script(_CREATE_ONCE)

    @staticmethod
    def create(pipe: Any, record_id: str, fields: dict[str, str]) -> None:
        """Add a pending record inside the caller's transaction (with the job that sends it)."""
        key = outbox_key(record_id)
        pipe.hset(key, mapping={**fields, "status": PENDING, "attempts": "0",
                                "created_at": f"{time.time():.3f}"})
        pipe.expire(key, RECORD_TTL_SECONDS)

    def create_once(self, pipe: Any, record_id: str, broadcast_id: str, fields: dict[str, str]) -> None:
        """Add a broadcast's record unless it exists (a re-run fan-out must not add it twice)."""
        values = {**fields, "broadcast": broadcast_id, "status": PENDING, "attempts": "0",
                  "created_at": f"{time.time():.3f}"}
        flat = [item for pair in values.items() for item in pair]
        self._create_once(keys=[outbox_key(record_id), broadcast_key(broadcast_id)],
                          args=[RECORD_TTL_SECONDS, *flat], client=pipe)

    def get(self, record_id: str) -> Record | None:
        raw = self.redis.hgetall(outbox_key(record_id))
        if not raw:
            return None
        fields = texts(raw)
        return Record(record_id, fields.get("status", PENDING), fields)

    def attempts(self, record_id: str) -> int:
        """How many times the record was taken to be sent (a retry's backoff grows with it)."""
        return int(self.redis.hget(outbox_key(record_id), "attempts") or 0)

    def take(self, record_id: str, lease_seconds: float = CLAIM_LEASE_SECONDS) -> Taken:
        """Read the record, check the person's opt-out and claim it, in one step: (outcome,
        previous status, record as read before the claim); outcomes as ``_TAKE`` says."""
        now = time.time()
        return self._taken(record_id, self._take(keys=[outbox_key(record_id)], args=[now, now + lease_seconds]))

    def take_many(self, record_ids: list[str], lease_seconds: float = CLAIM_LEASE_SECONDS) -> list[Taken]:
        """``take`` for several records in one round trip (a broadcast batch's next few)."""
        now = time.time()
        with self.redis.pipeline(transaction=False) as pipe:
            for record_id in record_ids:
                self._take(keys=[outbox_key(record_id)], args=[now, now + lease_seconds], client=pipe)
            answers = pipe.execute()
        return [self._taken(record_id, answer) for record_id, answer in zip(record_ids, answers, strict=True)]

    @staticmethod
    def _taken(record_id: str, answer: list[Any]) -> Taken:
        outcome, previous = text_list(answer[:2])
        if len(answer) <= 2:
            return outcome, previous, None
        fields = dict(zip(text_list(answer[2::2]), text_list(answer[3::2]), strict=True))
        return outcome, previous, Record(record_id, previous, fields)

    def _move(self, record: Record, status: str, sid: str, fields: dict[str, str], counted: str = "",
              client: Any = None) -> Any:
        flat = [item for pair in fields.items() for item in pair]
        keys = [outbox_key(record.id), broadcast_key(record.get("broadcast") or "none"),
                message_sid(sid or "none"), early_status(sid or "none"), metric("sent")]
        return self._finish(keys=keys, args=[status, record.id, RECORD_TTL_SECONDS, counted, *flat], client=client)

    def mark_sent(self, record: Record, sid: str, counted: str = "") -> bool:
        """Sent (Twilio accepted it); False when the record was already final. ``counted``:
        the /metrics ``sent`` field to add one to, once, when the record moves."""
        return bool(self._move(record, SENT, sid, {"sid": sid, "sent_at": f"{time.time():.3f}"}, counted))

    def mark_many_sent(self, sent: list[tuple[Record, str, str, float]]) -> None:
        """``mark_sent`` for many (record, sid, counted, sent at) in one round trip."""
        with self.redis.pipeline(transaction=False) as pipe:
            for record, sid, counted, at in sent:
                self._move(record, SENT, sid, {"sid": sid, "sent_at": f"{at:.3f}"}, counted, client=pipe)
            pipe.execute()

    def mark_final(self, record: Record, status: str, reason: str) -> bool:
        """Failed or skipped, with a reason an operator can read (an error code, 'opted_out')."""
        return bool(self._move(record, status, "", {"reason": reason, "finished_at": f"{time.time():.3f}"}))

    def record_status(self, sid: str, status: str) -> str:
        """Apply one status callback: counted once per (sid, status), and only ever forward."""
        keys = [status_seen(sid, status), message_sid(sid), early_status(sid)]
        return str(self._status(keys=keys, args=[status, RECORD_TTL_SECONDS]).decode())

    def release(self, record_id: str, *, ambiguous: bool, refund: bool = False) -> None:
        """Give the record back after a failed attempt.

        A send that surely did not happen (429, refused connection) goes back to pending; one
        that may have happened (a dropped answer, a 5xx) stays 'sending' with its lease
        expired, so the next attempt looks it up at Twilio before sending again. ``refund``
        gives the attempt back: a 429 was never processed, so it must not use up the retries.
        """
        with self.redis.pipeline() as pipe:
            if ambiguous:
                pipe.hset(outbox_key(record_id), "lease_until", "0")
            else:
                pipe.hset(outbox_key(record_id), mapping={"status": PENDING, "lease_until": "0"})
            if refund:
                pipe.hincrby(outbox_key(record_id), "attempts", -1)
            pipe.execute()


class SentLater:
    """Records Twilio accepted, marked sent ``size`` at a time: one round trip for many.

    Why it is safe: until the write, such a record is 'sending' under its claim's lease, as
    during any send; if the process dies first, the next attempt looks the message up at
    Twilio, finds it and marks it sent (``Deliverer.deliver``), so nothing goes twice. A batch
    is also written once its oldest has waited ``max_age`` seconds, and by ``flush``.
    """

    def __init__(self, outbox: Outbox, size: int, max_age: float = 0.05) -> None:
        self.outbox = outbox
        self.size = max(1, size)
        self.max_age = max_age
        self.lock = threading.Lock()
        self.waiting: list[tuple[Record, str, str, float]] = []

    def add(self, record: Record, sid: str, counted: str) -> None:
        now = time.time()
        with self.lock:
            self.waiting.append((record, sid, counted, now))
            due = len(self.waiting) >= self.size or now - self.waiting[0][3] >= self.max_age
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            ready, self.waiting = self.waiting, []
        if ready:
            self.outbox.mark_many_sent(ready)
