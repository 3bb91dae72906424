"""Taking one inbound message: dedupe, route, remember, queue the replies, in one transaction.

Either everything happens (the MessageSid is marked seen, the conversation updated, the
outbox records written and queued on the reply stream) or nothing does, so a crash between
steps cannot lose a message, and a message taken again (reclaimed from the inbound stream
after a crash) cannot be answered twice. Concurrent takes of one person's messages race on
WATCH: one wins, the others route again with the state it left.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from redis import Redis, RedisError, WatchError

from bot import subscriptions
from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import REAL, Keys, daily_stats
from bot.keys import held_back as held_back_key
from bot.language import Detector, no_detector
from bot.limits import Usage, held_back
from bot.metrics import count_inbound
from bot.models import Conversation, Decision, Inbound
from bot.router import CONFIRM, route
from bot.stored import text, texts
from bot.streams import REPLY_STREAM
from bot.text import normalize
from messages.render import page_count
from workers.outbox import SENT_WHEN_OPTED_OUT, Outbox

_MAX_WATCH_RETRIES = 50


class ConversationBusy(RedisError):
    """So many messages from one person at once that the transaction kept losing the race:
    answered like Redis being unavailable (503), so Twilio delivers it again a bit later."""


@dataclass(frozen=True)
class State:
    """What the intake read about a person before routing their message."""

    seen: bool
    conversation: Conversation
    opted_out: bool
    subscribed: dict[str, str]  # channel -> language of each subscription
    usage: Usage


@dataclass(frozen=True)
class Accepted:
    """A message taken for the first time: the decision and the outbox records it created."""

    decision: Decision
    record_ids: tuple[str, ...]
    person: str


class Intake:
    """Accepts inbound messages for one namespace (real or simulated conversations)."""

    def __init__(
        self,
        redis: Redis,
        config: Config,
        addresses: AddressBook,
        keys: Keys,
        transport: str,
        detect: Detector = no_detector,
    ) -> None:
        self.detect = detect
        self.redis = redis
        self.config = config
        self.addresses = addresses
        self.keys = keys
        self.transport = transport

    def accept(self, inbound: Inbound, also: Callable[[Any], None] | None = None) -> Accepted | None:
        """Route and queue ``inbound``; None when this MessageSid was already taken.
        ``also`` adds writes to the same transaction (the inbound stream's acknowledgement)."""
        person = self.addresses.pseudonym(inbound.number)
        seen_key = self.keys.seen(inbound.message_sid)
        conversation_key = self.keys.conversation(inbound.channel, person)
        opt_out_key = self.keys.opt_out(person)
        subscriber_keys = [self.keys.subscriber(channel, person) for channel in subscriptions.CHANNELS]
        windows = self._windows(inbound.received_at)
        with self.redis.pipeline() as pipe:
            for _ in range(_MAX_WATCH_RETRIES):
                try:
                    pipe.watch(seen_key, conversation_key, opt_out_key, *subscriber_keys)
                    now = self._read(seen_key, conversation_key, opt_out_key, subscriber_keys, person, windows)
                    if now.seen:
                        pipe.reset()
                        return None
                    decision = route(inbound, now.conversation, now.opted_out, page_count, self.detect)
                    decision = self._limit(inbound, now, decision)
                    pipe.multi()
                    record_ids = self._write(pipe, inbound, person, decision, windows,
                                             seen_key, conversation_key, opt_out_key)
                    self._remember_subscription(pipe, inbound, person, decision, now.subscribed)
                    self._count_for_dashboard(pipe, inbound, decision, windows[1])
                    if also is not None:
                        also(pipe)
                    pipe.execute()
                    return Accepted(decision, record_ids, person)
                except WatchError:
                    continue
        raise ConversationBusy("conversation too busy: could not take the message")

    def _read(self, seen_key: str, conversation_key: str, opt_out_key: str, subscriber_keys: list[str],
              person: str, windows: tuple[str, str]) -> State:
        """Everything routing needs, in one round trip. It runs after WATCH (on another
        connection: reads need no transaction), so a change made since still fails the EXEC."""
        minute, day = windows
        with self.redis.pipeline(transaction=False) as reads:
            reads.exists(seen_key)
            reads.hgetall(conversation_key)
            reads.exists(opt_out_key)
            for key in subscriber_keys:
                reads.hget(key, "language")
            reads.mget(self.keys.replies_sent(person, minute), self.keys.replies_sent(person, day))
            seen, conversation, opted_out, *languages, counts = reads.execute()
        subscribed = {channel: text(language) for channel, language
                      in zip(subscriptions.CHANNELS, languages, strict=True) if language is not None}
        return State(seen=bool(seen), conversation=Conversation.from_fields(texts(conversation)),
                     opted_out=bool(opted_out), subscribed=subscribed,
                     usage=Usage(minute=int(counts[0] or 0), day=int(counts[1] or 0)))

    def _windows(self, now: float) -> tuple[str, str]:
        return time.strftime("m%Y%m%d%H%M", time.gmtime(now)), time.strftime("d%Y%m%d", time.gmtime(now))

    def _limit(self, inbound: Inbound, now: State, decision: Decision) -> Decision:
        """Count repeats and replies; drop the replies of a loop or a flood (see bot.limits)."""
        conversation = now.conversation
        digest = self.addresses.digest(normalize(inbound.body) or f"media:{inbound.num_media}")
        repeats = conversation.repeats + 1 if digest == conversation.last_digest else 1
        state = replace(decision.conversation, last_digest=digest, repeats=repeats)
        reason = held_back(decision.intent, len(decision.replies), now.usage, repeats,
                           self.config.replies_per_minute, self.config.replies_per_day)
        if reason is None:
            return replace(decision, conversation=state)
        # Held back: nothing is said, and the conversation does not move on either.
        kept = replace(conversation, last_digest=digest, repeats=repeats,
                       last_inbound_at=inbound.received_at)
        return replace(decision, replies=(), conversation=kept, held_back=reason)

    def _remember_subscription(self, pipe: Any, inbound: Inbound, person: str, decision: Decision,
                               subscribed: dict[str, str]) -> None:
        """JOIN stores consent; STOP ends every subscription; LANG moves it to the new language."""
        if decision.opt_out is True:
            subscriptions.unsubscribe_everywhere(pipe, self.keys, person, subscribed)
        elif decision.subscription == CONFIRM and not decision.held_back:
            subscriptions.subscribe(
                pipe, self.keys, channel=inbound.channel, person=person,
                sealed_address=self.addresses.seal(inbound.address), language=decision.language,
                time_zones=subscriptions.time_zones_of(inbound.number), now=inbound.received_at,
                previous_language=subscribed.get(inbound.channel))
        elif inbound.channel in subscribed:
            subscriptions.follow_language(pipe, self.keys, channel=inbound.channel, person=person,
                                          old=subscribed[inbound.channel], new=decision.language)

    def _count_for_dashboard(self, pipe: Any, inbound: Inbound, decision: Decision, day: str) -> None:
        """Per-day counts for the staff dashboard; simulated conversations are not counted."""
        if self.keys.prefix != REAL:
            return
        key = daily_stats(day)
        for field in ("inbound", f"channel:{inbound.channel}", f"language:{decision.language}",
                      f"intent:{decision.intent}"):
            pipe.hincrby(key, field, 1)
        if decision.opt_out is True:
            pipe.hincrby(key, "opt_outs", 1)
        pipe.expire(key, 400 * 86400)

    def _write(
        self,
        pipe: object,
        inbound: Inbound,
        person: str,
        decision: Decision,
        windows: tuple[str, str],
        seen_key: str,
        conversation_key: str,
        opt_out_key: str,
    ) -> tuple[str, ...]:
        p = pipe  # a redis Pipeline in MULTI mode
        count_inbound(p, self.keys.prefix, inbound.channel, decision)  # /metrics, in this MULTI
        ttl = self.config.conversation_ttl_days * 86400
        p.set(seen_key, "1", ex=self.config.dedupe_ttl_hours * 3600)  # type: ignore[attr-defined]
        p.hset(conversation_key, mapping=decision.conversation.to_fields())  # type: ignore[attr-defined]
        p.expire(conversation_key, ttl)  # type: ignore[attr-defined]
        if decision.opt_out is True:
            p.set(opt_out_key, f"{inbound.received_at:.0f}")  # type: ignore[attr-defined]
        elif decision.opt_out is False:
            p.delete(opt_out_key)  # type: ignore[attr-defined]
        minute, day = windows
        if decision.held_back:
            p.incr(held_back_key(decision.held_back, day))  # type: ignore[attr-defined]
            p.expire(held_back_key(decision.held_back, day), 8 * 86400)  # type: ignore[attr-defined]
        elif decision.replies:
            for window, seconds in ((minute, 120), (day, 2 * 86400)):
                p.incrby(self.keys.replies_sent(person, window), len(decision.replies))  # type: ignore[attr-defined]
                p.expire(self.keys.replies_sent(person, window), seconds)  # type: ignore[attr-defined]
        record_ids = []
        sealed = self.addresses.seal(inbound.address)
        for index, reply in enumerate(decision.replies):
            record_id = f"{'sim-' if self.keys.prefix != 'msb' else ''}r-{inbound.message_sid}-{index}"
            Outbox.create(p, record_id, {
                "kind": "reply",
                "transport": self.transport,
                "to": sealed,
                "channel": inbound.channel,
                "person": person,
                "namespace": self.keys.prefix,
                "locale": decision.language,
                "reply": json.dumps(reply.to_dict()),
                **({"when_opted_out": "send"} if reply.name in SENT_WHEN_OPTED_OUT else {}),
            })
            p.xadd(REPLY_STREAM, {"record": record_id})  # type: ignore[attr-defined]
            record_ids.append(record_id)
        return tuple(record_ids)
