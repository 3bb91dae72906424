"""``POST /twilio/messages``: check, parse, dedupe, hand over, acknowledge.

Everything slow (rendering, sending) happens in a worker; the view answers Twilio with an
empty TwiML ``<Response/>`` in milliseconds. Unsigned requests never reach the intake.
"""

from __future__ import annotations

import logging
import time
import uuid

from flask import Blueprint, Response, request
from redis.exceptions import RedisError

from bot.services import services
from bot.twilio_wire import (
    EMPTY_TWIML,
    TWIML_CONTENT_TYPE,
    BadInbound,
    parse_inbound,
    signature_is_valid,
)

blueprint = Blueprint("webhook", __name__)
log = logging.getLogger("bot.webhook")

FORM_TYPE = "application/x-www-form-urlencoded"


def signed_url() -> str:
    """The URL Twilio signed: ``PUBLIC_BASE_URL`` behind a proxy, else what we were called on."""
    base = services().config.public_base_url or request.host_url.rstrip("/")
    query = request.query_string.decode("latin-1")
    return f"{base}{request.script_root}{request.path}" + (f"?{query}" if query else "")


def plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def twilio_request_is_signed() -> Response | None:
    """None when the request is a signed form post; otherwise the response to refuse it."""
    if request.mimetype != FORM_TYPE:
        return plain(415, f"expected {FORM_TYPE}")
    config = services().config
    signature = request.headers.get("X-Twilio-Signature")
    if not signature_is_valid(config.twilio_auth_token, signed_url(), request.form, signature):
        log.warning("rejected request with a missing or invalid Twilio signature")
        return plain(403, "invalid Twilio signature")
    return None


@blueprint.post("/twilio/messages")
def inbound_message() -> Response:
    refusal = twilio_request_is_signed()
    if refusal is not None:
        return refusal
    svc = services()
    request_id = uuid.uuid4().hex[:12]
    try:
        inbound = parse_inbound(request.form, svc.config.max_body_chars, time.time())
    except BadInbound as error:
        return plain(400, str(error))
    try:
        accepted = svc.intake.accept(inbound)
    except RedisError:
        log.exception("redis unavailable: asking Twilio to retry", extra={"request_id": request_id})
        return plain(503, "temporarily unavailable")
    if accepted is None:
        log.info("duplicate inbound ignored", extra={"request_id": request_id})
    else:
        decision = accepted.decision
        log.info(
            "inbound %s routed to %s", inbound.channel, decision.intent,
            extra={"request_id": request_id, "person": accepted.person,
                   "channel": inbound.channel, "intent": decision.intent,
                   "language": decision.language},
        )
    return Response(EMPTY_TWIML, status=200, content_type=TWIML_CONTENT_TYPE)
