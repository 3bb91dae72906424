"""A measured sketch of issue #10's plan, for the benchmark only: take a message in ONE round trip.

Why it exists: the profile shows the bot's webhook spends most of its time routing (phrase
matching, language detection) and in eight Redis round trips, none of which Twilio needs
to wait for. This app keeps what must happen before answering 200 and defers the rest:

* the signature check (``bot.signature``) and the form checks (``bot.twilio_wire``) as the bot;
* durability: the inbound, sealed with Fernet (number *and* text, so Redis reveals neither),
  is stored and an RQ job naming only its MessageSid is queued, in one MULTI/EXEC — one
  round trip, on the append-only Redis, before the 200;
* dedupe: the record is written with HSETNX and the job id is derived from the MessageSid,
  so a retried delivery rewrites the same job; the worker's existing transaction
  (``Intake.accept``, keyed on the MessageSid) stays the exactly-once gate.

Routing, conversation state, limits and reply jobs would move into that worker job
(``workers.jobs.take``, not written: no worker runs in the benchmark). Not used by the bot.
Served by gunicorn as ``bench.one_trip_app:create_app()``, configured like the bot.

``create_stream_app()`` is the leaner variant: one EVALSHA whose script sets a
``msb:taken:<MessageSid>`` marker with NX and, only when it was new, XADDs the sealed
inbound to a Redis stream that a worker would read with a consumer group. Still one round
trip, but a few bytes instead of RQ's ~20-field job hash, and duplicates stop at the door.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from flask import Flask, Response, request
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry

from bot.config import Config
from bot.crypto import AddressBook
from bot.logs import configure_logging
from bot.signature import signature_is_valid
from bot.twilio_wire import EMPTY_TWIML, TWIML_CONTENT_TYPE, BadInbound, parse_inbound

FORM_TYPE = "application/x-www-form-urlencoded"
TAKE_JOB = "workers.jobs.take"
log = logging.getLogger("bot.webhook")


# KEYS: the taken marker, the stream. ARGV: marker TTL (s), MessageSid, sealed inbound.
TAKE_SCRIPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 'sid', ARGV[2], 'sealed', ARGV[3])
  return 1
end
return 0
"""


def plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _app(config: Config, store: Callable[[str, str], None]) -> Flask:
    """The view shared by both variants; ``store(message_sid, sealed)`` is the one round trip."""
    addresses = AddressBook(config.phone_hash_key)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    @app.post("/twilio/messages")
    def inbound_message() -> Response:
        if request.mimetype != FORM_TYPE:
            return plain(415, f"expected {FORM_TYPE}")
        base = config.public_base_url or request.host_url.rstrip("/")
        query = request.query_string.decode("latin-1")
        url = f"{base}{request.script_root}{request.path}" + (f"?{query}" if query else "")
        if not signature_is_valid(config.twilio_auth_token, url, request.form,
                                  request.headers.get("X-Twilio-Signature")):
            return plain(403, "invalid Twilio signature")
        try:
            inbound = parse_inbound(request.form, config.max_body_chars, time.time())
        except BadInbound as error:
            return plain(400, str(error))
        sealed = addresses.seal(json.dumps([inbound.number, inbound.channel, inbound.body, inbound.num_media,
                                            inbound.button_payload, inbound.received_at]))
        try:
            store(inbound.message_sid, sealed)
        except RedisError:
            log.exception("redis unavailable: asking Twilio to retry")
            return plain(503, "temporarily unavailable")
        log.info("inbound message taken", extra={"channel": inbound.channel, "outcome": "taken"})
        return Response(EMPTY_TWIML, status=200, content_type=TWIML_CONTENT_TYPE)

    return app


def _configured() -> tuple[Config, Redis]:
    config = Config.from_env()
    configure_logging(config.log_level, config.log_format)
    return config, Redis.from_url(config.redis_url, health_check_interval=30)


def create_app() -> Flask:
    """Variant 1: record + RQ job in one MULTI/EXEC (RQ's public API, ~8 commands)."""
    config, redis = _configured()
    queue = Queue("intake", connection=redis)
    retry = Retry(max=config.reply_retries, interval=[1, 2, 4, 8, 16, 32][: config.reply_retries])
    ttl = config.dedupe_ttl_hours * 3600

    def store(sid: str, sealed: str) -> None:
        with redis.pipeline(transaction=True) as pipe:
            pipe.multi()  # explicit, as RQ expects of a pipeline it is handed
            pipe.hsetnx(f"msb:inbound:{sid}", "sealed", sealed)
            pipe.expire(f"msb:inbound:{sid}", ttl)
            queue.enqueue_call(TAKE_JOB, args=(sid,), job_id=f"take-{sid}", retry=retry, result_ttl=300,
                               failure_ttl=7 * 86400, pipeline=pipe)
            pipe.execute()

    return _app(config, store)


def create_stream_app() -> Flask:
    """Variant 2: one EVALSHA: marker with NX, then XADD to the intake stream only if new."""
    config, redis = _configured()
    take = redis.register_script(TAKE_SCRIPT)
    ttl = str(config.dedupe_ttl_hours * 3600)

    def store(sid: str, sealed: str) -> None:
        take(keys=[f"msb:taken:{sid}", "msb:intake"], args=[ttl, sid, sealed])

    return _app(config, store)
