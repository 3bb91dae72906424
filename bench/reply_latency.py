"""End-to-end reply latency: from the webhook POST to the fake Twilio receiving the reply.

Why it is built this way: the whole production path runs as real processes, as the Procfile
starts them (gunicorn with 2 sync workers, 2 ``python -m workers``), against the embedded
Redis (append-only file on) and the fake Twilio API in a process of its own (150 ms per
answer, 429 past 100 requests in flight). The load is open-loop: message *n* is posted at
``start + n / rate`` whatever happened to the ones before (as Twilio delivers, not as a
polite client waits), each from its own made-up number so that each reply can be matched to
its message. Latency is the fake's arrival time of the reply minus the time the message was
due (so a lagging load generator cannot hide latency). The queue is judged not to grow when
every message was answered within a few seconds of the last post.

    .venv/bin/python -m bench.reply_latency --rates 50 200 --seconds 60 --runs 3
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from redis import Redis
from twilio.request_validator import RequestValidator

from bench.stack import (
    PUBLIC_BASE_URL,
    SMS_FROM,
    FakeApi,
    Workers,
    bot_environment,
    load_average,
)
from bench.webhook import Server, cpu_seconds
from bot.embedded_redis import RedisServer

PATH = "/twilio/messages"
TOPICS = ("RISKS", "TRIALS", "COST", "MSC", "HSCT")


@dataclass
class Result:
    rate: float
    posted: int
    answered: int
    non_200: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    drained_after_s: float  # from the last post to the last reply
    lag_p99_ms: float  # how late the load generator posted (should be ~0)
    web_cpu_ms: float  # per message
    worker_cpu_ms: float
    redis_cpu_ms: float
    harness_cpu_ms: float  # the fake Twilio and this load generator, on the same 2 cores


class Poster:
    """Signed posts over keep-alive connections, one per thread (gunicorn's sync workers
    close them; a new one is opened then, and its connect time counts)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.local = threading.local()

    def post(self, body: bytes, signature: str) -> int:
        for attempt in range(2):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                connection.request("POST", PATH, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                        "X-Twilio-Signature": signature})
                response = connection.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    self.local.connection = None
                return response.status
            except (http.client.HTTPException, OSError):
                connection.close()
                self.local.connection = None
                if attempt:
                    raise
        return 0


def prepared(count: int, account_sid: str, token: str, run: int) -> list[tuple[str, bytes, str]]:
    """(sender, body, signature) for each message, made before the clock starts."""
    messages = []
    validator = RequestValidator(token)
    for n in range(count):
        sender = f"+1628{run:02d}{n:05d}"
        form = {"MessageSid": f"SM{run:04x}{n:028x}", "AccountSid": account_sid, "From": sender,
                "To": SMS_FROM, "Body": TOPICS[n % len(TOPICS)], "NumMedia": "0"}
        signature = validator.compute_signature(f"{PUBLIC_BASE_URL}{PATH}", form)
        messages.append((sender, urlencode(form).encode(), signature))
    return messages


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def one_run(rate: float, seconds: float, run: int, work: Path, redis_bin: str | None) -> Result:
    redis_server = RedisServer(work / f"redis-{run}", binary=redis_bin).start()
    redis = Redis.from_url(redis_server.url)
    fake = FakeApi(0.15, None, 100, work / f"fake-{run}.log")
    env = bot_environment(redis_server.url, fake)
    web = Server("bot", "bot:create_app()", 2, env, work / f"web-{run}.log").start()
    workers = Workers(env, work / f"workers-{run}", 2)
    (work / f"workers-{run}").mkdir(exist_ok=True)
    workers.start(redis)
    try:
        count = int(rate * seconds)
        messages = prepared(count, fake.account_sid, fake.auth_token, run)
        poster = Poster(web.port, fake.auth_token)
        cpu_before = (web.worker_cpu(), workers.cpu(), cpu_seconds(redis_server.process.pid),  # type: ignore[union-attr]
                      fake.stats()["cpu_seconds"] + time.process_time())
        due: dict[str, float] = {}
        lags: list[float] = []
        statuses: list[int] = []
        start = time.time() + 0.5

        def post(sender: str, body: bytes, signature: str, at: float) -> None:
            lags.append(time.time() - at)
            statuses.append(poster.post(body, signature))

        with ThreadPoolExecutor(64, thread_name_prefix="twilio") as pool:
            for n, (sender, body, signature) in enumerate(messages):
                at = start + n / rate
                time.sleep(max(0.0, at - time.time()))
                due[sender] = at
                pool.submit(post, sender, body, signature, at)
        last_post = time.time()
        deadline = last_post + 60
        arrivals: dict[str, float] = {}
        while time.time() < deadline:
            arrivals = fake.ask("arrivals")
            if len(arrivals) >= count:
                break
            time.sleep(0.5)
        cpu_after = (web.worker_cpu(), workers.cpu(), cpu_seconds(redis_server.process.pid),  # type: ignore[union-attr]
                     fake.stats()["cpu_seconds"] + time.process_time())
        latencies = [arrivals[s] - due[s] for s in due if s in arrivals]
        per = [1000 * (after - before) / max(1, count) for before, after in zip(cpu_before, cpu_after, strict=True)]
        return Result(rate=rate, posted=count, answered=len(latencies),
                      non_200=sum(status != 200 for status in statuses),
                      p50_ms=1000 * statistics.median(latencies) if latencies else float("nan"),
                      p99_ms=1000 * percentile(latencies, 0.99), max_ms=1000 * max(latencies, default=float("nan")),
                      drained_after_s=max(arrivals.values(), default=last_post) - last_post,
                      lag_p99_ms=1000 * percentile(lags, 0.99),
                      web_cpu_ms=per[0], worker_cpu_ms=per[1], redis_cpu_ms=per[2], harness_cpu_ms=per[3])
    finally:
        workers.stop()
        web.stop()
        fake.stop()
        redis.close()
        redis_server.stop()


