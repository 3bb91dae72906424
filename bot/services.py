"""The web process's long-lived parts, built once by the app factory and shared by views."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from redis import Redis

from bot.config import Config
from bot.crypto import AddressBook
from bot.intake import Intake
from bot.keys import REAL, SIMULATED, Keys


@dataclass(frozen=True)
class Services:
    config: Config
    redis: Redis
    addresses: AddressBook
    intake: Intake  # real conversations, from Twilio
    simulator: Intake  # simulated conversations, kept apart

    @classmethod
    def build(cls, config: Config, redis: Redis | None = None) -> Services:
        redis = redis or Redis.from_url(config.redis_url, health_check_interval=30)
        addresses = AddressBook(config.phone_hash_key)
        transport = "twilio" if config.twilio_enabled else "local"
        return cls(
            config=config,
            redis=redis,
            addresses=addresses,
            intake=Intake(redis, config, addresses, Keys(REAL), transport),
            simulator=Intake(redis, config, addresses, Keys(SIMULATED), "local"),
        )


def services() -> Services:
    """The running app's services (inside a request or app context)."""
    return current_app.extensions["msb"]  # type: ignore[no-any-return]
