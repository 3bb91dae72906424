"""Reply limits and loop detection: a flood or an auto-responder cannot run up a bill."""

from __future__ import annotations

import time

import pytest
from redis import Redis

from bot.limits import LOOP_REPEATS, Usage, held_back
from tests.conftest import Twilio, WorkerProcess
from tests.fake_twilio import FakeTwilio


@pytest.mark.parametrize(
    ("intent", "usage", "repeats", "expected"),
    [
        ("risks", Usage(0, 0), 1, None),
        ("risks", Usage(4, 10), 1, None),
        ("risks", Usage(5, 10), 1, "rate"),
        ("risks", Usage(0, 60), 1, "rate"),
        ("unknown", Usage(0, 0), LOOP_REPEATS, "loop"),
        ("more", Usage(0, 0), LOOP_REPEATS + 3, None),
        ("emergency", Usage(99, 999), 9, None),
        ("stop", Usage(99, 999), 9, None),
    ],
    ids=["fresh", "under", "minute-full", "day-full", "loop", "more-is-reading", "emergency",
         "stop"],
)
def test_held_back(intent: str, usage: Usage, repeats: int, expected: str | None) -> None:
    assert held_back(intent, 1, usage, repeats, per_minute=5, per_day=60) == expected


def test_a_flood_from_one_number_gets_at_most_its_limit_and_others_are_still_answered(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    flooder, other = "+14155550177", "+14155550178"
    topics = ["RISKS", "TRIALS", "MSC", "HSCT", "ABOUT", "HOW", "RESULTS", "ACCESS", "CLINICS",
              "SOURCES", "TREATMENTS", "MENU"]
    for word in topics:
        assert inbound.send(word, flooder).status_code == 200
    inbound.send("RISKS", other)
    time.sleep(1.5)
    assert len(twilio.bodies_to(flooder)) == 5
    assert len(twilio.bodies_to(other)) == 1
    day = time.strftime("d%Y%m%d", time.gmtime())
    assert int(redis.get(f"msb:held:rate:{day}")) == len(topics) - 5
    inbound.send("I can't breathe", flooder)  # an emergency is never held back
    twilio.wait_for_messages(7)
    assert "emergency" in twilio.bodies_to(flooder)[-1].lower()


def test_an_auto_responder_loop_is_not_answered(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess, config
) -> None:
    robot = "+14155550179"
    for _ in range(LOOP_REPEATS + 2):
        inbound.send("I am out of the office until Monday.", robot)
    time.sleep(1.5)
    assert len(twilio.bodies_to(robot)) == LOOP_REPEATS - 1
    day = time.strftime("d%Y%m%d", time.gmtime())
    assert int(redis.get(f"msb:held:loop:{day}")) == 3


def test_every_conversation_key_expires_but_the_opt_out_does_not(
    inbound: Twilio, redis: Redis, config
) -> None:
    inbound.send("RISKS", "+14155550180")
    inbound.send("STOP", "+14155550181")
    conversations = list(redis.scan_iter("msb:conv:*"))
    assert len(conversations) == 2
    for key in conversations:
        assert 0 < redis.ttl(key) <= config.conversation_ttl_days * 86400
    [opt_out] = list(redis.scan_iter("msb:optout:*"))
    assert redis.ttl(opt_out) == -1
    for key in redis.scan_iter("msb:sent:*"):
        assert redis.ttl(key) > 0
