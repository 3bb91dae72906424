"""Twilio's wire protocol in one place: signatures, inbound messages, the empty TwiML answer.

Twilio delivers SMS and WhatsApp to the same webhook; WhatsApp numbers arrive prefixed with
``whatsapp:``. Everything that knows Twilio's field names lives here, so the views only
check, parse, hand over and acknowledge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from twilio.twiml.messaging_response import MessagingResponse

from bot import signature as signature_module
from bot.models import Inbound
from messages.model import Channel

EMPTY_TWIML = str(MessagingResponse())
TWIML_CONTENT_TYPE = "text/xml; charset=utf-8"

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_SID = re.compile(r"^(SM|MM|SIM)[0-9A-Za-z]{8,64}$")
WHATSAPP_PREFIX = "whatsapp:"

# Twilio error codes the bot treats specially (named, as courier does).
ERROR_UNSUBSCRIBED = 21610  # the person replied STOP: never retry, mark opted out
ERROR_INVALID_TO = 21211
ERROR_NOT_MOBILE = 21614
ERROR_WHATSAPP_WINDOW = 63016  # free-form WhatsApp outside the 24-hour window
ERROR_TOO_MANY_REQUESTS = 20429


class BadInbound(ValueError):
    """A request that is signed but not a message the bot can take (answered with 4xx)."""


def signature_is_valid(
    auth_token: str, url: str, form: Mapping[str, object], signature: str | None
) -> bool:
    """Check ``X-Twilio-Signature`` over the full URL and every form parameter.

    Pass the form as Flask's MultiDict, not ``to_dict()``: Twilio signs repeated parameter
    names with all their values. Like twilio's validator, ``bot.signature`` also tries the URL
    with and without the default port, which Twilio's signing varies on; it gives the same
    answers in microseconds (see tests/test_signature.py).
    """
    return signature_module.signature_is_valid(auth_token, url, form, signature)


def parse_address(raw: str) -> tuple[str, str]:
    """Split ``whatsapp:+34...`` or ``+34...`` into (channel, bare E.164 number)."""
    raw = raw.strip()
    channel = Channel.SMS
    if raw.lower().startswith(WHATSAPP_PREFIX):
        channel = Channel.WHATSAPP
        raw = raw[len(WHATSAPP_PREFIX) :]
    if not _E164.match(raw):
        raise BadInbound("From must be an E.164 phone number")
    return channel, raw


def parse_inbound(form: Mapping[str, str], max_body_chars: int, now: float) -> Inbound:
    """Build an ``Inbound`` from Twilio's form, or say clearly what is missing."""
    missing = [name for name in ("MessageSid", "From", "Body") if name not in form]
    if missing:
        raise BadInbound(f"missing field(s): {', '.join(missing)}")
    sid = str(form["MessageSid"]).strip()
    if not _SID.match(sid):
        raise BadInbound("MessageSid is malformed")
    channel, number = parse_address(str(form["From"]))
    body = str(form["Body"])
    if len(body) > max_body_chars:
        raise BadInbound(f"Body is longer than {max_body_chars} characters")
    try:
        num_media = int(str(form.get("NumMedia", "0") or "0"))
    except ValueError as exc:
        raise BadInbound("NumMedia must be a number") from exc
    # A shared location, a sticker or a voice note arrives with no text; the bot reads text only.
    # (MediaUrl is never fetched: the bot has no use for the file and must not store it.)
    message_type = str(form.get("MessageType", "") or "").lower()
    if "Latitude" in form or (message_type and message_type not in {"text", "button", "interactive"}):
        num_media = max(num_media, 1)
    return Inbound(
        message_sid=sid,
        number=number,
        channel=channel,
        body=body,
        num_media=max(num_media, 0),
        button_payload=str(form.get("ButtonPayload", "") or "")[:256],
        received_at=now,
    )
