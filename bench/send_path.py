"""What one broadcast send costs in CPU, step by step, one at a time (evidence for issue #10).

Why one at a time: on a shared 2-core machine the drain benchmark's CPU per message moves with
everyone else's load (and with many sends under way at once); the CPU time of this process
doing each step many times, one after another (``time.process_time``: the calling thread
and the event loop's, nothing else runs) is what the code itself costs, and the difference to
the drain's figure is what concurrency adds. Each step is the project's own call
(``Outbox.take``, ``SendSlots.take``, ``TwilioTransport.send``...) against an embedded Redis
and the fake Twilio API (own process, no latency, no limits).

Variants measured in the same process: the ``twilio`` client as the transport builds it (over
aiohttp on the event loop, ``workers.twilio_http``), and with twilio's own requests-based HTTP
client, for comparison:

    .venv/bin/python -m bench.send_path --records 2000
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import urllib3
from redis import Redis
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bench.stack import PUBLIC_BASE_URL, FakeApi, bot_environment, config_for, load_average, seed_subscribers
from bot.broadcasts import Broadcasts, Draft
from bot.embedded_redis import RedisServer
from bot.logs import configure_logging
from workers.broadcasting import SLOTS_BOOKED_SECONDS, Broadcaster, batch_ids
from workers.context import build_deliverer
from workers.delivery import Deliverer
from workers.pacing import SendSlots, TokenBucket
from workers.transport import Outgoing, TwilioTransport

TEXT = "MS stem cell news: the new trial results are out. Reply MENU for the topics, STOP to end updates."


def per_call(step: Callable[[int], object], calls: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per call of ``step(i)`` for i in range(calls), in this process."""
    cpu, wall = time.process_time(), time.perf_counter()
    for index in range(calls):
        step(index)
    return 1e6 * (time.process_time() - cpu) / calls, 1e6 * (time.perf_counter() - wall) / calls


