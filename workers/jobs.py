"""RQ entry points: thin shells that find their dependencies and call the real function.

Arguments are record ids only; numbers and texts never travel in a job's payload.
"""

from __future__ import annotations

from workers.context import broadcaster, deliverer


def deliver(record_id: str) -> str:
    """Send one outbox record (a reply)."""
    return deliverer().deliver(record_id)


def fan_out(broadcast_id: str) -> str:
    """Create a broadcast's outbox records from its subscribers, batch by batch."""
    return broadcaster().fan_out(broadcast_id)


def send_batch(broadcast_id: str, batch: int) -> str:
    """Send one batch of a broadcast for one time slice (its last sends finish after)."""
    return broadcaster().start_batch(broadcast_id, batch)
