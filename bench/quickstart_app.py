"""The baseline: Twilio's SMS quickstart, bare, answering inline with TwiML.

This is what "a webhook" costs with nothing else: Flask parses the form, twilio's
``MessagingResponse`` builds the reply, no Redis, no signature check, no dedupe, no queue.
The bot keeps guarantees this app does not (signature, dedupe, durable enqueue); the
benchmark measures what those guarantees cost next to it. Same path as the bot's webhook, so
the load generator sends the same requests to both.

Served by gunicorn as ``bench.quickstart_app:app``.
"""

from __future__ import annotations

from flask import Flask, request
from twilio.twiml.messaging_response import MessagingResponse

app = Flask(__name__)


@app.post("/twilio/messages")
def incoming_sms() -> tuple[str, int, dict[str, str]]:
    """Reply inline, as the quickstart does."""
    body = request.values.get("Body", "")
    response = MessagingResponse()
    response.message(f"You said: {body[:100]}")
    return str(response), 200, {"Content-Type": "text/xml; charset=utf-8"}
