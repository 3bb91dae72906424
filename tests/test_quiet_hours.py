"""Quiet hours: the rule as pure functions, then a broadcast batch that meets them (real Redis
and the fake Twilio API, the batch run in this process): nothing is sent at night in the
subscriber's zone, nothing is claimed or counted as an attempt, and the batch waits for
morning."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis import Redis

from bot.broadcasts import Broadcasts, Draft
from bot.config import Config, ConfigError
from bot.keys import broadcast_batch_state
from bot.quiet_hours import QuietHours
from messages.model import Channel
from tests.fake_twilio import FakeTwilio
from tests.test_broadcasts import seed
from workers.broadcasting import Broadcaster, batch_ids
from workers.delivery import Deliverer

NIGHT = QuietHours.parse("21:00-08:00")


def at(zone: str, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, 24, hour, minute, tzinfo=ZoneInfo(zone)).timestamp()


def test_the_night_crosses_midnight_and_ends_at_its_end() -> None:
    assert NIGHT.wait(at("Europe/Madrid", 12), "Europe/Madrid") == 0
    assert NIGHT.wait(at("Europe/Madrid", 21), "Europe/Madrid") == 11 * 3600
    assert NIGHT.wait(at("Europe/Madrid", 7, 30), "Europe/Madrid") == 30 * 60
    assert NIGHT.wait(at("Europe/Madrid", 8), "Europe/Madrid") == 0


def test_it_is_night_where_the_person_is_not_where_the_server_is() -> None:
    noon_in_madrid = at("Europe/Madrid", 12)  # 03:00 in Los Angeles
    assert NIGHT.wait(noon_in_madrid, "America/Los_Angeles") == 5 * 3600
    assert NIGHT.wait(noon_in_madrid, "Not/A_Zone") == 0  # an unknown zone counts as UTC (11:00)


def test_a_number_with_several_zones_waits_until_it_is_day_in_all() -> None:
    evening_in_new_york = at("America/New_York", 20)  # 17:00 in LA: day there, night soon in NY
    waited = NIGHT.wait_everywhere(evening_in_new_york, ["America/New_York", "America/Los_Angeles"])
    assert waited == 0
    late = at("America/New_York", 22)  # 19:00 in LA: NY waits until 08:00 NY, then LA is asleep
    waited = NIGHT.wait_everywhere(late, ["America/New_York", "America/Los_Angeles"])
    morning = datetime.fromtimestamp(late + waited, ZoneInfo("America/Los_Angeles"))
    assert (morning.hour, morning.minute) == (8, 0)
    assert all(NIGHT.wait(late + waited, zone) == 0 for zone in ("America/New_York", "America/Los_Angeles"))


@pytest.mark.parametrize("text", ["21-08", "25:00-08:00", "21:00-08:60", ""])
def test_a_window_that_cannot_be_read_is_refused_by_name(text: str) -> None:
    with pytest.raises(ConfigError, match="QUIET_HOURS"):
        QuietHours.parse(text)


def window_around_now(zone: str) -> tuple[str, float]:
    """A quiet window from an hour ago to an hour from now in ``zone``, and when it ends."""
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo(zone))
    start, end = local - timedelta(hours=1), (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    return f"{start:%H:%M}-{end:%H:%M}", end.timestamp()


def test_a_broadcast_batch_at_night_sends_nothing_claims_nothing_and_waits_for_morning(
    own_redis: tuple[Redis, str], config: Config, twilio: FakeTwilio, deliverers: Callable[[Config, Redis], Deliverer]
) -> None:
    redis, url = own_redis
    window, ends = window_around_now("Europe/Madrid")  # seed() gives every number Madrid's zone
    night = replace(config, quiet_hours=window, redis_url=url)
    seed(redis, night, [("+34612000101", Channel.SMS, "en"), ("+34612000102", Channel.SMS, "en")])
    broadcasts = Broadcasts(redis, night)
    created = broadcasts.create(Draft(texts={"en": "Night-time update."}), "tester")
    broadcasts.send(created.id, "tester")
    broadcaster = Broadcaster(redis, night, deliverers(night, redis))
    broadcaster.fan_out(created.id)

    outcome = broadcaster.send_batch(created.id, 0)

    assert outcome.startswith("waiting")
    assert twilio.requests == []
    for record_id in batch_ids(redis, created.id):
        record = redis.hgetall(f"msb:outbox:{record_id}")
        assert (record[b"status"], record[b"attempts"]) == (b"pending", b"0")
    state = redis.hget(broadcast_batch_state(created.id), "0").decode()
    due = float(state.split(":", 1)[1])
    assert state.startswith("waiting:") and abs(due - ends) < 1.0
    assert due > time.time() + 3000  # about an hour: not retried all night
