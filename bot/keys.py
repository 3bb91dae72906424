"""Every Redis key the bot writes, named in one place (and never containing a raw number).

Real conversations live under ``msb:``; the simulator's under ``msb:sim:``, so trying the
bot can never touch a real person's state or opt-out.
"""

from __future__ import annotations

from dataclasses import dataclass

REAL = "msb"
SIMULATED = "msb:sim"


@dataclass(frozen=True)
class Keys:
    """Key names for one namespace (real or simulated)."""

    prefix: str = REAL

    def seen(self, message_sid: str) -> str:
        """Set once per inbound MessageSid: Twilio may deliver a message twice."""
        return f"{self.prefix}:seen:{message_sid}"

    def conversation(self, channel: str, person: str) -> str:
        """One conversation per person and channel; expires when idle."""
        return f"{self.prefix}:conv:{channel}:{person}"

    def opt_out(self, person: str) -> str:
        """One opt-out per person, whatever the channel; never expires."""
        return f"{self.prefix}:optout:{person}"

    def replies_sent(self, person: str, window: str) -> str:
        """Replies counted towards a person's limit in one minute or day (``window``)."""
        return f"{self.prefix}:sent:{person}:{window}"

    def phone(self, person: str) -> str:
        """The local outbox's recent messages to one person (simulator and terminal chat)."""
        return f"{self.prefix}:phone:{person}"


def held_back(reason: str, day: str) -> str:
    """How many messages were counted but not answered, by reason and day (for operators)."""
    return f"msb:held:{reason}:{day}"


def outbox(record_id: str) -> str:
    """One record per outgoing message: pending -> sending -> sent / failed / skipped."""
    return f"msb:outbox:{record_id}"


def delivered(record_id: str) -> str:
    """Where the local outbox announces a delivered record (the simulator waits on it)."""
    return f"msb:delivered:{record_id}"


REPLY_QUEUE = "replies"
BROADCAST_QUEUE = "broadcasts"
