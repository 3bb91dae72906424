"""Benchmarks 3 and 4 (issue #10): how fast a 100,000-subscriber broadcast drains, and memory.

What runs, per run (each run on a fresh stack, so no run inherits another's state):
an embedded Redis with production settings; the fake Twilio API in its own process
(``bench.fake_twilio_server``) answering after ``--latency`` (150 ms), with 429 past the
configured rate in any sliding second and past ``--max-in-flight`` (100) requests at once;
100,000 SMS subscribers in English written with pipelines; two ``python -m workers`` with
``SEND_RATE_PER_SECOND`` set; the web app under gunicorn as the Procfile starts it (polled for
/healthz and /metrics every second, so it is a live process during the drain). Then a
broadcast is created and sent with ``bot.broadcasts.Broadcasts``, and the benchmark watches.

Measured: messages *created at the fake* per second (the fake's own clock, in whole seconds),
429s by cause, duplicates (a recipient created twice), the CPU each process spent per
message, resident memory (VmRSS) of every worker and web process each second, and Redis
``used_memory`` per subscriber and, after a full drain, per recipient of the broadcast.

Scenarios: ``10`` and ``100`` measure a steady window after a warm-up (a full drain would
take 2.8 hours at 10/s and 17 minutes at 100/s); ``1000`` and ``max`` (rate 5000 against a fake
with no latency: the highest rate this machine sustains) drain all 100,000.

    .venv/bin/python -m bench.broadcast_drain --scenarios 10,100,1000,max --runs 3
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

from redis import Redis

from bench.stack import (
    FakeApi,
    Workers,
    apply_redis_settings,
    bot_environment,
    config_for,
    load_average,
    rss_kib,
    seed_subscribers,
    settle_memory,
    web_pids,
)
from bench.webhook import Server, cpu_seconds, redis_version
from bot.broadcasts import DONE, Broadcasts, Draft
from bot.embedded_redis import RedisServer
from bot.keys import broadcast as broadcast_key

TEXT = "MS stem cell news: the new trial results are out. Reply MENU for the topics, STOP to end updates."
PACKAGES = ("twilio", "aiohttp", "redis", "rq", "gunicorn")
IN_FLIGHT_CEILING_NOTE = "at most 100 in flight at 150 ms each: ≈ 666/s, less the client's own time"


@dataclass(frozen=True)
class Scenario:
    """One configuration: the rate the bot is given, and how the fake answers."""

    name: str
    rate: int
    latency: float
    fake_rate: int | None
    full: bool  # drain every subscriber, or measure a steady window

    @property
    def ceiling(self) -> float:
        """What any sender can reach: the configured rate, or the in-flight limit over latency."""
        by_concurrency = 100 / self.latency if self.latency > 0 else math.inf
        return min(self.rate, by_concurrency)


SCENARIOS = {
    "10": Scenario("10/s, 150 ms", 10, 0.15, 10, full=False),
    "100": Scenario("100/s, 150 ms", 100, 0.15, 100, full=False),
    "1000": Scenario("1,000/s, 150 ms", 1000, 0.15, 1000, full=True),
    "max": Scenario("5,000/s, no latency", 5000, 0.0, 5000, full=True),
}


@dataclass
class Run:
    """What one run measured."""

    scenario: str
    rate: float = 0.0  # creates per second over the measured window
    window: tuple[int, int] = (0, 0)  # whole seconds at the fake
    drain_seconds: float | None = None  # first create to last (full runs)
    send_to_done: float | None = None  # broadcast sent -> status done (full runs)
    first_create_after: float = 0.0  # broadcast sent -> first create at the fake
    stats: dict[str, Any] = field(default_factory=dict)
    cpu_us: dict[str, float] = field(default_factory=dict)  # per created message
    rss: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # name -> (created, KiB)
    bytes_per_subscriber: float = 0.0
    bytes_per_recipient: float | None = None  # Redis growth per recipient of a drained broadcast
    web_errors: int = 0
    timeline: dict[int, tuple[int, int]] = field(default_factory=dict)  # second -> (creates, 429s)
    crowds: list[list[float]] = field(default_factory=list)  # per 429: the creates it found, s before
    fanout_seconds: float | None = None  # broadcast sent -> every outbox record created
    fanout_worker_cpu_us: float | None = None  # worker CPU per recipient until then (fan-out + sends)
    sent_counted: int | None = None  # the broadcast's own 'sent' count at the end


class Poller:
    """GET /healthz and /metrics on the web app, as monitoring would during a broadcast."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.errors = 0

    def poll(self) -> None:
        for path in ("/healthz", "/metrics"):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200 and path == "/metrics":
                    self.errors += 1
            except OSError:
                self.errors += 1


