"""Delivering one outbox record: at most once to the person, however often the job runs.

RQ delivers jobs at least once (a killed worker's job runs again), so the exactly-once
promise lives here: a final record is never sent again, a claimed record is not sent by two
workers, and a record left 'sending' is looked up at the provider before any resend.

A delivery is a coroutine on the process's event loop (the sends of a broadcast batch run
side by side there); ``deliver`` runs one from a reply thread and waits for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from redis import Redis

from bot import metrics
from bot.crypto import AddressBook
from bot.keys import Keys
from bot.stored import text
from bot.twilio_wire import ERROR_TOO_MANY_REQUESTS, ERROR_UNSUBSCRIBED
from messages.model import Channel, Reply
from messages.render import render
from workers.event_loop import EventLoopThread
from workers.outbox import FAILED, SENDING, SKIPPED, Outbox, Record, SentLater, Taken
from workers.templates import Templates
from workers.transport import Outgoing, SendError, Transport

WHATSAPP_WINDOW_SECONDS = 24 * 3600

log = logging.getLogger("workers.delivery")


class RetryLater(Exception):
    """Raised to let RQ's Retry schedule another attempt (with backoff)."""


@dataclass
class Deliverer:
    """What a delivery needs, built once per worker process."""

    redis: Redis
    outbox: Outbox
    addresses: AddressBook
    transports: dict[str, Transport]
    max_attempts: int
    templates: Templates
    loop: EventLoopThread

    def _mark_opted_out(self, record: Record) -> None:
        keys = Keys(record.get("namespace", "msb"))
        self.redis.set(keys.opt_out(record.get("person")), "carrier")

    def _window_open(self, record: Record) -> bool:
        """Inside WhatsApp's 24 hours since the person's last message, free-form text may go."""
        keys = Keys(record.get("namespace", "msb"))
        last = self.redis.hget(keys.conversation(Channel.WHATSAPP, record.get("person")), "last_inbound_at")
        return bool(last) and time.time() - float(text(last)) < WHATSAPP_WINDOW_SECONDS

    def _whatsapp(self, record: Record, message: Outgoing) -> Outgoing | str:
        """Choose free-form or template for WhatsApp; a reason string when it may not be sent."""
        locale = record.get("locale", "en")
        if record.reply.get("kind") == "menu" and not record.reply.get("name"):
            menu = self.templates.find("menu", locale)
            if menu is not None and self._window_open(record):
                return replace(message, content_sid=menu.content_sid, content_variables={})
        if self._window_open(record):
            return message
        purpose = "broadcast" if record.get("kind") == "broadcast" else "reply"
        template = self.templates.find(purpose, locale)
        if template is None:
            return f"no_template: outside the WhatsApp 24-hour window, no '{purpose}' template for '{locale}'"
        return replace(message, content_sid=template.content_sid,
                       content_variables=template.variables(message.body))

    def _outgoing(self, record: Record) -> Outgoing:
        reply = Reply.from_dict(record.reply)
        rendered = render(reply, record.get("locale", "en"), record.get("channel"), record.params)
        return Outgoing(
            record_id=record.id,
            address=self.addresses.open(record.get("to")),
            channel=record.get("channel"),
            body=rendered.text,
            person=record.get("person"),
            namespace=record.get("namespace", "msb"),
        )

    def deliver(self, record_id: str, queued_at: float | None = None, waits: list[float] | None = None,
                sent_later: SentLater | None = None) -> str:
        """Send the record if it still needs sending, on the event loop, and wait; returns the
        outcome for the job result (see ``deliver_taken``)."""
        taken = self.outbox.take(record_id)
        return self.loop.run(self.deliver_taken(record_id, taken, queued_at, waits, sent_later=sent_later))

    async def deliver_taken(self, record_id: str, taken: Taken, queued_at: float | None = None,
                            waits: list[float] | None = None,
                            gate: Callable[[Record], Awaitable[bool]] | None = None,
                            sent_later: SentLater | None = None) -> str:
        """Send a record already taken (``Outbox.take``, or ``take_many`` for several at once).
        ``queued_at``: when the reply was queued on the reply stream; ``waits``: where to leave
        its wait for the caller to record (see ``metrics.queue_wait``). ``gate``: asked last,
        just before the request (a broadcast's quiet hours and pace); when it says no, the
        claim is given back, attempt and all, and the outcome is "deferred". ``sent_later``:
        where a sent record waits to be marked with others (a broadcast batch's sends)."""
        outcome, previous, record = taken
        if outcome == "gone":
            return "gone"  # erased or expired: nothing to send, nothing to retry
        if outcome == "final":
            return previous
        if outcome == "busy" or record is None:
            return "claimed_elsewhere"
        if outcome == "opted_out":
            self.outbox.mark_final(record, SKIPPED, "opted_out")
            return SKIPPED
        counted = metrics.sent_field(record.get("namespace", "msb"), record.get("channel"), record.get("kind"))
        transport = self.transports[record.get("transport")]
        message = self._outgoing(record)
        extra = {"record": record_id, "person": record.get("person"),
                 "channel": message.channel}
        extra["queue_wait_ms"] = metrics.queue_wait(self.redis, record_id, record.get("namespace", "msb"),
                                                    queued_at, waits)
        if message.channel == Channel.WHATSAPP:
            chosen = self._whatsapp(record, message)
            if isinstance(chosen, str):
                self.outbox.mark_final(record, FAILED, chosen)
                log.warning("send refused: %s", chosen, extra={**extra, "outcome": "refused"})
                return FAILED
            message = chosen
        reconciling = previous == SENDING
        if reconciling:
            # Since the record was created, not since the last attempt: an attempt that only
            # looked (and failed to) must not hide the first attempt's message from the next.
            since = float(record.get("created_at") or 0)
            try:
                sid = await transport.find_sent(message, since)
            except SendError as error:
                self.outbox.release(record_id, ambiguous=True)
                raise RetryLater(error.reason) from error
            if sid:
                self.outbox.mark_sent(record, sid, counted)
                log.info("send reconciled: already delivered", extra={**extra, "outcome": "sent"})
                return "sent"
        if gate is not None and not await gate(record):
            self.outbox.release(record_id, ambiguous=reconciling, refund=True)
            return "deferred"
        try:
            sid = await transport.send(message)
        except SendError as error:
            return self._failed(record, error, extra, reconciling)
        if sent_later is not None:
            sent_later.add(record, sid, counted)
        else:
            self.outbox.mark_sent(record, sid, counted)
        log.info("message sent", extra={**extra, "outcome": "sent"})
        return "sent"

    def close(self) -> None:
        """Let go of the transports' connections and stop the event loop."""
        for transport in self.transports.values():
            self.loop.run(transport.close())
        self.loop.stop()

    def _failed(self, record: Record, error: SendError, extra: dict[str, str], reconciling: bool = False) -> str:
        """A send that did not go through. After a lookup (``reconciling``) the record stays
        'maybe sent' whatever the error, so the next attempt looks again before sending."""
        ambiguous = error.ambiguous or reconciling
        code = str(error.code or "")
        metrics.count_send_error(self.redis, record.get("namespace", "msb"), error.code)
        if not error.transient:
            if error.code == ERROR_UNSUBSCRIBED:
                self._mark_opted_out(record)
            self.outbox.mark_final(record, FAILED, code or error.reason)
            log.warning("send failed permanently", extra={**extra, "outcome": "failed", "code": code})
            return FAILED
        if record.attempts + 1 >= self.max_attempts:
            if ambiguous:
                self.outbox.release(record.id, ambiguous=True)
            self.outbox.mark_final(record, FAILED, f"gave up: {code or error.reason}")
            log.warning("send gave up after retries", extra={**extra, "outcome": "failed", "code": code})
            return FAILED
        rate_limited = error.code in (ERROR_TOO_MANY_REQUESTS, 429)  # never processed: free to retry
        self.outbox.release(record.id, ambiguous=ambiguous, refund=rate_limited)
        log.info("send failed, will retry", extra={**extra, "outcome": "retry", "code": code})
        raise RetryLater(error.reason)
