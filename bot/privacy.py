"""Erasure: ``flask privacy forget NUMBER`` removes what the bot keeps about one person.

Conversation state, subscriptions, reply counters and the simulator's history go; outbox
records lose the sealed number and the pseudonym (a record not yet sent is cancelled first,
so nothing goes to the person afterwards). Only the opt-out marker stays, keyed by the
HMAC of the number, because a carrier's STOP must outlive any erasure.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import Flask
from redis import Redis

from bot import subscriptions
from bot.crypto import AddressBook
from bot.keys import REAL, SIMULATED, Keys
from bot.services import services
from bot.twilio_wire import BadInbound, parse_address
from workers.outbox import FINAL, SKIPPED, Outbox


@dataclass(frozen=True)
class Erased:
    keys_deleted: int
    records_scrubbed: int
    opted_out: bool


def forget(redis: Redis, addresses: AddressBook, number: str) -> Erased:
    """Erase one person (a bare E.164 number) from both namespaces."""
    person = addresses.pseudonym(number)
    deleted = 0
    for keys in (Keys(REAL), Keys(SIMULATED)):
        with redis.pipeline() as pipe:
            subscribed = subscriptions.subscribed_languages(redis, keys, person)
            subscriptions.unsubscribe_everywhere(pipe, keys, person, subscribed)
            for channel in subscriptions.CHANNELS:
                pipe.delete(keys.conversation(channel, person))
            pipe.delete(keys.phone(person))
            pipe.execute()
        doomed = list(redis.scan_iter(match=keys.replies_sent(person, "*"), count=1000))
        deleted += len(subscribed) + (redis.delete(*doomed) if doomed else 0)
    outbox = Outbox(redis)
    scrubbed = 0
    for key in redis.scan_iter(match="msb:outbox:*", count=1000):
        if redis.hget(key, "person") != person.encode():
            continue
        record = outbox.get(key.decode().removeprefix("msb:outbox:"))
        if record is None:
            continue
        if record.status not in FINAL:
            outbox.mark_final(record, SKIPPED, "erased")
        redis.hdel(key, "to", "person")
        scrubbed += 1
    return Erased(deleted, scrubbed, bool(redis.exists(Keys(REAL).opt_out(person))))


def register(app: Flask) -> None:
    @app.cli.group("privacy")
    def privacy() -> None:
        """Answer people's privacy requests."""

    @privacy.command("forget")
    @click.argument("number")
    def forget_command(number: str) -> None:
        """Erase everything kept about NUMBER (E.164, e.g. +34600000001), but its opt-out."""
        try:
            _channel, bare = parse_address(number.strip())
        except BadInbound as error:
            raise click.BadParameter(str(error)) from error
        svc = services()
        erased = forget(svc.redis, svc.addresses, bare)
        click.echo(f"erased: {erased.keys_deleted} subscription(s) and their state; "
                   f"{erased.records_scrubbed} outbox record(s) scrubbed; "
                   f"opt-out kept: {'yes' if erased.opted_out else 'none on record'}")
