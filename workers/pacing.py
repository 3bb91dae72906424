"""A token bucket in Redis, shared by every worker process: the sender's rate is one limit
for the whole account, not one per process.

``reserve`` takes a token now or books the next free slots and says how long to wait for the
first, in one round trip; it refuses (and books nothing) when the wait would be longer than
the caller is willing to block, so a long wait becomes a deferral instead of a send held back.
The clock is Redis's own (``TIME``), so processes with skewed clocks still share one pace.

``SendSlots`` books a process's slots a block at a time: at 1,000 sends a second a round
trip per send would be a thousand round trips a second spent on pacing alone.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from redis import Redis

from bot.keys import bucket

# KEYS: bucket. ARGV: rate per second, burst, longest acceptable wait (s), tokens to take.
# Returns the wait in microseconds for the first (0 = go now), or -wait when refused; the
# others follow one every 1/rate seconds.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1e6
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate end
if wait > tonumber(ARGV[3]) then return -math.floor(wait * 1e6) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - tonumber(ARGV[4])), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return math.floor(wait * 1e6)
"""


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up, under one Redis key."""

    def __init__(self, redis: Redis, name: str, rate: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.key = bucket(name)
        self.rate = rate
        # A burst of one second's worth (at least one token) keeps the pace smooth.
        self.burst = burst if burst is not None else max(1.0, rate)
        self._reserve = redis.register_script(_RESERVE)

    def reserve(self, max_wait: float, count: int = 1) -> tuple[bool, float]:
        """(True, seconds to wait before the first of ``count`` sends) or, when that wait
        would exceed ``max_wait``, (False, the wait it would have been); nothing is booked
        then. The other sends are booked 1/rate seconds apart after the first."""
        micros = int(self._reserve(keys=[self.key], args=[self.rate, self.burst, max_wait, count]))
        return micros >= 0, abs(micros) / 1e6


class SendSlots:
    """A process's share of a bucket: slots booked ``block`` at a time, handed to its sends.

    A slot nobody took in time is dropped rather than used late: used late, it would land
    beside the slots booked after it and make a burst the bucket never allowed.
    """

    def __init__(self, bucket: TokenBucket, block: int = 1) -> None:
        self.bucket = bucket
        self.block = max(1, block)
        self.stale_after = max(0.005, 1 / bucket.rate)
        self.lock = threading.Lock()
        self.slots: deque[float] = deque()

    def take(self, max_wait: float) -> tuple[bool, float]:
        """(True, seconds to wait for this send's slot) or (False, how long the next free
        slot is away) when that is more than ``max_wait``, as ``TokenBucket.reserve``."""
        with self.lock:
            now = time.time()
            while self.slots and self.slots[0] < now - self.stale_after:
                self.slots.popleft()
            if not self.slots:
                granted, wait = self.bucket.reserve(max_wait, self.block)
                if not granted:
                    return False, wait
                first = time.time() + wait
                self.slots.extend(first + i / self.bucket.rate for i in range(self.block))
            slot = self.slots.popleft()
        return True, max(0.0, slot - time.time())
