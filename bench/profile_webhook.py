"""Where the webhook's time goes, per request: the evidence for issue #10's plan.

Why this shape: gunicorn adds nothing per request that the quickstart does not also pay, so
the bot's extra cost is inside the WSGI app. This drives the real app (built by
``bot:create_app()`` from the same environment as production, JSON logging to a file) with
the load generator's signed requests, straight through WSGI against an embedded Redis with
production settings, and times each stage with low-overhead wrappers (inclusive wall time).
It also counts Redis round trips and commands per request, and can dump a cProfile.

    .venv/bin/python -m bench.profile_webhook --requests 3000 [--cprofile var/bench/webhook.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import io
import logging
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.loadgen import prepare
from bench.webhook import ACCOUNT_SID, PATH, PUBLIC_BASE_URL, SMS_FROM, TOKEN, bot_env
from bot.embedded_redis import RedisServer

# (label, "module:Class.attribute" or "module:function") — timed inclusively, in this order.
STAGES: tuple[tuple[str, str], ...] = (
    ("whole request (WSGI app)", "flask.app:Flask.wsgi_app"),
    ("form parsing (werkzeug)", "flask.wrappers:Request._load_form_data"),
    ("signature check", "bot.signature:SignatureValidator.validate"),
    ("parse_inbound", "bot.webhook:parse_inbound"),
    ("pseudonym (for the log line)", "bot.crypto:AddressBook.pseudonym"),
    ("inbox.receive (all of it)", "bot.inbox:Inbox.receive"),
    ("  seal the message (AES-GCM)", "bot.crypto:AddressBook.seal_message"),
    ("  Redis I/O: send", "redis.connection:AbstractConnection.send_packed_command"),
    ("  Redis I/O: wait+read", "redis.connection:AbstractConnection.read_response"),
    ("logging (records + JSON + write)", "logging:Logger._log"),
)


class Timers:
    """Inclusive wall time and call counts per label; re-entrant calls are timed once."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth: dict[str, int] = defaultdict(int)
        self._last = ""

    def wrap(self, label: str, target: str) -> None:
        module_name, _, attr_path = target.partition(":")
        owner: Any = importlib.import_module(module_name)
        *parents, attr = attr_path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
        key = self._last if label.strip() == "" else label  # a blank label continues the previous row
        self._last = key

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth[key] += 1
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._depth[key] -= 1
                if self._depth[key] == 0:
                    self.seconds[key] += time.perf_counter() - start
                self.calls[key] += 1

        setattr(owner, attr, timed)


def environ_for(raw: bytes) -> dict[str, Any]:
    """A WSGI environ for one prepared HTTP request, as gunicorn would build it."""
    head, body = raw.split(b"\r\n\r\n", 1)
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _ = request_line.split(" ")
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    for line in header_lines:
        name, _, value = line.partition(": ")
        key = name.upper().replace("-", "_")
        if key in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
            environ[key] = value
        else:
            environ[f"HTTP_{key}"] = value
    return environ


def drive(app: Callable[..., Iterable[bytes]], environs: list[dict[str, Any]]) -> dict[str, int]:
    """Send every request through the app; count the statuses."""
    statuses: dict[str, int] = defaultdict(int)

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        statuses[status.split(" ", 1)[0]] += 1

    for environ in environs:
        result = app(environ, start_response)
        for _ in result:
            pass
        close = getattr(result, "close", None)
        if close:
            close()
    return dict(statuses)


def build(count: int, seed: int) -> list[dict[str, Any]]:
    raw = prepare(count, f"http://127.0.0.1:8000{PATH}", f"{PUBLIC_BASE_URL}{PATH}", TOKEN, ACCOUNT_SID,
                  SMS_FROM, seed)
    return [environ_for(r) for r in raw]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--cprofile", type=Path, help="also write a cProfile of a separate pass here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="msb-profile-") as scratch:
        redis = RedisServer(Path(scratch) / "redis").start()
        log_file = open(Path(scratch) / "web.log", "w")  # noqa: SIM115 - closed below
        saved_stderr, sys.stderr = sys.stderr, log_file
        try:
            os.environ.update(bot_env(redis.url))
            from bot import create_app

            app = create_app()  # the production path: config and JSON logging from the environment
            from redis import Redis

            counter = Redis.from_url(redis.url)
            drive(app, build(args.warmup, 1))

            plain = build(args.requests, 2)
            start, cpu_start = time.perf_counter(), time.process_time()
            drive(app, plain)
            unprofiled = (time.perf_counter() - start) / args.requests
            unprofiled_cpu = (time.process_time() - cpu_start) / args.requests  # robust to a busy machine

            timers = Timers()
            for label, target in STAGES:
                timers.wrap(label, target)
            environs = build(args.requests, 3)
            commands_before = int(counter.info("stats")["total_commands_processed"])
            start = time.perf_counter()
            statuses = drive(app, environs)
            timed = (time.perf_counter() - start) / args.requests
            commands = (int(counter.info("stats")["total_commands_processed"]) - commands_before - 1) / args.requests
            seconds, calls = dict(timers.seconds), dict(timers.calls)  # before any cProfile pass

            profile_text = ""
            if args.cprofile:
                profiler = cProfile.Profile()
                profiler.runcall(drive, app, build(args.requests, 4))
                args.cprofile.parent.mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(str(args.cprofile))
                out = io.StringIO()
                pstats.Stats(str(args.cprofile), stream=out).sort_stats("tottime").print_stats(25)
                profile_text = out.getvalue()
        finally:
            sys.stderr = saved_stderr
            log_file.close()
            logging.getLogger().handlers.clear()
            redis.stop()

    n = args.requests
    print(f"app: bot; requests: {n} (+{args.warmup} warm-up), statuses {statuses}")
    print(f"per request, unprofiled: {unprofiled * 1e6:.0f} µs wall, {unprofiled_cpu * 1e6:.0f} µs CPU "
          f"of this process; with stage timers: {timed * 1e6:.0f} µs wall")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"Redis per request: {calls['  Redis I/O: send'] / n:.2f} round trips, {commands:.1f} commands")
    print()
    print("| stage (inclusive) | µs/request | calls/request | share of request |")
    print("|---|---:|---:|---:|")
    whole = seconds["whole request (WSGI app)"]
    for label, _target in STAGES:
        if not label.strip():
            continue
        print(f"| {label.replace('  ', '&nbsp;&nbsp;')} | {seconds.get(label, 0.0) / n * 1e6:.0f} "
              f"| {calls.get(label, 0) / n:.2f} | {100 * seconds.get(label, 0.0) / whole:.0f} % |")
    if profile_text:
        print()
        print(profile_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
