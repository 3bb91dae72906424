"""Keeping a loop or a flood from running up a bill: per-person reply limits and loop detection.

Every reply is billed. An auto-responder answering our replies, or SMS pumping, would send
without end; so each person gets at most N replies a minute and M a day, and the same text
arriving again and again is treated as a loop. Excess messages are counted, not answered.
The emergency reply and the one STOP confirmation are never held back.
"""

from __future__ import annotations

from dataclasses import dataclass

LOOP_REPEATS = 4  # the 4th identical message in a row gets no reply
NEVER_LIMITED = frozenset({"emergency", "stop", "start"})
REPEATABLE = frozenset({"more"})  # MORE, MORE, MORE is reading, not a loop


@dataclass(frozen=True)
class Usage:
    """Replies already sent to this person in the current minute and day."""

    minute: int
    day: int


def held_back(intent: str, replies: int, usage: Usage, repeats: int,
              per_minute: int, per_day: int) -> str | None:
    """Why these replies must not be sent (``rate`` or ``loop``), or None to send them."""
    if replies == 0 or intent in NEVER_LIMITED:
        return None
    if repeats >= LOOP_REPEATS and intent not in REPEATABLE:
        return "loop"
    if usage.minute + replies > per_minute or usage.day + replies > per_day:
        return "rate"
    return None
