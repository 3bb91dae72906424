"""``flask --app bot chat``: the simulator in a terminal, with or without a worker running."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from redis import Redis

from bot.chat import Chat
from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import SIMULATED, Keys
from bot.simulator import take
from messages.model import Reply
from messages.render import render
from messages.segments import count_segments
from tests.conftest import ROOT, WorkerProcess, config_env
from workers.delivery import Deliverer
from workers.outbox import Outbox

NUMBER = "+34600000001"


def chat(config: Config, lines: list[str], *options: str) -> str:
    """Run the chat command as a person would, feeding it ``lines`` on standard input."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "bot", "chat", "--from", NUMBER, *options],
        input="".join(line + "\n" for line in lines), capture_output=True, text=True,
        env=config_env(config), cwd=ROOT, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def shown(text: str) -> str:
    """How the chat prints a reply's body: continuation lines indented under 'bot> '."""
    return "bot> " + text.replace("\n", "\n     ")


@pytest.fixture
def lonely_config(base_config: Config) -> Iterator[Config]:
    """A Redis database that no worker listens to: the chat must deliver by itself."""
    url = base_config.redis_url.rsplit("/", 1)[0] + "/1"
    client = Redis.from_url(url)
    client.flushdb()
    yield base_config.with_overrides(redis_url=url)
    client.flushdb()
    client.close()


def test_the_chat_answers_in_spanish_without_a_worker(lonely_config: Config) -> None:
    output = chat(lonely_config, ["RIESGOS", "/whatsapp", "menu"])
    risks = render(Reply.topic_page("risks"), "es", "sms").text
    count = count_segments(risks)
    assert "you> RIESGOS\n" + shown(risks) + "\n" in output
    assert f"     [{count.segments} segment{'' if count.segments == 1 else 's'}, {count.encoding}]" in output
    assert "---- topic: risks | language: es" in output
    # On WhatsApp: the menu, in Spanish (the number's country), without SMS segment counts.
    whatsapp = output.split("---- channel: whatsapp\n", 1)[1]
    assert "---- topic: menu | language: es" in whatsapp
    assert "segment" not in whatsapp
    assert shown(render(Reply.menu(), "es", "whatsapp").text) in whatsapp
    # Only the simulated namespace and the local outbox were used; the queued replies wait harmlessly.
    redis = Redis.from_url(lonely_config.redis_url)
    try:
        assert list(redis.scan_iter("msb:conv:*")) == []
        assert len(list(redis.scan_iter("msb:sim:conv:*"))) == 2
        assert redis.xlen("msb:replies") == 2
    finally:
        redis.close()


def test_the_chat_and_a_running_worker_deliver_each_reply_once(
    config: Config, redis: Redis, worker: WorkerProcess
) -> None:
    output = chat(config, ["RIESGOS", "MAS", "LANG en", "/reset", "menu"], "--channel", "sms")
    assert shown(render(Reply.topic_page("risks"), "es", "sms").text) in output
    assert "---- topic: risks | language: es" in output
    assert "---- topic: language | language: en" in output
    after_reset = output.split("---- conversation reset\n", 1)[1]
    assert "---- topic: menu | language: es" in after_reset  # the phone's default again
    assert "(no delivery in time)" not in output
    person = AddressBook(config.phone_hash_key).pseudonym(NUMBER)
    phone = redis.lrange(Keys(SIMULATED).phone(person), 0, -1)  # emptied by /reset
    assert len(phone) == after_reset.count("bot> ")
    outbox = Outbox(redis)
    records = [key.decode().removeprefix("msb:outbox:") for key in redis.scan_iter("msb:outbox:sim-*")]
    assert len(records) == output.count("bot> ")
    for record_id in records:
        record = outbox.get(record_id)
        assert record is not None
        assert (record.status, record.attempts) == ("sent", 1)  # claimed once: sent once


def test_a_record_the_worker_took_first_is_shown_not_sent_again(
        lonely_config: Config, deliverers: Callable[[Config, Redis], Deliverer]) -> None:
    """The two ways a worker can win the race: it already sent, or it is sending right now.
    (Played out on a database no real worker listens to, so the test plays the worker.)"""
    from bot import create_app

    config = lonely_config
    redis = Redis.from_url(config.redis_url)
    with create_app(config).app_context():
        deliverer = deliverers(config, redis)
        conversation = Chat(NUMBER, "sms", deliverer)
        [done] = take(NUMBER, "sms", "RIESGOS").record_ids
        assert deliverer.deliver(done) == "sent"  # the worker was quicker
        entry = conversation.deliver(done)
        assert isinstance(entry, dict) and entry["record"] == done

        [busy] = take(NUMBER, "sms", "MAS").record_ids
        assert deliverer.outbox.take(busy)[:2] == ("claimed", "pending")  # the worker is sending it now...

        def worker_finishes() -> None:  # ...and gets it out a moment later
            deliverer.outbox.release(busy, ambiguous=False)
            assert deliverer.deliver(busy) == "sent"

        finish = threading.Timer(0.3, worker_finishes)
        finish.start()
        entry = conversation.deliver(busy)
        finish.join()
        assert isinstance(entry, dict) and entry["record"] == busy
        person = AddressBook(config.phone_hash_key).pseudonym(NUMBER)
        assert redis.llen(Keys(SIMULATED).phone(person)) == 2  # each sent once
        assert outbox_attempts(redis, done, busy) == [1, 2]  # busy: the worker's two claims


def outbox_attempts(redis: Redis, *record_ids: str) -> list[int]:
    outbox = Outbox(redis)
    return [record.attempts for record in map(outbox.get, record_ids) if record is not None]
