"""The simulator: talk to the bot without Twilio, through the same intake, router and worker.

Simulated conversations live under their own keys and always use the local outbox, so
trying the bot never touches a real person's state and never sends a real message. Open
only when no Twilio credentials are set. ``GET /simulator`` is a web phone (template
``simulator.html``, script and style under ``static/``) that talks to the JSON API below;
``flask chat`` (``bot.chat``) is the same in a terminal.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request

from bot.intake import Accepted
from bot.keys import SIMULATED, Keys, delivered
from bot.models import Inbound
from bot.services import services
from bot.twilio_wire import BadInbound, parse_address
from messages.model import Channel

blueprint = Blueprint("simulator", __name__)

REPLY_WAIT_SECONDS = 5.0

# The web phone loads only its own script and style and talks only to its own API.
PAGE_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))

# (code, label, an example number of that country) for the web phone's country picker.
COUNTRIES = (
    ("+1", "United States / Canada", "2025550123"),
    ("+44", "United Kingdom", "7400123456"),
    ("+34", "España", "600000001"),
    ("+33", "France", "612345678"),
    ("+49", "Deutschland", "15123456789"),
    ("+39", "Italia", "3123456789"),
    ("+351", "Portugal", "912345678"),
    ("+55", "Brasil", "11987654321"),
    ("+971", "الإمارات", "501234567"),
    ("+20", "مصر", "1001234567"),
    ("+91", "भारत", "9876543210"),
    ("+86", "中国", "13800138000"),
    ("+7", "Россия", "9123456789"),
)
DEFAULT_COUNTRY = "+34"


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _payload() -> tuple[dict[str, Any] | None, tuple[Response, int] | None]:
    if not services().config.simulator_enabled:
        return None, _error(404, "the simulator is off while Twilio credentials are set")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return None, _error(400, "expected a JSON object")
    return data, None


def _number_and_channel(data: dict[str, Any]) -> tuple[str, str]:
    channel = data.get("channel", Channel.SMS)
    if channel not in Channel.ALL:
        raise BadInbound("channel must be 'sms' or 'whatsapp'")
    sender = data.get("from")
    if not isinstance(sender, str):
        raise BadInbound("'from' must be a phone number such as +34600000001")
    _, number = parse_address(sender)
    return number, channel


def _wait_for(record_ids: tuple[str, ...]) -> list[dict[str, Any]]:
    redis = services().redis
    replies = []
    deadline = time.monotonic() + REPLY_WAIT_SECONDS
    for record_id in record_ids:
        remaining = max(deadline - time.monotonic(), 0.01)
        item = redis.blpop([delivered(record_id)], timeout=remaining)
        if item is None:
            raise TimeoutError(record_id)
        entry = json.loads(item[1])
        replies.append({key: entry[key] for key in ("body", "segments", "encoding", "channel")})
    return replies


def take(number: str, channel: str, body: str) -> Accepted:
    """Run one simulated message through the intake (route, remember, queue its replies)."""
    inbound = Inbound(
        message_sid="SIM" + uuid.uuid4().hex,
        number=number,
        channel=channel,
        body=body,
        received_at=time.time(),
    )
    accepted = services().simulator.accept(inbound)
    assert accepted is not None  # a fresh MessageSid is never a duplicate
    return accepted


def forget(number: str) -> None:
    """Start a simulated person afresh: conversations (both channels), opt-out, phone, limits."""
    keys = Keys(SIMULATED)
    redis = services().redis
    person = services().addresses.pseudonym(number)
    counters = list(redis.scan_iter(match=keys.replies_sent(person, "*"), count=100))
    redis.delete(
        keys.conversation(Channel.SMS, person),
        keys.conversation(Channel.WHATSAPP, person),
        keys.opt_out(person),
        keys.phone(person),
        *counters,
    )


@blueprint.get("/simulator")
def page() -> Any:
    """The web phone: pick a number and a channel, type, and see the replies as bubbles."""
    if not services().config.simulator_enabled:
        abort(404)
    response = Response(render_template("simulator.html", countries=COUNTRIES,
                                        default_country=DEFAULT_COUNTRY,
                                        max_body_chars=services().config.max_body_chars))
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/simulator/api/messages")
def simulate() -> Any:
    data, refusal = _payload()
    if refusal is not None:
        return refusal
    assert data is not None
    body = data.get("body")
    try:
        number, channel = _number_and_channel(data)
        if not isinstance(body, str):
            raise BadInbound("'body' must be a string")
        if len(body) > services().config.max_body_chars:
            raise BadInbound("'body' is too long")
    except BadInbound as error:
        return _error(400, str(error))
    accepted = take(number, channel, body)
    try:
        replies = _wait_for(accepted.record_ids)
    except TimeoutError:
        return _error(504, "no worker delivered the reply in time: is the worker running?")
    decision = accepted.decision
    return jsonify({
        "replies": replies,
        "topic": decision.topic or decision.intent,
        "intent": decision.intent,
        "language": decision.language,
    })


@blueprint.post("/simulator/api/reset")
def reset() -> Any:
    """Forget a simulated conversation (both channels), its opt-out and its reply limits."""
    data, refusal = _payload()
    if refusal is not None:
        return refusal
    assert data is not None
    try:
        number, _ = _number_and_channel(data)
    except BadInbound as error:
        return _error(400, str(error))
    forget(number)
    return jsonify({"reset": True})