def bare_post(fake: FakeApi, sender: str, messages: list[Outgoing]) -> Callable[[int], object]:
    """The same create with nothing but urllib3 and json: what the HTTP round trip itself costs
    in this process, so the client's share of ``TwilioTransport.send`` can be told apart."""
    pool = urllib3.PoolManager(maxsize=4)
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    headers = {**urllib3.make_headers(basic_auth=f"{fake.account_sid}:{fake.auth_token}"),
               "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}

    def post(i: int) -> object:
        body = urlencode({"To": messages[i].address, "From": sender, "Body": messages[i].body,
                          "StatusCallback": f"{PUBLIC_BASE_URL}/twilio/status"})
        response = pool.request("POST", url, body=body, headers=headers)
        return json.loads(response.data)["sid"]
    return post


def measure(args: argparse.Namespace, work: Path) -> list[tuple[str, int, float, float]]:
    """Rows of (step, times per send, CPU µs per call, wall µs per call)."""
    server = RedisServer(work / "redis").start()
    redis = Redis.from_url(server.url)
    fake = FakeApi(0.0, None, None, work / "fake.log")
    log_file = (work / "worker.log").open("w")
    sys.stderr = log_file  # the JSON log lines go where a worker's would: a file
    deliverer: Deliverer | None = None
    try:
        env = bot_environment(server.url, fake, SEND_RATE_PER_SECOND="1000000", QUIET_HOURS="00:00-00:00")
        config = config_for(env)
        configure_logging("INFO", "json")
        deliverer = build_deliverer(config, redis)
        broadcaster = Broadcaster(redis, config, deliverer)
        n = args.records
        seed_subscribers(redis, 3 * n)
        broadcasts = Broadcasts(redis, config)
        created = broadcasts.create(Draft(texts={"en": TEXT}), "bench")
        broadcasts.send(created.id, "bench")  # enqueues the fan-out job, which no worker runs here
        rows: list[tuple[str, int, float, float]] = []
        cpu, wall = time.process_time(), time.perf_counter()
        broadcaster.fan_out(created.id)  # done here, in this thread, to time it
        rows.append(("fan-out, per recipient (stream, create_once, batches)", 1,
                     1e6 * (time.process_time() - cpu) / (3 * n), 1e6 * (time.perf_counter() - wall) / (3 * n)))
        ids = batch_ids(redis, created.id)
        first, second, third = ids[:n], ids[n:2 * n], ids[2 * n:3 * n]
        outbox = deliverer.outbox
        records = [outbox.get(i) for i in first]
        rate = 1000.0  # slots booked as a worker books them at SEND_RATE_PER_SECOND=1000
        slots = SendSlots(TokenBucket(redis, "bench-sender", rate, burst=1), block=int(rate * SLOTS_BOOKED_SECONDS))
        transport = deliverer.transports["twilio"]
        assert isinstance(transport, TwilioTransport)
        messages = [deliverer._outgoing(r) for r in records if r is not None]
        delivery_log = logging.getLogger("workers.delivery")
        steps: list[tuple[str, int, Callable[[int], object]]] = [
            (f"SendSlots.take (one EVALSHA per {slots.block} slots)", 1, lambda i: slots.take(60.0)),
            ("render + open the sealed number", 1, lambda i: deliverer._outgoing(records[i])),  # type: ignore[arg-type]
            ("'message sent' log line (JSON)", 1, lambda i: delivery_log.info("message sent", extra={
                "record": first[i], "person": "p", "channel": "sms", "queue_wait_ms": "", "outcome": "sent"})),
            ("Outbox.take: read, opt-out check, claim (EVALSHA)", 1, lambda i: outbox.take(first[i])),
            ("TwilioTransport.send (twilio client + HTTP, on the event loop)", 1,
             lambda i: deliverer.loop.run(transport.send(messages[i]))),
            ("Outbox.mark_sent, /metrics count included (EVALSHA)", 1,
             lambda i: outbox.mark_sent(records[i], f"SM{i:032d}", "sms|broadcast")),  # type: ignore[arg-type]
        ]
        for name, times, step in steps:
            rows.append((name, times, *per_call(step, n)))
        own = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=TwilioHttpClient(timeout=15))
        own.api.base_url = fake.base_url
        own.http_client.session.trust_env = False  # type: ignore[attr-defined]
        rows.append(("the same create with twilio's own HTTP client (requests), for comparison", 0,
                     *per_call(lambda i: own.messages.create(to=messages[i].address, body=messages[i].body,
                                                             from_=config.twilio_sms_from), n)))
        rows.append(("bare urllib3 POST of the same form, JSON parsed (a lower bound)", 0,
                     *per_call(bare_post(fake, config.twilio_sms_from, messages), n)))
        rows.append(("Deliverer.deliver, whole (take, send, finish, log)", 0,
                     *per_call(lambda i: deliverer.deliver(second[i]), n)))

        async def may_send_now(record: object) -> bool:  # what _BatchRun._may_send_now does, without sleeping
            broadcaster.quiet.wait_everywhere(time.time(), ["Europe/Madrid"])
            return slots.take(60.0)[0]

        def send_one(i: int) -> str:
            taken = outbox.take(third[i])
            return deliverer.loop.run(deliverer.deliver_taken(third[i], taken, gate=may_send_now))

        rows.append(("_send_one equivalent, whole (deliver with quiet hours and a slot)", 0,
                     *per_call(send_one, n)))
        return rows
    finally:
        if deliverer is not None:
            deliverer.close()
        sys.stderr = sys.__stderr__
        log_file.close()
        fake.stop()
        redis.close()
        server.stop()


def report(args: argparse.Namespace, rows: list[tuple[str, int, float, float]], loads: tuple[str, str]) -> str:
    from redis.utils import HIREDIS_AVAILABLE

    lines = ["| step (one at a time) | times per send | CPU µs per call | wall µs per call |",
             "|---|---:|---:|---:|"]
    for name, times, cpu, wall in rows:
        lines.append(f"| {name} | {times or '–'} | {cpu:.0f} | {wall:.0f} |")
    parts = sum(times * cpu for _, times, cpu, _ in rows[1:] if times)
    lines += ["", f"Sum of the parts per send (times per send × CPU): {parts:.0f} µs; fan-out adds "
              f"{rows[0][2]:.0f} µs per recipient.", "",
              f"- command: `.venv/bin/python -m bench.send_path --records {args.records}`; hiredis "
              f"{'installed' if HIREDIS_AVAILABLE else 'not installed'}",
              "- each step called once per record, one at a time; CPU is `time.process_time()` (the calling thread "
              "and the event loop's); Redis embedded "
              "(production settings), fake Twilio API in its own process with no latency; LOG_FORMAT=json to a file",
              f"- machine: {os.cpu_count()} CPUs shared with other engineers' tests, load average before {loads[0]}, "
              f"after {loads[1]}; Python {platform.python_version()}",
              f"- date: {date.today().isoformat()}"]
    return "\n".join(lines)


def stop_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, stop_on_signal)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="calls of each step")
    args = parser.parse_args(argv)
    before = load_average()
    with tempfile.TemporaryDirectory(prefix="msb-send-path-") as scratch:
        rows = measure(args, Path(scratch))
    print(report(args, rows, (before, load_average())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
