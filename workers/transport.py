"""The two ways a message leaves the bot: Twilio's REST API, or the local outbox.

``TwilioTransport`` uses the real ``twilio`` client over ``workers.twilio_http``, whose HTTP
client rebases Twilio's URLs to ``TWILIO_API_BASE_URL`` (no patching of the library), so tests
and benchmarks exercise the same request building and error parsing as production.
``LocalOutbox`` keeps messages in Redis when no credentials are set (``make run``, the
simulator, the terminal chat).

Both are async and run on the worker's event loop (``workers.event_loop``), so one process
keeps many sends in flight without a thread each.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import aiohttp
from redis import Redis
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from bot.config import Config
from bot.keys import Keys, delivered
from bot.stored import text
from messages.model import Channel
from messages.segments import count_segments
from workers.twilio_http import AiohttpClient

logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs numbers at INFO

PERMANENT_HTTP = frozenset({400, 401, 403, 404, 405, 409, 410, 413, 422})


class SendError(Exception):
    """A send that did not (surely) happen.

    ``transient``: worth retrying later (429, 5xx, network). ``ambiguous``: the message may
    have gone out all the same (the answer was lost), so look it up before resending.
    """

    def __init__(self, reason: str, code: int | None = None, *, transient: bool,
                 ambiguous: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.transient = transient
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class Outgoing:
    """One message ready to go: the opened address exists only in memory, for the send."""

    record_id: str
    address: str
    channel: str
    body: str
    person: str
    namespace: str
    content_sid: str | None = None  # a WhatsApp template instead of free-form text
    content_variables: dict[str, str] | None = None


class Transport(Protocol):
    async def send(self, message: Outgoing) -> str:
        """Send and return the provider's message id; raise ``SendError`` otherwise."""

    async def find_sent(self, message: Outgoing, since: float) -> str | None:
        """The id of this message if it already went out (after an ambiguous failure)."""

    async def close(self) -> None:
        """Let go of connections (the worker's shutdown, tests)."""


def classify(exc: Exception) -> SendError:
    """Map what the twilio client raised to retry semantics."""
    if isinstance(exc, TwilioRestException):
        status = int(exc.status or 0)
        code = int(exc.code) if exc.code else status
        if status == 429:
            return SendError("rate limited", code, transient=True)  # never processed: retry
        if status >= 500:
            return SendError(f"twilio {status}", code, transient=True, ambiguous=True)
        return SendError(f"twilio error {code}", code, transient=False)
    # Refused or timed out while connecting: nothing was written, so it was never sent.
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return SendError("connect failed", None, transient=True)
    # Lost after connecting (a dropped or timed-out answer): it may have gone out.
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError):
        return SendError("connection lost", None, transient=True, ambiguous=True)
    raise exc


class TwilioTransport:
    """Sends through Twilio's Messages API with the real client."""

    def __init__(self, config: Config) -> None:
        self.config = config
        # One kept-alive connection per send in flight (a smaller pool would open and drop a
        # connection for nearly every send); 15 s to connect and 15 s to read. Replies and
        # broadcasts share it, so the process has at most SEND_CONCURRENCY requests in flight
        # (Twilio answers 429 past 100 per account).
        self.http = AiohttpClient(config.twilio_api_base_url, timeout=15, pool_size=config.send_concurrency)
        self.client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=self.http)
        # The client imports its Messages API on first use (about 60 ms here): done now, or a
        # process's first send reaches Twilio that much after its slot and crowds the second.
        self.messages = self.client.messages

    def _sender(self, channel: str) -> dict[str, str]:
        if self.config.twilio_messaging_service_sid:
            return {"messaging_service_sid": self.config.twilio_messaging_service_sid}
        if channel == Channel.WHATSAPP:
            sender = self.config.twilio_whatsapp_from
            if sender and not sender.startswith("whatsapp:"):
                sender = f"whatsapp:{sender}"
            return {"from_": sender}
        return {"from_": self.config.twilio_sms_from}

    def _status_callback(self) -> dict[str, str]:
        if self.config.public_base_url:
            return {"status_callback": f"{self.config.public_base_url}/twilio/status"}
        return {}

    async def send(self, message: Outgoing) -> str:
        content: dict[str, str] = {"body": message.body}
        if message.content_sid:
            content = {"content_sid": message.content_sid,
                       "content_variables": json.dumps(message.content_variables or {})}
        try:
            created = await self.messages.create_async(
                to=message.address, **content, **self._sender(message.channel), **self._status_callback(),
            )
        except Exception as exc:
            raise classify(exc) from exc
        return str(created.sid)

    async def find_sent(self, message: Outgoing, since: float) -> str | None:
        """Look for this exact body to this address since the first attempt (Twilio has no
        idempotency key for creating a message, so the Messages list is the only witness)."""
        after = datetime.fromtimestamp(since, UTC) - timedelta(days=1)
        try:
            found = await self.messages.list_async(to=message.address, date_sent_after=after, limit=50)
        except Exception as exc:
            raise classify(exc) from exc
        for item in found:
            created = item.date_created.timestamp() if item.date_created else since
            # A template's text is rendered by Twilio, so any message since the attempt counts.
            same = message.content_sid is not None or item.body == message.body
            if same and created >= since - 5:
                return str(item.sid)
        return None

    async def close(self) -> None:
        await self.http.close()


class LocalOutbox:
    """Delivers into Redis: each person's recent messages, and a per-record announcement.
    (Its Redis calls block the event loop for a round trip each: local use only.)"""

    HISTORY = 100
    TTL_SECONDS = 7 * 86400

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def send(self, message: Outgoing) -> str:
        sid = "LO" + uuid.uuid4().hex
        count = count_segments(message.body)
        entry = json.dumps({
            "sid": sid, "record": message.record_id, "channel": message.channel,
            "body": message.body, "segments": count.segments, "encoding": count.encoding,
            "template": message.content_sid, "at": time.time(),
        })
        phone = Keys(message.namespace).phone(message.person)
        with self.redis.pipeline() as pipe:
            pipe.rpush(phone, entry)
            pipe.ltrim(phone, -self.HISTORY, -1)
            pipe.expire(phone, self.TTL_SECONDS)
            pipe.rpush(delivered(message.record_id), entry)
            pipe.expire(delivered(message.record_id), 300)
            pipe.set(f"msb:local-sid:{message.record_id}", sid, ex=self.TTL_SECONDS)
            pipe.execute()
        return sid

    async def find_sent(self, message: Outgoing, since: float) -> str | None:
        sid = self.redis.get(f"msb:local-sid:{message.record_id}")
        return text(sid) or None

    async def close(self) -> None:
        """Nothing of its own to let go of (the Redis client is the process's)."""
