"""RQ entry points: thin shells that find their dependencies and call the real function.

Arguments are record ids only; numbers and texts never travel in a job's payload.
"""

from __future__ import annotations

from workers.context import deliverer


def deliver(record_id: str) -> str:
    """Send one outbox record (a reply or a broadcast message)."""
    return deliverer().deliver(record_id)
