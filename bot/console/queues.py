"""The queue page's data, read through RQ's own API: queues, their registries, failed jobs;
and, for replies, what waits outside RQ (the reply stream, and retries waiting out their
backoff).

An equivalent of rq-dashboard kept behind the console's sign-in: job arguments are never
shown (they are record ids only anyway), and an exception's last line is scrubbed of
anything that looks like a phone number, because Twilio's errors may quote one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.results import Result

from bot.keys import BROADCAST_QUEUE, REPLY_QUEUE
from bot.logs import scrub
from bot.metrics import outside_rq

KNOWN_QUEUES = (REPLY_QUEUE, BROADCAST_QUEUE)
FAILED_SHOWN = 50  # per queue, newest first
_JOB_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class QueueRow:
    name: str
    queued: int
    started: int
    scheduled: int
    deferred: int
    failed: int
    finished: int


@dataclass(frozen=True)
class FailedJob:
    queue: str
    id: str
    function: str
    failed_at: datetime | None
    error: str


def queue_names(redis: Redis) -> list[str]:
    """The bot's queues first, then any other queue RQ knows of."""
    others = sorted(q.name for q in Queue.all(connection=redis) if q.name not in KNOWN_QUEUES)
    return [*KNOWN_QUEUES, *others]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = scrub(lines[-1]) if lines else "(no exception recorded)"
    return line if len(line) <= MAX_ERROR_CHARS else line[:MAX_ERROR_CHARS - 1] + "…"


def _failed_job(queue: str, job: Job) -> FailedJob:
    try:
        function = job.func_name or "?"
    except Exception:  # a payload this code version cannot read
        function = "(unreadable)"
    result = job.latest_result()
    failure = result.exc_string if result is not None and result.type == Result.Type.FAILED else None
    failed_at = job.ended_at or (result.created_at if result is not None else None)
    return FailedJob(queue, job.id, function, failed_at, _last_line(failure or job._exc_info or ""))


def overview(redis: Redis) -> tuple[list[QueueRow], list[FailedJob]]:
    rows: list[QueueRow] = []
    failed: list[FailedJob] = []
    for name in queue_names(redis):
        queue = Queue(name, connection=redis)
        failed_registry = FailedJobRegistry(queue=queue)
        streamed, retrying = outside_rq(redis, name)
        rows.append(QueueRow(
            name=name, queued=queue.count + streamed,
            # cleanup=False: looking must not move jobs (the workers' maintenance does that)
            started=StartedJobRegistry(queue=queue).get_job_count(cleanup=False),
            scheduled=ScheduledJobRegistry(queue=queue).get_job_count(cleanup=False) + retrying,
            deferred=DeferredJobRegistry(queue=queue).get_job_count(cleanup=False),
            failed=failed_registry.get_job_count(cleanup=False),
            finished=FinishedJobRegistry(queue=queue).get_job_count(cleanup=False),
        ))
        ids = failed_registry.get_job_ids(0, FAILED_SHOWN - 1, desc=True, cleanup=False)
        for job in Job.fetch_many(ids, connection=redis):
            if job is not None:
                failed.append(_failed_job(name, job))
    return rows, failed


def retry(redis: Redis, queue_name: str, job_id: str) -> None:
    """Put a failed job back on its queue; LookupError when it is not (or no longer) failed."""
    if queue_name not in queue_names(redis) or not _JOB_ID.match(job_id):
        raise LookupError(job_id)
    registry = FailedJobRegistry(queue_name, connection=redis)
    if job_id not in registry:
        raise LookupError(job_id)
    registry.requeue(job_id)
