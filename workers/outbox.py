"""Outbox records: one per outgoing message, so nothing is lost and nothing is sent twice.

A record moves pending -> sending -> sent | failed | skipped. Claiming it for sending is
atomic (a Lua script) and carries a lease: a worker killed mid-send leaves the record in
'sending' with an expired lease, and the next attempt reconciles with Twilio before any
resend, because a send whose answer was lost may still have gone out.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis

from bot.keys import outbox as outbox_key

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
FINAL = frozenset({SENT, FAILED, SKIPPED})
RECORD_TTL_SECONDS = 14 * 24 * 3600

# Returns the previous status when the claim succeeds, nil otherwise.
_CLAIM = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return nil end
if status == 'pending' or (status == 'sending' and
   tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0') < tonumber(ARGV[1])) then
  redis.call('HSET', KEYS[1], 'status', 'sending', 'lease_until', ARGV[2],
             'sending_at', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  return status
end
return nil
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


class Outbox:
    """Reads and moves outbox records; writes go through a pipeline when given one."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._claim = redis.register_script(_CLAIM)

    @staticmethod
    def create(pipe: Any, record_id: str, fields: dict[str, str]) -> None:
        """Add a pending record inside the caller's transaction (with the job that sends it)."""
        key = outbox_key(record_id)
        pipe.hset(key, mapping={**fields, "status": PENDING, "attempts": "0",
                                "created_at": f"{time.time():.3f}"})
        pipe.expire(key, RECORD_TTL_SECONDS)

    def get(self, record_id: str) -> Record | None:
        raw = self.redis.hgetall(outbox_key(record_id))
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return Record(record_id, fields.get("status", PENDING), fields)

    def claim(self, record_id: str, lease_seconds: float = 60.0) -> str | None:
        """Take the record for sending; returns its previous status, or None if not ours."""
        now = time.time()
        previous = self._claim(keys=[outbox_key(record_id)], args=[now, now + lease_seconds])
        return previous.decode() if previous is not None else None

    def mark_sent(self, record_id: str, sid: str) -> None:
        self.redis.hset(outbox_key(record_id), mapping={"status": SENT, "sid": sid,
                                                        "sent_at": f"{time.time():.3f}"})

    def mark_final(self, record_id: str, status: str, reason: str) -> None:
        """Failed or skipped, with a reason an operator can read (an error code, 'opted_out')."""
        self.redis.hset(outbox_key(record_id), mapping={"status": status, "reason": reason,
                                                        "finished_at": f"{time.time():.3f}"})

    def release(self, record_id: str, *, ambiguous: bool) -> None:
        """Give the record back after a failed attempt.

        A send that surely did not happen (429, refused connection) goes back to pending; one
        that may have happened (a dropped answer, a 5xx) stays 'sending' with its lease
        expired, so the next attempt looks it up at Twilio before sending again.
        """
        if ambiguous:
            self.redis.hset(outbox_key(record_id), "lease_until", "0")
        else:
            self.redis.hset(outbox_key(record_id), mapping={"status": PENDING, "lease_until": "0"})
