"""How fast the fake Twilio API itself can be driven, with nothing of the bot in the way.

Why: the drain at 1,000/s stays under the 667/s ceiling (100 in flight × 150 ms). This load
is the bare minimum a sender does (POSTs of a form, from as many processes and threads or
coroutines as the drain's workers have HTTP slots), so the gap between its rate and the
drain's is the bot's own overhead, not the fake's or the machine's. ``--client urllib3``:
a thread per request in flight; ``--client aiohttp``: one event loop per process, as the
workers send.

    .venv/bin/python -m bench.fake_ceiling --processes 2 --threads 50 --seconds 15 --client aiohttp
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import urllib3

from bench.stack import FakeApi, load_average

SENDER = "+15005550001"


def create_request(base_url: str, account_sid: str, auth_token: str) -> tuple[str, dict[str, str]]:
    """The Messages create's URL and headers, the same for either client."""
    return (f"{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json",
            {**urllib3.make_headers(basic_auth=f"{account_sid}:{auth_token}"),
             "Content-Type": "application/x-www-form-urlencoded"})


def create_form(sender_index: int, sent: int) -> str:
    """One create's form, to a made-up recipient of its own."""
    return urlencode({"To": f"+1555{sender_index:03d}{sent:04d}", "From": SENDER, "Body": "Trial news."})


def load(base_url: str, account_sid: str, auth_token: str, threads: int, seconds: float,
         first_recipient: int, answers: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One process: ``threads`` threads POSTing creates until the time is up; puts the
    request durations (seconds) on ``answers``."""
    pool = urllib3.PoolManager(maxsize=threads, retries=False)
    url, headers = create_request(base_url, account_sid, auth_token)
    durations: list[float] = []
    end = time.time() + seconds

    def run(thread: int) -> None:
        sent = 0
        while time.time() < end:
            body = create_form(first_recipient + thread, sent)
            started = time.perf_counter()
            pool.request("POST", url, body=body, headers=headers)
            durations.append(time.perf_counter() - started)
            sent += 1

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    answers.put(durations)


def load_async(base_url: str, account_sid: str, auth_token: str, concurrency: int, seconds: float,
               first_recipient: int, answers: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One process: ``concurrency`` coroutines on one event loop POSTing creates with aiohttp
    until the time is up; puts the request durations (seconds) on ``answers``."""
    url, headers = create_request(base_url, account_sid, auth_token)
    durations: list[float] = []
    end = time.time() + seconds

    async def run(session: aiohttp.ClientSession, index: int) -> None:
        sent = 0
        while time.time() < end:
            body = create_form(first_recipient + index, sent)
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as answer:
                await answer.read()
            durations.append(time.perf_counter() - started)
            sent += 1

    async def all_of_them() -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
            await asyncio.gather(*(run(session, index) for index in range(concurrency)))

    asyncio.run(all_of_them())
    answers.put(durations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=50, help="per process")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--max-in-flight", type=int, default=100)
    parser.add_argument("--client", choices=("urllib3", "aiohttp"), default="urllib3",
                        help="threads over urllib3, or coroutines on one event loop over aiohttp")
    args = parser.parse_args(argv)
    before = load_average()
    with tempfile.TemporaryDirectory(prefix="msb-fake-ceiling-") as scratch:
        fake = FakeApi(args.latency, None, args.max_in_flight, Path(scratch) / "fake.log")
        try:
            answers: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
            target = load if args.client == "urllib3" else load_async
            processes = [multiprocessing.Process(target=target, args=(
                fake.base_url, fake.account_sid, fake.auth_token, args.threads, args.seconds,
                index * args.threads, answers)) for index in range(args.processes)]
            for process in processes:
                process.start()
            durations = sorted(d for _ in processes for d in answers.get())
            for process in processes:
                process.join()
            stats = fake.stats()
        finally:
            fake.stop()
    ceiling = args.max_in_flight / args.latency if args.latency else float("inf")
    print("| load | creates/s | ceiling | p50 ms | p99 ms | created | 429 in flight |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    unit = "threads" if args.client == "urllib3" else "coroutines"
    print(f"| {args.processes} × {args.threads} {unit}, bare {args.client} | {len(durations) / args.seconds:.0f} | "
          f"{ceiling:.0f} | {1000 * statistics.median(durations):.1f} | "
          f"{1000 * durations[int(len(durations) * 0.99)]:.1f} | {stats['created']} | {stats['in_flight_429']} |")
    print()
    print(f"- command: `.venv/bin/python -m bench.fake_ceiling --processes {args.processes} --threads "
          f"{args.threads} --seconds {args.seconds:g} --client {args.client}`; fake: {args.latency * 1000:.0f} ms, "
          f"429 past {args.max_in_flight} in flight, no rate limit")
    print(f"- machine: {os.cpu_count()} CPUs, load average before {before}, after {load_average()}; "
          f"date: {date.today().isoformat()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
