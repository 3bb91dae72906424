"""Erasure and expiry: what the bot keeps about a person, and for how long."""

from __future__ import annotations

import time

from flask import Flask
from redis import Redis

from bot.crypto import AddressBook
from bot.keys import REAL, Keys
from bot.subscriptions import iterate
from tests.conftest import Twilio, WorkerProcess
from tests.fake_twilio import FakeTwilio

NUMBER = "+14155550142"
OTHER = "+14155550143"


def keys_mentioning(redis: Redis, text: str) -> list[bytes]:
    """Every key whose name or value holds ``text``."""
    found = []
    for key in redis.scan_iter("msb:*"):
        kind = redis.type(key)
        values: list[bytes] = [key]
        if kind == b"hash":
            values += [v for pair in redis.hgetall(key).items() for v in pair]
        elif kind == b"string":
            values.append(redis.get(key) or b"")
        elif kind == b"zset":
            values += [m for m, _ in redis.zrange(key, 0, -1, withscores=True)]
        elif kind == b"list":
            values += redis.lrange(key, 0, -1)
        if any(text.encode() in value for value in values):
            found.append(key)
    return found


def test_forget_erases_state_subscription_and_numbers_but_keeps_the_opt_out(
    app: Flask, inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    conversation = (("RISKS", NUMBER), ("JOIN", NUMBER), ("hola", f"whatsapp:{NUMBER}"),
                    ("JOIN", f"whatsapp:{NUMBER}"), ("STOP", NUMBER), ("TRIALS", OTHER))
    for count, (body, sender) in enumerate(conversation, start=1):
        inbound.send(body, sender)
        twilio.wait_for_messages(count)  # each reply out before the next message (STOP stops them)
    person = AddressBook(app.config["SECRET_KEY"] and "test-phone-hash-key-0123456789").pseudonym(NUMBER)
    assert keys_mentioning(redis, person)  # the conversation, outbox records...

    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["privacy", "forget", NUMBER])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 5
    assert "opt-out kept: yes" in result.output
    assert keys_mentioning(redis, person) == [Keys(REAL).opt_out(person).encode()]
    assert [s.person for s in iterate(redis, Keys(REAL))] == []  # the other person never joined
    other = AddressBook("test-phone-hash-key-0123456789").pseudonym(OTHER)
    assert keys_mentioning(redis, other)  # nobody else was touched


def test_forget_refuses_what_is_not_a_number(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["privacy", "forget", "robert'); DROP"])
    assert result.exit_code != 0
    assert "E.164" in result.output


def test_every_conversation_key_expires_and_opt_outs_do_not(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    inbound.send("RISKS", NUMBER)
    inbound.send("STOP", OTHER)
    twilio.wait_for_messages(2)
    ttls = {key.decode().split(":")[1]: redis.ttl(key) for key in redis.scan_iter("msb:*")}
    for kind in ("conv", "seen", "sent", "outbox", "stats"):
        assert ttls[kind] > 0, kind
    assert ttls["conv"] <= 30 * 86400
    assert ttls["optout"] == -1