def sample_rss(run: Run, created: int, processes: dict[str, int]) -> None:
    for name, pid in processes.items():
        run.rss.setdefault(name, []).append((created, rss_kib(pid)))


def one_run(scenario: Scenario, args: argparse.Namespace, work: Path) -> Run:
    run = Run(scenario.name)
    redis_server = RedisServer(work / "redis").start()
    redis = Redis.from_url(redis_server.url)
    fake = web = workers = None
    try:
        apply_redis_settings(redis, args.redis_set)
        before = settle_memory(redis)
        seed_subscribers(redis, args.subscribers)
        run.bytes_per_subscriber = (settle_memory(redis) - before) / args.subscribers
        fake = FakeApi(scenario.latency, scenario.fake_rate, args.max_in_flight, work / "fake.log")
        settings = {"SEND_RATE_PER_SECOND": str(scenario.rate), "QUIET_HOURS": "00:00-00:00"}
        if args.concurrency:
            settings["SEND_CONCURRENCY"] = str(args.concurrency)
        env = bot_environment(redis_server.url, fake, **settings)
        web = Server("web", "bot:create_app()", 2, env, work / "web.log").start()
        if args.worker_path:  # a proposed change, measured without editing the code (see --help)
            env = {**env, "PYTHONPATH": f"{args.worker_path}:{env['PYTHONPATH']}"}
        workers = Workers(env, work, count=args.workers).start(redis)
        processes = {f"worker {i + 1}": pid for i, pid in enumerate(workers.pids)}
        assert web.process is not None
        processes.update({("web master" if i == 0 else f"web worker {i}"): pid
                          for i, pid in enumerate(web_pids(web.process.pid))})
        poller = Poller(web.port)
        sample_rss(run, 0, processes)
        before_broadcast = settle_memory(redis)
        split_before = workers.cpu_split()
        cpu_before = {"workers": workers.cpu(), "redis": cpu_seconds(redis_server.process.pid),  # type: ignore[union-attr]
                      "fake": float(fake.stats()["cpu_seconds"])}
        config = config_for(env)
        broadcasts = Broadcasts(redis, config)
        created_broadcast = broadcasts.create(Draft(texts={"en": TEXT}), "bench")
        sent_at = time.time()
        broadcasts.send(created_broadcast.id, "bench")
        # Generous: a loaded machine may drain at a fraction of the ceiling; a timeout is a failure.
        timeout = sent_at + (args.subscribers / min(0.3 * scenario.ceiling, 40) + 300 if scenario.full
                             else args.warmup + args.window + 300)
        stats: dict[str, Any] = {}
        done_at = None
        profilers: list[subprocess.Popen[bytes]] = []
        while time.time() < timeout:
            time.sleep(1.0)
            stats = fake.stats()
            first = stats["first_created"]
            if args.py_spy and not profilers and first and stats["now"] > first + args.profile_delay:
                profilers = start_profilers(args, workers.pids, work)
            sample_rss(run, int(stats["created"]), processes)
            poller.poll()
            if run.fanout_seconds is None and redis.hget(broadcast_key(created_broadcast.id), "fanout_done") == b"1":
                run.fanout_seconds = time.time() - sent_at
                run.fanout_worker_cpu_us = 1e6 * (workers.cpu() - cpu_before["workers"]) / args.subscribers
            if scenario.full:
                finished = stats["created"] + sum(stats["other_outcomes"].values()) >= args.subscribers
                status = broadcasts.get(created_broadcast.id)
                if status is not None and status.status == DONE and done_at is None:
                    done_at = time.time()
                if finished and done_at is not None:
                    break
            elif (first is not None and stats["now"] >= first + args.warmup + args.window + 1.5
                  and run.fanout_seconds is not None):
                break
        else:
            raise RuntimeError(f"{scenario.name}: timed out; fake says {stats}")
        for profiler in profilers:
            profiler.wait(timeout=args.profile_seconds + 30)
        stats = fake.stats()
        run.stats = stats
        created = int(stats["created"])
        run.cpu_us = {
            "workers": 1e6 * (workers.cpu() - cpu_before["workers"]) / max(created, 1),
            "redis": 1e6 * (cpu_seconds(redis_server.process.pid) - cpu_before["redis"]) / max(created, 1),  # type: ignore[union-attr]
            "fake API": 1e6 * (float(stats["cpu_seconds"]) - cpu_before["fake"]) / max(created, 1),
            "workers (system)": 1e6 * (workers.cpu_split()[1] - split_before[1]) / max(created, 1),
        }
        run.web_errors = poller.errors
        timeline, limited = fake.timeline()
        run.crowds = fake.crowds
        run.timeline = {s: (timeline.get(s, 0), limited.get(s, 0)) for s in sorted({*timeline, *limited})}
        first_second = min(timeline)
        run.first_create_after = float(stats["first_created"]) - sent_at
        if scenario.full:
            run.drain_seconds = float(stats["last_created"]) - float(stats["first_created"])
            run.send_to_done = (done_at or time.time()) - sent_at
            run.window, run.rate = steady_rate(timeline, created)
            workers.stop()  # nothing moves any more: the footprint is what the broadcast leaves
            run.bytes_per_recipient = (settle_memory(redis) - before_broadcast) / args.subscribers
            found = broadcasts.get(created_broadcast.id)
            run.sent_counted = found.counts["sent"] if found else None
        else:
            start = first_second + math.ceil(args.warmup)
            run.window = (start, start + int(args.window))
            run.rate = sum(timeline.get(s, 0) for s in range(*run.window)) / args.window
        return run
    finally:
        for part in (workers, web, fake):
            if part is not None:
                part.stop()
        redis.close()
        redis_server.stop()


