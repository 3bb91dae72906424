"""Benchmark 4 (issue #10), Redis side: bytes per subscriber and per idle conversation.

Why these two: subscribers and conversations are what grows with the audience and stays
(a subscription until STOP, a conversation for CONVERSATION_TTL_DAYS); everything else a
message leaves behind expires within days. The process side of benchmark 4 (worker and web
resident memory during a 100,000-recipient drain) is measured by ``bench.broadcast_drain``.

What runs: an embedded Redis with production settings. First ``--subscribers`` SMS
subscribers are written with pipelines, as JOIN leaves them (``used_memory`` before/after).
Then the web app under gunicorn (the Procfile's command), one ``python -m workers`` and the
fake Twilio API (no latency, no limits) start, and ``--conversations`` people each send one
signed inbound SMS through the webhook; once every reply has gone out, ``used_memory`` is read
again, and every key is sized with ``MEMORY USAGE`` and grouped by family with its time to
live, so the table says what a conversation costs now, after 48 hours, and after 14 days.

    .venv/bin/python -m bench.memory --subscribers 100000 --conversations 10000 --runs 3
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from redis import Redis

from bench.loadgen import inbound_form
from bench.stack import (
    PUBLIC_BASE_URL,
    SMS_FROM,
    FakeApi,
    Workers,
    apply_redis_settings,
    bot_environment,
    load_average,
    seed_subscribers,
    settle_memory,
)
from bench.webhook import Server, redis_version
from bot.embedded_redis import RedisServer
from bot.signature import SignatureValidator

PATH = "/twilio/messages"
BODY = "What are the risks of stem cell transplant for MS?"
# Key families: ids, pseudonyms, sids, days and numbers become '*'.
_ID = re.compile(r"(?<=:)[^:]*\d[^:]*|(?<=:)[a-z2-7]{32}(?=:|$)")


def family(key: str) -> str:
    """A key's family name: its fixed parts, with the variable ones as '*'."""
    return _ID.sub("*", key)


def send_inbound(port: int, count: int, account_sid: str, token: str, threads: int = 8) -> int:
    """``count`` signed inbound SMS from ``count`` different numbers; returns non-200 answers."""
    signer = SignatureValidator(token)
    errors = 0
    lock = threading.Lock()
    numbers = iter(range(count))

    def loop() -> None:
        nonlocal errors
        while True:
            with lock:
                index = next(numbers, None)
            if index is None:
                return
            sid = "SM" + uuid.uuid4().hex
            form = inbound_form(sid, f"+4479{index:08d}", BODY, account_sid, SMS_FROM)
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "X-Twilio-Signature": signer.compute(f"{PUBLIC_BASE_URL}{PATH}", form)}
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", PATH, body=urlencode(form), headers=headers)
                status = conn.getresponse().status
            except OSError:
                status = 0
            finally:
                conn.close()
            if status != 200:
                with lock:
                    errors += 1

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return errors


def key_families(redis: Redis) -> dict[str, dict[str, float]]:
    """Family -> keys, bytes (MEMORY USAGE, all samples) and the median TTL in hours."""
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"bytes": [], "ttl": []})
    for raw in redis.scan_iter(count=2000):
        key = raw.decode()
        with redis.pipeline(transaction=False) as pipe:
            pipe.memory_usage(key, samples=0)
            pipe.ttl(key)
            size, ttl = pipe.execute()
        found[family(key)]["bytes"].append(float(size or 0))
        found[family(key)]["ttl"].append(float(ttl))
    return {name: {"keys": len(v["bytes"]), "bytes": sum(v["bytes"]),
                   "ttl_hours": statistics.median(v["ttl"]) / 3600 if statistics.median(v["ttl"]) >= 0 else -1}
            for name, v in found.items()}


def one_run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    server = RedisServer(work / "redis").start()
    redis = Redis.from_url(server.url)
    fake = web = workers = None
    try:
        apply_redis_settings(redis, args.redis_set)
        empty = settle_memory(redis)
        seed_subscribers(redis, args.subscribers)
        seeded = settle_memory(redis)
        subscriber_families = key_families(redis)
        fake = FakeApi(0.0, None, None, work / "fake.log")
        env = bot_environment(server.url, fake, QUIET_HOURS="00:00-00:00")
        web = Server("web", "bot:create_app()", 2, env, work / "web.log").start()
        workers = Workers(env, work, count=1).start(redis)
        time.sleep(2)  # the worker's first tending round and registration writes settle
        before = settle_memory(redis)
        families_before = key_families(redis)
        started = time.monotonic()
        errors = send_inbound(web.port, args.conversations, fake.account_sid, fake.auth_token)
        sending = time.monotonic() - started
        deadline = time.monotonic() + 300
        while fake.stats()["created"] < args.conversations - errors:
            if time.monotonic() > deadline:
                raise RuntimeError(f"replies did not all go out: {fake.stats()}")
            time.sleep(0.5)
        workers.stop()  # so its heartbeat and tending stop writing
        after = settle_memory(redis)
        families_after = key_families(redis)
        return {"per_subscriber": (seeded - empty) / args.subscribers,
                "per_conversation": (after - before) / args.conversations,
                "subscriber_families": subscriber_families, "families_before": families_before,
                "families_after": families_after, "errors": errors, "webhook_seconds": sending,
                "replies": fake.stats()["created"]}
    finally:
        for part in (workers, web, fake):
            if part is not None:
                part.stop()
        redis.close()
        server.stop()


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"


