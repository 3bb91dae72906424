"""Operational endpoints: ``/healthz`` for load balancers and process managers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from redis.exceptions import RedisError

from bot.services import services

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
def healthz() -> Any:
    """200 when Redis answers, 503 otherwise (the bot can take no message without it)."""
    try:
        services().redis.ping()
    except RedisError:
        return jsonify({"status": "unhealthy", "redis": "unreachable"}), 503
    return jsonify({"status": "ok", "redis": "ok"})