def start_profilers(args: argparse.Namespace, pids: list[int], work: Path) -> list[subprocess.Popen[bytes]]:
    """py-spy on every worker for a while mid-drain (collapsed stacks; by default only the thread
    holding the GIL, i.e. where Python's CPU goes); ``--nonblocking`` so the sampling does not
    pause the workers it measures."""
    found = []
    for index, pid in enumerate(pids):
        out = work / f"py-spy-worker-{index + 1}.txt"
        command = [args.py_spy, "record", "--pid", str(pid), "--duration", str(args.profile_seconds),
                   "--rate", "100", "--format", "raw", "--nonblocking", "--output", str(out)]
        command += {"gil": ["--gil"], "active": [], "idle": ["--idle"]}[args.profile_mode] + ["--threads"]
        found.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    print(f"profiling workers {pids} for {args.profile_seconds} s into {work}", file=sys.stderr, flush=True)
    return found


def steady_rate(timeline: dict[int, int], total: int) -> tuple[tuple[int, int], float]:
    """Creates per second between the whole seconds where 10% and 90% had been created:
    the drain's steady state, without the start (fan-out begins) and the tail (last batches)."""
    seconds = range(min(timeline), max(timeline) + 1)
    cumulative, start, end = 0, None, None
    for second in seconds:
        cumulative += timeline.get(second, 0)
        if start is None and cumulative >= 0.1 * total:
            start = second + 1
        if end is None and cumulative >= 0.9 * total:
            end = second + 1
    assert start is not None and end is not None
    if end <= start:
        return (start, end), float(total)
    inside = sum(timeline.get(s, 0) for s in range(start, end))
    return (start, end), inside / (end - start)


