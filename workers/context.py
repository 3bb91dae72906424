"""The worker process's dependencies, built once (not per job) and handed to the jobs.

RQ calls job functions by name with small arguments; this module is how those functions
find the Redis connection, the transports and the keys without globals sprinkled around.
"""

from __future__ import annotations

from functools import lru_cache

from redis import Redis

from bot.config import Config
from bot.crypto import AddressBook
from bot.streams import INBOUND_STREAM, WorkStream
from workers import inbound
from workers.broadcasting import Broadcaster
from workers.delivery import Deliverer
from workers.event_loop import EventLoopThread
from workers.inbound import InboundPump
from workers.outbox import Outbox
from workers.replies import ReplySender
from workers.templates import Templates
from workers.transport import LocalOutbox, Transport, TwilioTransport


def build_deliverer(config: Config, redis: Redis) -> Deliverer:
    """Everything a delivery needs; the Twilio transport only when credentials are set."""
    transports: dict[str, Transport] = {"local": LocalOutbox(redis)}
    if config.twilio_enabled:
        transports["twilio"] = TwilioTransport(config)
    return Deliverer(
        redis=redis,
        outbox=Outbox(redis),
        addresses=AddressBook(config.phone_hash_key),
        transports=transports,
        max_attempts=config.reply_retries + 1,
        templates=Templates(config.whatsapp_templates or None),
        loop=EventLoopThread("sends"),
    )


@lru_cache(maxsize=1)
def config() -> Config:
    return Config.from_env()


@lru_cache(maxsize=1)
def deliverer() -> Deliverer:
    """The process's deliverer, built from the environment on first use."""
    return build_deliverer(config(), Redis.from_url(config().redis_url))


@lru_cache(maxsize=1)
def broadcaster() -> Broadcaster:
    """The process's broadcast sender, sharing the deliverer's connections."""
    built = deliverer()
    return Broadcaster(built.redis, config(), built)


@lru_cache(maxsize=1)
def inbound_pump() -> InboundPump:
    """The process's router of inbound messages (loads the language models once)."""
    from bot.services import Services  # the web side's parts, built the same way

    built = Services.build(config(), deliverer().redis)
    return InboundPump(WorkStream(built.redis, INBOUND_STREAM, inbound.LEASE_SECONDS),
                       built.inbox, built.intake)


@lru_cache(maxsize=1)
def reply_sender() -> ReplySender:
    """The process's reply sender, ``SEND_CONCURRENCY`` sends in flight at most."""
    built = deliverer()
    return ReplySender(built.redis, config(), built, config().send_concurrency)
