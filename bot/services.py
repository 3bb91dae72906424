"""The web process's long-lived parts, built once by the app factory and shared by views."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from redis import Redis

from bot.config import Config
from bot.crypto import AddressBook
from bot.inbox import Inbox
from bot.intake import Intake
from bot.keys import REAL, SIMULATED, Keys
from bot.language import Detector, LinguaDetector, no_detector
from workers.outbox import Outbox


@dataclass(frozen=True)
class Services:
    config: Config
    redis: Redis
    addresses: AddressBook
    inbox: Inbox  # where the webhook queues real messages from Twilio
    intake: Intake  # routes real conversations (in the worker; in tests, in process)
    simulator: Intake  # simulated conversations, kept apart
    outbox: Outbox  # status callbacks move its records

    @classmethod
    def build(cls, config: Config, redis: Redis | None = None, detect: Detector | None = None) -> Services:
        """``detect``: the language detector; by default the process's own, loaded now."""
        redis = redis or Redis.from_url(config.redis_url, health_check_interval=30)
        addresses = AddressBook(config.phone_hash_key)
        transport = "twilio" if config.twilio_enabled else "local"
        detect = detect or shared_detector()
        return cls(
            config=config,
            redis=redis,
            addresses=addresses,
            inbox=Inbox(redis, addresses, Keys(REAL), config.dedupe_ttl_hours),
            intake=Intake(redis, config, addresses, Keys(REAL), transport, detect),
            simulator=Intake(redis, config, addresses, Keys(SIMULATED), "local", detect),
            outbox=Outbox(redis),
        )


@lru_cache(maxsize=1)
def shared_detector() -> Detector:
    """One language detector per process: its models take a moment and memory to load."""
    try:
        return LinguaDetector()
    except ImportError:  # pragma: no cover - lingua is a declared dependency
        return no_detector


def detect_on_first_use(text: str) -> str | None:
    """The detector for web processes: only the simulator routes there (real messages are
    routed by the workers), so the models load when someone first uses it, not at start."""
    return shared_detector()(text)


def services() -> Services:
    """The running app's services (inside a request or app context)."""
    return current_app.extensions["msb"]  # type: ignore[no-any-return]
