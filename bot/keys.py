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
        """Set when a MessageSid has been routed and answered: a message reclaimed from the
        inbound stream after a crash is not answered twice."""
        return f"{self.prefix}:seen:{message_sid}"

    def received(self, message_sid: str) -> str:
        """Set by the webhook when it queues a MessageSid, so a copy is not queued again."""
        return f"{self.prefix}:received:{message_sid}"

    def conversation(self, channel: str, person: str) -> str:
        """One conversation per person and channel; expires when idle."""
        return f"{self.prefix}:conv:{channel}:{person}"

    def opt_out(self, person: str) -> str:
        """One opt-out per person, whatever the channel; never expires."""
        return f"{self.prefix}:optout:{person}"

    def replies_sent(self, person: str, window: str) -> str:
        """Replies counted towards a person's limit in one minute or day (``window``)."""
        return f"{self.prefix}:sent:{person}:{window}"

    def subscriber(self, channel: str, person: str) -> str:
        """A subscription to updates on one channel: language, consent time, sealed number."""
        return f"{self.prefix}:sub:{channel}:{person}"

    def subscribers(self) -> str:
        """Sorted set of ``channel:person`` (all scored 0, so ordered by name): what a
        broadcast walks through, a chunk at a time."""
        return f"{self.prefix}:subscribers"

    def audience(self) -> str:
        """Hash ``channel:language`` -> number of subscribers, for previews without a scan."""
        return f"{self.prefix}:audience"

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


def daily_stats(day: str) -> str:
    """Counts for the staff dashboard (inbound by topic, language, channel; opt-outs) per day."""
    return f"msb:stats:{day}"


def broadcast(broadcast_id: str) -> str:
    """One broadcast: its content, status and counts (sent, delivered, failed...)."""
    return f"msb:broadcast:{broadcast_id}"


def broadcast_batches(broadcast_id: str) -> str:
    """Batch number -> the record ids it sends (JSON), written with the records."""
    return f"msb:broadcast:{broadcast_id}:batches"


def broadcast_fan_out(broadcast_id: str) -> str:
    """The fan-out's cursor, written only by the fan-out (so it can WATCH it undisturbed)."""
    return f"msb:broadcast:{broadcast_id}:fan-out"


def broadcast_batch_state(broadcast_id: str) -> str:
    """Batch number -> queued / running / deferred / paused / done, with a time."""
    return f"msb:broadcast:{broadcast_id}:batch-state"


BROADCASTS = "msb:broadcasts"  # sorted set of broadcast ids by creation time
ACTIVE_BROADCASTS = "msb:broadcasts:active"  # the ones a worker must keep moving
AUDIT_LOG = "msb:audit"


def message_sid(sid: str) -> str:
    """Twilio's MessageSid -> our outbox record id, so status callbacks find their record."""
    return f"msb:sid:{sid}"


def early_status(sid: str) -> str:
    """A status callback that arrived before the send's answer: applied when it lands."""
    return f"msb:early-status:{sid}"


def status_seen(sid: str, status: str) -> str:
    """Twilio may call back twice with the same status: each (sid, status) counts once."""
    return f"msb:status-seen:{sid}:{status}"


def bucket(name: str) -> str:
    """A token bucket shared by every worker (the sender's rate, a broadcast's pace)."""
    return f"msb:bucket:{name}"


def staff(username: str) -> str:
    return f"msb:staff:{username}"


def login_failures(username: str) -> str:
    return f"msb:login-failures:{username}"


def login_failures_from(address_digest: str) -> str:
    """Failed console sign-ins from one client address (digested, never the raw IP)."""
    return f"msb:login-failures-from:{address_digest}"


def staff_session(digest: str) -> str:
    """One signed-in console session, by the digest of its id; expires when idle."""
    return f"msb:staff-session:{digest}"


STAFF_ACCOUNTS = "msb:staff-accounts"  # set of staff usernames, for `flask staff list`


def metric(name: str) -> str:
    """One metric's counters for ``/metrics``: a hash of label values -> count; never expires."""
    return f"msb:metrics:{name}"


BROADCAST_SCAN = "msb:broadcast:*"  # what /metrics scans for broadcast hashes (sub-keys skipped)


REPLY_QUEUE = "replies"
BROADCAST_QUEUE = "broadcasts"
