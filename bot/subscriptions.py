"""Who asked for updates: subscriber records, written inside the intake's transaction.

A subscriber record holds what a broadcast needs and nothing more: the language, the
channel, when consent was given, the time zone of the number (for quiet hours) and the
number itself sealed (AES-GCM, ``bot.crypto``), so a copy of Redis alone reveals no number.
One record per person and channel; STOP on any channel ends them all, because an opt-out is
per person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import timezone as number_timezones
from redis import Redis

from bot.keys import Keys
from bot.stored import text, texts
from messages.model import Channel

CHANNELS = (Channel.SMS, Channel.WHATSAPP)
UNKNOWN_ZONE = "UTC"


def time_zones_of(number: str) -> str:
    """The time zones the number may be in (space-separated), for quiet hours.

    A Spanish mobile may be in Madrid or the Canaries: quiet hours must hold in all of them.
    """
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return UNKNOWN_ZONE
    zones = [zone for zone in number_timezones.time_zones_for_number(parsed) if zone != "Etc/Unknown"]
    return " ".join(zones) if zones else UNKNOWN_ZONE


@dataclass(frozen=True)
class Subscriber:
    """One subscription as stored; ``address`` stays sealed."""

    member: str  # "channel:person", the index entry
    channel: str
    person: str
    language: str
    address: str
    time_zones: str
    consented_at: float

    @classmethod
    def from_fields(cls, member: str, fields: dict[str, str]) -> Subscriber:
        channel, _, person = member.partition(":")
        return cls(member=member, channel=channel, person=person,
                   language=fields.get("language", "en"), address=fields.get("address", ""),
                   time_zones=fields.get("time_zones", UNKNOWN_ZONE),
                   consented_at=float(fields.get("consented_at") or 0))


def subscribe(pipe: Any, keys: Keys, *, channel: str, person: str, sealed_address: str,
              language: str, time_zones: str, now: float, previous_language: str | None) -> None:
    """Record consent (inside a MULTI); ``previous_language`` is None for a new subscriber."""
    pipe.hset(keys.subscriber(channel, person), mapping={
        "language": language, "channel": channel, "address": sealed_address,
        "time_zones": time_zones, "consented_at": f"{now:.3f}",
    })
    pipe.zadd(keys.subscribers(), {f"{channel}:{person}": 0})  # all at 0: walked in name order
    _move_audience(pipe, keys, channel, previous_language, language)


def follow_language(pipe: Any, keys: Keys, *, channel: str, person: str, old: str, new: str) -> None:
    """A subscriber who switches language gets updates in the new one."""
    if old != new:
        pipe.hset(keys.subscriber(channel, person), "language", new)
        _move_audience(pipe, keys, channel, old, new)


def unsubscribe_everywhere(pipe: Any, keys: Keys, person: str, languages: dict[str, str]) -> None:
    """STOP ends every subscription of the person; ``languages`` maps channel -> language."""
    for channel in CHANNELS:
        pipe.delete(keys.subscriber(channel, person))
        pipe.zrem(keys.subscribers(), f"{channel}:{person}")
    for channel, language in languages.items():
        _move_audience(pipe, keys, channel, language, None)


def _move_audience(pipe: Any, keys: Keys, channel: str, old: str | None, new: str | None) -> None:
    if old == new:
        return
    if old is not None:
        pipe.hincrby(keys.audience(), f"{channel}:{old}", -1)
    if new is not None:
        pipe.hincrby(keys.audience(), f"{channel}:{new}", 1)


def subscribed_languages(redis: Any, keys: Keys, person: str) -> dict[str, str]:
    """Channel -> language of the person's current subscriptions."""
    found: dict[str, str] = {}
    for channel in CHANNELS:
        language = redis.hget(keys.subscriber(channel, person), "language")
        if language is not None:
            found[channel] = text(language)
    return found


def audience(redis: Redis, keys: Keys) -> dict[tuple[str, str], int]:
    """(channel, language) -> subscribers, from the running counts."""
    counts: dict[tuple[str, str], int] = {}
    for field, value in redis.hgetall(keys.audience()).items():
        channel, _, language = text(field).partition(":")
        if int(value) > 0:
            counts[(channel, language)] = int(value)
    return counts


def stream(redis: Redis, keys: Keys, after: str, chunk: int) -> tuple[str | None, list[Subscriber]]:
    """One step of a resumable walk through the subscribers, in name order (never all at once).

    ``after`` is the last member of the previous step ("" to begin); returns the cursor for
    the next step (None when done). A name cursor stays valid when Redis restarts, which a
    ZSCAN cursor does not (its hash table is seeded anew on every start).
    """
    start = f"({after}" if after else "-"
    names = [text(member) for member in redis.zrangebylex(keys.subscribers(), start, "+", 0, chunk)]
    with redis.pipeline(transaction=False) as pipe:
        for member in names:
            channel, _, person = member.partition(":")
            pipe.hgetall(keys.subscriber(channel, person))
        rows = pipe.execute()
    found = [Subscriber.from_fields(member, texts(row))
             for member, row in zip(names, rows, strict=True) if row]
    return (names[-1] if len(names) == chunk else None), found


def iterate(redis: Redis, keys: Keys, chunk: int = 500) -> Iterator[Subscriber]:
    """Every subscriber, chunk by chunk (for the CLI and tests)."""
    cursor: str | None = ""
    while cursor is not None:
        cursor, found = stream(redis, keys, cursor, chunk)
        yield from found
