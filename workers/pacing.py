"""A token bucket in Redis, shared by every worker process: the sender's rate is one limit
for the whole account, not one per process.

``reserve`` takes a token now or books the next free slot and says how long to wait for it,
in one round trip; it refuses (and books nothing) when the wait would be longer than the
caller is willing to block, so a long wait becomes a deferral instead of a held thread.
The clock is Redis's own (``TIME``), so processes with skewed clocks still share one pace.
"""

from __future__ import annotations

from redis import Redis

from bot.keys import bucket

# KEYS: bucket. ARGV: rate per second, burst, longest acceptable wait (s).
# Returns the wait in microseconds (0 = go now), or -wait when refused.
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
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', tostring(now))
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

    def reserve(self, max_wait: float) -> tuple[bool, float]:
        """(True, seconds to wait before sending) or, when that wait would exceed
        ``max_wait``, (False, the wait it would have been); nothing is booked then."""
        micros = int(self._reserve(keys=[self.key], args=[self.rate, self.burst, max_wait]))
        return micros >= 0, abs(micros) / 1e6
