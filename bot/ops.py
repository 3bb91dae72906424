"""Operational endpoints: ``/healthz`` for load balancers and process managers, ``/metrics``
for Prometheus. Neither shows a number, a text or a pseudonym: only counts and ages."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, jsonify
from redis.exceptions import RedisError

from bot import metrics
from bot.services import services

blueprint = Blueprint("ops", __name__)
log = logging.getLogger("bot.ops")


@blueprint.get("/healthz")
def healthz() -> Any:
    """200 when the bot can answer: Redis up, a worker alive, replies not stuck; else 503.

    Only the inbound and reply queues' ages are judged: broadcasts are paced on purpose
    (quiet hours, a pace per hour), so their oldest job may rightly wait long; it is reported
    all the same.
    """
    svc = services()
    limit = svc.config.health_max_queue_age_seconds
    try:
        svc.redis.ping()
        now = time.time()
        workers = metrics.alive_workers(svc.redis, now)
        queues = [metrics.queue_state(svc.redis, name, now) for name in metrics.QUEUES]
    except RedisError:
        return jsonify({"status": "unhealthy", "redis": "unreachable",
                        "problems": ["redis unreachable"]}), 503
    problems = []
    if workers == 0:
        problems.append("no worker alive")
    for state in queues:
        age = state.oldest_age_seconds
        if state.name in metrics.STREAMS and age is not None and age > limit:
            problems.append(f"oldest job in '{state.name}' has waited {age:.0f}s (limit {limit}s)")
    body = {
        "status": "unhealthy" if problems else "ok",
        "redis": "ok",
        "workers": workers,
        "queues": {s.name: {"depth": s.depth,
                            "oldest_age_seconds": None if s.oldest_age_seconds is None
                            else round(s.oldest_age_seconds, 3)} for s in queues},
        "max_queue_age_seconds": limit,
        "problems": problems,
    }
    return jsonify(body), 503 if problems else 200


@blueprint.get("/metrics")
def prometheus_metrics() -> Response:
    """Counters and gauges in Prometheus' text format; 503 (a failed scrape) without Redis."""
    try:
        text = metrics.render(services().redis)
    except RedisError:
        log.warning("metrics unavailable: redis unreachable")
        return Response("redis unreachable\n", status=503, mimetype="text/plain")
    return Response(text, status=200, content_type=metrics.CONTENT_TYPE)