# -- report ------------------------------------------------------------------------------------


def spread(values: list[float], digits: int = 0) -> str:
    if not values:
        return "–"
    fmt = f"{{:.{digits}f}}"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def rate_table(runs: dict[str, list[Run]], args: argparse.Namespace) -> list[str]:
    lines = ["| scenario | runs | achieved msg/s, median (min–max) | ceiling | goal (95%) | met "
             "| 429 rate | 429 in flight | duplicates | peak in flight | measured over |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|"]
    for key, results in runs.items():
        scenario = SCENARIOS[key]
        rates = [r.rate for r in results]
        goal = 0.95 * scenario.ceiling if math.isfinite(scenario.ceiling) else None
        r429 = sum(int(r.stats["rate_limited_429"]) for r in results)
        f429 = sum(int(r.stats["in_flight_429"]) for r in results)
        dups = sum(int(r.stats["duplicates"]) for r in results)
        if key == "max":
            met = "yes" if statistics.median(rates) >= 1000 else "no"
            goal_text, ceiling_text = "≥ 1,000 (aim)", "none (5,000 set)"
        else:
            met = "yes" if goal and min(rates) >= goal and r429 + f429 == 0 and dups == 0 else "no"
            if goal and min(rates) >= goal and (r429 or f429):
                met = "rate yes, 429s no"
            goal_text, ceiling_text = f"{goal:.1f}", f"{scenario.ceiling:.0f}"
        peak = max(int(r.stats["peak_in_flight"]) for r in results)
        over = ("10–90% of 100k" if scenario.full else f"{args.window:g} s after {args.warmup:g} s warm-up")
        lines.append(f"| {scenario.name} | {len(results)} | {spread(rates, 1)} | {ceiling_text} | {goal_text} | "
                     f"{met} | {r429} | {f429} | {dups} | {peak} | {over} |")
    return lines