def report(args: argparse.Namespace, runs: list[dict[str, object]], loads: tuple[str, str], binary: str) -> str:
    per_sub = [float(r["per_subscriber"]) for r in runs]  # type: ignore[arg-type]
    per_conv = [float(r["per_conversation"]) for r in runs]  # type: ignore[arg-type]
    lines = ["### Redis memory per subscriber and per conversation", "",
             "| used_memory growth | bytes, median (min–max) | runs |", "|---|---:|---:|",
             f"| per subscriber ({args.subscribers:,} seeded) | {spread(per_sub)} | {len(runs)} |",
             f"| per conversation, right after one inbound message and its reply ({args.conversations:,}) "
             f"| {spread(per_conv)} | {len(runs)} |", ""]
    last = runs[-1]
    before: dict[str, dict[str, float]] = last["families_before"]  # type: ignore[assignment]
    after: dict[str, dict[str, float]] = last["families_after"]  # type: ignore[assignment]
    subs: dict[str, dict[str, float]] = last["subscriber_families"]  # type: ignore[assignment]
    lines += ["Where it goes (last run; `MEMORY USAGE` of every key, so the keyspace's own overhead "
              "is not in these sums):", "",
              "| key family | keys | bytes per subscriber / conversation | median TTL |",
              "|---|---:|---:|---|"]
    for name, v in sorted(subs.items(), key=lambda kv: -kv[1]["bytes"]):
        lines.append(f"| {name} (subscribers) | {v['keys']:.0f} | {v['bytes'] / args.subscribers:.0f} | "
                     f"{ttl_text(v['ttl_hours'])} |")
    grown = {name: {"keys": v["keys"] - before.get(name, {}).get("keys", 0),
                    "bytes": v["bytes"] - before.get(name, {}).get("bytes", 0), "ttl_hours": v["ttl_hours"]}
             for name, v in after.items()}
    rows = [(name, v) for name, v in grown.items() if abs(v["bytes"]) >= 0.5 * args.conversations]
    for name, v in sorted(rows, key=lambda kv: -kv[1]["bytes"]):
        lines.append(f"| {name} | {v['keys']:+.0f} | {v['bytes'] / args.conversations:.0f} | "
                     f"{ttl_text(v['ttl_hours'])} |")
    lines += ["", "What one conversation keeps as time passes (the families above, by their TTL; RQ's "
              "registries are trimmed by RQ itself):", "", "| when | bytes per conversation |", "|---|---:|"]
    for label, hours in HORIZONS:
        kept = sum(v["bytes"] for name, v in rows
                   if hours == 0 or v["ttl_hours"] > hours or (v["ttl_hours"] < 0 and not name.startswith("rq:")))
        lines.append(f"| {label} | {kept / args.conversations:.0f} |")
    lines += ["",
              f"- command: `.venv/bin/python -m bench.memory --subscribers {args.subscribers} "
              f"--conversations {args.conversations} --runs {args.runs}"
              f"{''.join(f' --redis-set {x}' for x in args.redis_set)}`",
              "- subscribers: SMS, English, written with pipelines as JOIN leaves them; conversations: one signed "
              "inbound SMS each from a different number through `gunicorn --workers 2 bot:create_app()` "
              "(8 client threads), the reply sent by one `python -m workers` to the fake Twilio API; "
              "used_memory read once it stopped changing, worker stopped first",
              f"- webhook errors: {sum(int(r['errors']) for r in runs)}; replies created at the fake per run: "  # type: ignore[call-overload]
              f"{', '.join(str(r['replies']) for r in runs)}",
              f"- Redis {redis_version(binary)}: appendonly yes, appendfsync everysec, noeviction, loopback",
              f"- machine: {os.cpu_count()} CPUs shared with other engineers' tests, load average before {loads[0]}, "
              f"after {loads[1]}; Python {platform.python_version()}",
              f"- date: {date.today().isoformat()}"]
    return "\n".join(lines)


HORIZONS = (("right after the reply", 0.0), ("idle for an hour", 1.0), ("idle for 3 days", 72.0),
            ("idle for 15 days (until CONVERSATION_TTL_DAYS)", 15 * 24.0))


def ttl_text(hours: float) -> str:
    if hours < 0:
        return "none"
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


def stop_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, stop_on_signal)  # clean up the stack's processes when stopped
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--redis-set", action="append", default=[], metavar="NAME=VALUE",
                        help="CONFIG SET on the benchmark's Redis first (e.g. hash-max-ziplist-value=256)")
    args = parser.parse_args(argv)
    loads_before = load_average()
    runs = []
    with tempfile.TemporaryDirectory(prefix="msb-memory-") as scratch:
        for index in range(args.runs):
            work = Path(scratch) / f"run-{index + 1}"
            work.mkdir()
            result = one_run(args, work)
            runs.append(result)
            print(f"run {index + 1}: {result['per_subscriber']:.0f} B/subscriber, "
                  f"{result['per_conversation']:.0f} B/conversation, webhook {result['webhook_seconds']:.0f} s, "
                  f"errors {result['errors']}", file=sys.stderr, flush=True)
        print(report(args, runs, (loads_before, load_average()), RedisServer(Path(scratch)).binary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
