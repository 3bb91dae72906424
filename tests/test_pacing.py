"""The shared send rate (real Redis): slots from two processes' shares never crowd a second
beyond the rate, a long wait is refused rather than booked, and a slot nobody took in time is
dropped instead of being used late beside the slots booked after it."""

from __future__ import annotations

import time

from redis import Redis

from workers.pacing import SendSlots, TokenBucket

RATE = 50.0


def slot_times(slots: SendSlots, count: int) -> list[float]:
    times = []
    for _ in range(count):
        granted, wait = slots.take(max_wait=60)
        assert granted
        times.append(time.time() + wait)
    return times


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


def test_two_processes_shares_together_keep_to_the_rate(redis: Redis) -> None:
    first = SendSlots(TokenBucket(redis, "test-sender", RATE, burst=1), block=5)
    second = SendSlots(TokenBucket(redis, "test-sender", RATE, burst=1), block=5)
    times = []
    for _ in range(20):  # interleaved, as two worker processes would ask
        times += slot_times(first, 3) + slot_times(second, 4)
    assert most_in_any_second(times) <= RATE + 1  # a window closed at both ends holds one more
    gaps = [b - a for a, b in zip(sorted(times), sorted(times)[1:], strict=False)]
    assert min(gaps) > 0.9 / RATE  # evenly spaced, no two slots together


def test_a_wait_longer_than_the_caller_accepts_is_refused_and_books_nothing(redis: Redis) -> None:
    bucket = TokenBucket(redis, "test-slow", 1.0, burst=1)
    assert bucket.reserve(max_wait=0.5) == (True, 0.0)
    granted, wait = bucket.reserve(max_wait=0.5)
    assert not granted and 0.5 < wait <= 1.0
    granted, again = bucket.reserve(max_wait=5)
    assert granted and again <= wait  # the refusal booked nothing: the same slot is still free


def test_a_slot_not_taken_in_time_is_dropped_not_used_late(redis: Redis) -> None:
    slots = SendSlots(TokenBucket(redis, "test-stale", RATE, burst=1), block=5)
    [first] = slot_times(slots, 1)
    time.sleep(0.2)  # the block's other four slots (20 ms apart) are all in the past now
    now, second, third = time.time(), *slot_times(slots, 2)
    assert second >= first + 5 / RATE - 0.002  # a new block, after the whole old one
    assert third - second > 0.9 / RATE  # paced again, not two stale slots sent at once
    assert second >= now - 0.002
