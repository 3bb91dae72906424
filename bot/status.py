"""``POST /twilio/status``: Twilio's delivery reports, applied once each and only forward.

Twilio may report a status twice or out of order (``sent`` after ``delivered``); the outbox
keeps the furthest status reached and a broadcast's counts move with it exactly once.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, request
from redis.exceptions import RedisError

from bot.services import services
from bot.webhook import plain, twilio_request_is_signed

blueprint = Blueprint("status", __name__)
log = logging.getLogger("bot.status")

_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$|^(SM|MM|LO)[0-9A-Za-z]{8,64}$")
_STATUS = re.compile(r"^[a-z_]{3,20}$")


@blueprint.post("/twilio/status")
def delivery_status() -> Response:
    refusal = twilio_request_is_signed()
    if refusal is not None:
        return refusal
    sid = request.form.get("MessageSid", "")
    status = request.form.get("MessageStatus", "").lower()
    if not _SID.match(sid) or not _STATUS.match(status):
        return plain(400, "MessageSid and MessageStatus are required")
    try:
        outcome = services().outbox.record_status(sid, status)
    except RedisError:
        log.exception("redis unavailable: asking Twilio to retry the status callback")
        return plain(503, "temporarily unavailable")
    error_code = request.form.get("ErrorCode", "")
    log.info("status callback %s: %s", status, outcome,
             extra={"status": status, "outcome": outcome, "code": error_code if error_code.isdigit() else ""})
    return Response(status=204)