def detail_table(runs: dict[str, list[Run]]) -> list[str]:
    lines = ["| scenario | whole drain s (first→last create) | sent→done s | sent→first create s "
             "| fan-out s (sent→all records) | worker CPU µs per recipient until fan-out done "
             "| worker CPU µs/msg (of it system) | Redis CPU µs/msg | fake CPU µs/msg | TCP connections opened "
             "| other outcomes | web poll errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for key, results in runs.items():
        others: dict[str, int] = {}
        for r in results:
            for name, n in r.stats["other_outcomes"].items():
                others[name] = others.get(name, 0) + n
        drain = [r.drain_seconds for r in results if r.drain_seconds is not None]
        done = [r.send_to_done for r in results if r.send_to_done is not None]
        lines.append(
            f"| {SCENARIOS[key].name} | {spread(drain, 1)} | {spread(done, 1)} | "
            f"{spread([r.first_create_after for r in results], 2)} | "
            f"{spread([r.fanout_seconds for r in results if r.fanout_seconds is not None], 1)} | "
            f"{spread([r.fanout_worker_cpu_us for r in results if r.fanout_worker_cpu_us is not None])} | "
            f"{spread([r.cpu_us['workers'] for r in results])} "
            f"({spread([r.cpu_us['workers (system)'] for r in results])}) | "
            f"{spread([r.cpu_us['redis'] for r in results])} | "
            f"{spread([r.cpu_us['fake API'] for r in results])} | "
            f"{spread([float(r.stats['connections_opened']) for r in results])} | "
            f"{json.dumps(others) if others else '–'} | "
            f"{sum(r.web_errors for r in results)} |")
    return lines


def slope_kib_per_10k(points: list[tuple[int, int]]) -> float:
    """Least-squares growth of RSS per 10,000 messages created (0 when flat)."""
    pts = [(x, y) for x, y in points if y > 0]
    if len(pts) < 3 or pts[-1][0] == pts[0][0]:
        return 0.0
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return 1e4 * sum((x - mx) * (y - my) for x, y in pts) / den if den else 0.0


def memory_table(runs: dict[str, list[Run]], subscribers: int) -> list[str]:
    lines = ["| scenario | process | idle before MiB | at 25% MiB | at 50% | at 75% | end | peak "
             "| growth 50%→end MiB | slope after 25%, KiB per 10k msgs |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def at(points: list[tuple[int, int]], fraction: float) -> float:
        target = fraction * subscribers
        return next((kib for created, kib in points if created >= target), points[-1][1]) / 1024

    for key, results in runs.items():
        if not SCENARIOS[key].full:
            continue
        for name in results[0].rss:
            def med(pick: Any, rs: list[Run] = results, n: str = name) -> float:
                return statistics.median(pick(r.rss[n]) for r in rs if r.rss.get(n))
            idle = med(lambda p: p[0][1] / 1024)
            end = med(lambda p: p[-1][1] / 1024)
            half = med(lambda p: at(p, 0.5))
            peak = med(lambda p: max(k for _, k in p) / 1024)
            slope = med(lambda p: slope_kib_per_10k([q for q in p if q[0] >= 0.25 * subscribers]))
            lines.append(f"| {SCENARIOS[key].name} | {name} | {idle:.1f} | {med(lambda p: at(p, 0.25)):.1f} | "
                         f"{half:.1f} | {med(lambda p: at(p, 0.75)):.1f} | {end:.1f} | {peak:.1f} | "
                         f"{end - half:+.1f} | {slope:+.0f} |")
    return lines


def redis_table(runs: dict[str, list[Run]]) -> list[str]:
    per_sub = [r.bytes_per_subscriber for results in runs.values() for r in results]
    per_rec = [r.bytes_per_recipient for results in runs.values() for r in results
               if r.bytes_per_recipient is not None]
    lines = ["| Redis used_memory | bytes, median (min–max) | runs |", "|---|---:|---:|",
             f"| per subscriber (seeded: hash + index entry) | {spread(per_sub)} | {len(per_sub)} |"]
    if per_rec:
        lines.append(f"| per recipient of a drained broadcast (outbox record, sid index; kept 14 days) "
                     f"| {spread(per_rec)} | {len(per_rec)} |")
    return lines


def report(runs: dict[str, list[Run]], args: argparse.Namespace, redis_bin: str, loads: tuple[str, str]) -> str:
    lines = ["### Broadcast drain", "", *rate_table(runs, args), "", *detail_table(runs), "",
             "### Memory during the drain (VmRSS, medians over runs)", "", *memory_table(runs, args.subscribers),
             "", *redis_table(runs), ""]
    versions = ", ".join(f"{p} {version(p)}" for p in PACKAGES)
    argv = " ".join(sys.argv[1:]) if sys.argv[1:] else ""
    lines += [
        f"- command: `.venv/bin/python -m bench.broadcast_drain {argv}`",
        f"- {args.subscribers:,} SMS subscribers (English), seeded with pipelines; {args.workers} × "
        f"`python -m workers` with SEND_RATE_PER_SECOND = the scenario's rate, "
        f"SEND_CONCURRENCY={args.concurrency or 'default (50)'}, QUIET_HOURS=00:00-00:00, LOG_LEVEL=INFO, "
        f"LOG_FORMAT=json; web: `gunicorn --workers 2 bot:create_app()` polled for /healthz and /metrics each second",
        f"- fake Twilio (`bench.fake_twilio_server`, own process): latency per scenario, 429 past the "
        f"scenario's rate in any sliding second, 429 past {args.max_in_flight} in flight; ceiling = "
        f"min(rate, {args.max_in_flight} / latency) ({IN_FLIGHT_CEILING_NOTE})",
        f"- rate = creates at the fake per whole second of its clock; 10/s and 100/s over {args.window:g} s after "
        f"a {args.warmup:g} s warm-up from the first create (a full drain would take "
        f"{args.subscribers / 10 / 3600:.1f} h and {args.subscribers / 100 / 60:.0f} min), 1,000/s and max "
        f"between the seconds where 10% and 90% of the broadcast had been created",
        f"- Redis {redis_version(redis_bin)}: appendonly yes, appendfsync everysec, noeviction, loopback",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other engineers' "
        f"tests, load average before {loads[0]}, after {loads[1]}; Python {platform.python_version()}; {versions}",
        f"- date: {date.today().isoformat()}",
    ]
    return "\n".join(lines)


def stop_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="10,100,1000,max", help=f"comma-separated: {', '.join(SCENARIOS)}")
    parser.add_argument("--runs", type=int, default=3, help="runs of the 10/s and 100/s scenarios")
    parser.add_argument("--full-runs", type=int, default=3, help="runs of the full drains (1000, max)")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured (10/s, 100/s)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds skipped after the first create")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--concurrency", type=int, default=0, help="SEND_CONCURRENCY (0: the default)")
    parser.add_argument("--max-in-flight", type=int, default=100)
    parser.add_argument("--py-spy", help="path of a py-spy binary: profile the workers mid-drain")
    parser.add_argument("--profile-seconds", type=int, default=15)
    parser.add_argument("--profile-delay", type=float, default=5.0, help="seconds after the first create")
    parser.add_argument("--profile-mode", choices=("gil", "active", "idle"), default="gil",
                        help="gil: only the thread holding the GIL (Python CPU); active: threads py-spy "
                             "thinks are running; idle: every thread")
    parser.add_argument("--worker-path", help="a directory put first on the workers' PYTHONPATH, to measure a "
                        "proposed change (e.g. hiredis installed there, or a sitecustomize.py) without editing code")
    parser.add_argument("--redis-set", action="append", default=[], metavar="NAME=VALUE",
                        help="CONFIG SET on the benchmark's Redis first (e.g. hash-max-ziplist-value=256)")
    parser.add_argument("--json", type=Path, help="also write every run's raw figures here")
    parser.add_argument("--keep", type=Path, help="keep logs under this directory instead of a temporary one")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, stop_on_signal)  # clean up the stack's processes when stopped
    args = parse_args(argv)
    keys = [k.strip() for k in args.scenarios.split(",") if k.strip()]
    unknown = [k for k in keys if k not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
    loads_before = load_average()
    runs: dict[str, list[Run]] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="msb-drain-") as scratch:
        base = args.keep or Path(scratch)
        for key in keys:
            scenario = SCENARIOS[key]
            for index in range(args.full_runs if scenario.full else args.runs):
                work = base / f"{key}-{index + 1}"
                work.mkdir(parents=True, exist_ok=True)
                try:
                    result = one_run(scenario, args, work)
                except RuntimeError as error:  # one failed run must not throw the others away
                    failures.append(f"{scenario.name} run {index + 1}: {error}")
                    print(failures[-1], file=sys.stderr, flush=True)
                    continue
                runs.setdefault(key, []).append(result)
                s = result.stats
                print(f"{scenario.name} run {index + 1}: {result.rate:.1f} msg/s, 429 rate {s['rate_limited_429']}, "
                      f"429 in flight {s['in_flight_429']}, duplicates {s['duplicates']}, created {s['created']}, "
                      f"peak in flight {s['peak_in_flight']}, connections {s['connections_opened']}, "
                      f"worker CPU {result.cpu_us['workers']:.0f} µs/msg, load {load_average()}",
                      file=sys.stderr, flush=True)
                if args.json:  # after every run, so an interrupted session keeps what it measured
                    args.json.parent.mkdir(parents=True, exist_ok=True)
                    args.json.write_text(json.dumps({k: [r.__dict__ for r in v] for k, v in runs.items()}, indent=1))
        loads_after = load_average()
        print(report(runs, args, RedisServer(base / "unused").binary, (loads_before, loads_after)))
        for failure in failures:
            print(f"- FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