def spread(values: list[float], digits: int = 0) -> str:
    middle = statistics.median(values)
    return f"{middle:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def report(results: dict[float, list[Result]], args: argparse.Namespace, loads: tuple[str, str]) -> str:
    lines = [
        f"End-to-end reply latency, {args.seconds:.0f} s per run, {args.runs} run(s) per rate; "
        "median (min-max) over runs.",
        "Web: gunicorn, 2 sync workers; 2 worker processes (SEND_CONCURRENCY default); fake Twilio: 150 ms "
        "per answer, 429 past 100 in flight; embedded Redis, appendonly yes.",
        f"Load average before: {loads[0]}; after: {loads[1]}.",
        "",
        "| rate/s | answered | non-200 | p50 ms | p99 ms | max ms | last reply after last post, s "
        "| loader lag p99 ms | CPU ms/message: web, workers, Redis; fake Twilio + loader |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for rate, runs in results.items():
        lines.append(
            f"| {rate:g} | {sum(r.answered for r in runs)}/{sum(r.posted for r in runs)} "
            f"| {sum(r.non_200 for r in runs)} | {spread([r.p50_ms for r in runs])} "
            f"| {spread([r.p99_ms for r in runs])} "
            f"| {spread([r.max_ms for r in runs])} | {spread([r.drained_after_s for r in runs], 2)} "
            f"| {spread([r.lag_p99_ms for r in runs], 1)} "
            f"| {spread([r.web_cpu_ms for r in runs], 2)}, {spread([r.worker_cpu_ms for r in runs], 2)}, "
            f"{spread([r.redis_cpu_ms for r in runs], 2)}; {spread([r.harness_cpu_ms for r in runs], 2)} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--redis-server", default=None, help="redis-server binary (default: the embedded one)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    before = load_average()
    results: dict[float, list[Result]] = {}
    counter = itertools.count()
    with tempfile.TemporaryDirectory(prefix="reply-latency-") as directory:
        for rate in args.rates:
            for _ in range(args.runs):
                result = one_run(rate, args.seconds, next(counter), Path(directory), args.redis_server)
                results.setdefault(rate, []).append(result)
                print(f"  {rate:g}/s: p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, "
                      f"{result.answered}/{result.posted} answered", file=sys.stderr, flush=True)
    print(report(results, args, (before, load_average())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
