"""The webhook's one Redis call: mark a MessageSid received and queue the sealed message.

Why one call: each round trip costs the web process as much as the rest of the request, and
Twilio only needs to know the message is safe. A Lua script sets the received marker only if
it is new and appends to the inbound stream in the same step, so a copy of a message that
Twilio delivers twice (or five times at once) is queued once, and a crash can never leave a
message marked but not queued. Routing happens in the worker (``workers.inbound``).
The stream holds the message sealed (AES-GCM): a number or text never sits in Redis readable.
"""

from __future__ import annotations

import json
from typing import Any

from redis import Redis

from bot.crypto import AddressBook
from bot.keys import Keys
from bot.models import Inbound
from bot.streams import INBOUND_STREAM, Entry

_RECEIVE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], '*', 'm', ARGV[2], 'rid', ARGV[3])
  return 1
end
return 0
"""


class Inbox:
    """Receives Twilio's inbound messages into the inbound stream, once per MessageSid."""

    def __init__(self, redis: Redis, addresses: AddressBook, keys: Keys, dedupe_ttl_hours: int) -> None:
        self.addresses = addresses
        self.keys = keys
        self.ttl_seconds = dedupe_ttl_hours * 3600
        self._receive: Any = redis.register_script(_RECEIVE)

    def receive(self, inbound: Inbound, request_id: str) -> bool:
        """True when this MessageSid is new (and now queued); False for a copy."""
        sealed = self.addresses.seal_message(json.dumps(
            [inbound.message_sid, inbound.number, inbound.channel, inbound.body, inbound.num_media,
             inbound.button_payload, inbound.received_at], separators=(",", ":")).encode())
        keys = [self.keys.received(inbound.message_sid), INBOUND_STREAM]
        return bool(self._receive(keys=keys, args=[self.ttl_seconds, sealed, request_id]))

    def open(self, entry: Entry) -> tuple[Inbound, str]:
        """The message and request id queued in ``entry`` (raises ValueError if unreadable)."""
        try:
            fields = json.loads(self.addresses.open_message(entry.fields["m"]))
            return Inbound(*fields), entry.fields.get("rid", "")
        except (KeyError, TypeError, json.JSONDecodeError) as error:
            raise ValueError("inbound entry is not a sealed message") from error
