"""``POST /twilio/messages``: check, parse, queue once, acknowledge.

The view checks the signature, parses the form and hands the sealed message to the inbound
stream in one Redis call (``bot.inbox``); routing, state and sending happen in a worker. It
answers Twilio with an empty TwiML ``<Response/>`` in about a millisecond. Unsigned requests
never reach Redis.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from flask import Blueprint, Response, g, request
from redis.exceptions import RedisError

from bot.logs import scrub
from bot.models import Inbound
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


_TOKEN = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id_from(token: str | None) -> str:
    """Twilio's idempotency token (the same on Twilio's retries of one webhook) when it looks
    like one and nothing like a number; otherwise a fresh id."""
    token = (token or "").strip()
    if _TOKEN.fullmatch(token) and scrub(token) == token:
        return token
    return secrets.token_hex(8)


@blueprint.before_request
def _assign_request_id() -> None:
    g.request_id = request_id_from(request.headers.get("I-Twilio-Idempotency-Token"))
    g.started = time.perf_counter()


@blueprint.after_request
def _return_request_id(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def log_inbound(outcome: str, inbound: Inbound | None, person: str | None,
                level: int = logging.INFO, exc: bool = False) -> None:
    """The webhook's log line for a message: ids and pseudonym, never number or text. (The
    worker logs its routing under the same request id.)"""
    log.log(level, "inbound message %s", outcome, exc_info=exc, extra={
        "request_id": g.request_id, "outcome": outcome,
        "channel": inbound.channel if inbound else None, "person": person,
        "duplicate": outcome == "duplicate",
        "duration_ms": round((time.perf_counter() - g.started) * 1000, 1),
    })


@blueprint.post("/twilio/messages")
def inbound_message() -> Response:
    refusal = twilio_request_is_signed()
    if refusal is not None:
        return refusal
    svc = services()
    try:
        inbound = parse_inbound(request.form, svc.config.max_body_chars, time.time())
    except BadInbound as error:
        log_inbound("invalid", None, None)
        return plain(400, str(error))
    person = svc.addresses.pseudonym(inbound.number)
    try:
        queued = svc.inbox.receive(inbound, g.request_id)
    except RedisError:  # down, or out of memory: Twilio delivers the message again later
        log_inbound("redis_unavailable", inbound, person, logging.ERROR, exc=True)
        return plain(503, "temporarily unavailable")
    log_inbound("queued" if queued else "duplicate", inbound, person)
    return Response(EMPTY_TWIML, status=200, content_type=TWIML_CONTENT_TYPE)
