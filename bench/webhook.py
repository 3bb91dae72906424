"""Benchmark 1 (issue #10): the bot's webhook next to a bare Twilio quickstart, same server setup.

Why side by side: absolute requests/s on a shared 2-core machine say little; the ratio to the
simplest possible webhook, measured in the same minutes under the same gunicorn settings,
says what the bot's guarantees (signature, dedupe, durable enqueue) cost. Runs alternate
between the apps (ABBA order) so drift in the machine's load falls on both alike.

What runs: an embedded Redis with production settings (append-only file, ``noeviction``),
then both apps under gunicorn exactly as the Procfile starts the bot (2 sync workers), each
on a free 127.0.0.1 port, the bot configured through the environment as in production
(no worker process: only the webhook is measured). The load generator (``bench.loadgen``)
is a separate process. Per app: a warm-up, then ``--runs`` runs of ``--seconds`` each.

    .venv/bin/python -m bench.webhook --runs 5 --seconds 10 --connections 16
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path

from bot.embedded_redis import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_BASE_URL = "https://bot.example.test"
PATH = "/twilio/messages"
TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "be" * 16
SMS_FROM = "+15005550006"
APPS = {"quickstart": "bench.quickstart_app:app", "bot": "bot:create_app()"}
PACKAGES = ("flask", "werkzeug", "gunicorn", "twilio", "redis", "rq", "lingua-language-detector")


def gunicorn_args(port: int, workers: int) -> list[str]:
    """The Procfile's web command, bound to loopback: identical for both apps."""
    return ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]


def cpu_seconds(pid: int) -> float:
    """User+system CPU of one process, from /proc (Linux), in seconds."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The gunicorn workers: processes whose parent is the master."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class Server:
    """One app under gunicorn; its log goes to a file, not to the benchmark's output."""

    name: str
    target: str
    workers: int
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", *gunicorn_args(self.port, self.workers), self.target]

    def start(self, timeout: float = 60.0) -> Server:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            if len(children(self.process.pid)) >= self.workers and self._answers():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start in {timeout:.0f} s; see {self.log_path}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                return sock.recv(16).startswith(b"HTTP/1.")
        except OSError:
            return False

    def worker_cpu(self) -> float:
        assert self.process is not None
        total = 0.0
        for pid in children(self.process.pid):
            try:
                total += cpu_seconds(pid)
            except OSError:
                continue
        return total

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def bot_env(redis_url: str) -> dict[str, str]:
    """The bot's production settings, through the environment as on the real host."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "REDIS_"))}
    env.update({
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "PHONE_HASH_KEY": "bench-phone-hash-key-0123456789",
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    })
    return env


def load(server: Server, connections: int, seconds: float) -> dict[str, object]:
    """One run of the load generator in its own process; its JSON result."""
    command = [sys.executable, "-m", "bench.loadgen", "--url", f"http://127.0.0.1:{server.port}{PATH}",
               "--signed-url", f"{PUBLIC_BASE_URL}{PATH}", "--token", TOKEN, "--account-sid", ACCOUNT_SID,
               "--to", SMS_FROM, "--connections", str(connections), "--seconds", str(seconds)]
    output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    return dict(json.loads(output))


def measured(server: Server, connections: int, seconds: float, redis: RedisServer | None) -> dict[str, object]:
    """A load run plus the server's own CPU per request (workers, and Redis for the bot)."""
    workers_before = server.worker_cpu()
    redis_before = cpu_seconds(redis.process.pid) if redis and redis.process else 0.0
    result = load(server, connections, seconds)
    requests = max(1, int(result["requests"]))  # type: ignore[call-overload]
    result["worker_cpu_us_per_request"] = round(1e6 * (server.worker_cpu() - workers_before) / requests, 1)
    if redis and redis.process:
        result["redis_cpu_us_per_request"] = round(1e6 * (cpu_seconds(redis.process.pid) - redis_before) / requests, 1)
    return result


def summary(results: list[dict[str, object]]) -> dict[str, float]:
    """Median and spread over runs (each run's p50/p99 are from all its requests)."""
    def values(key: str) -> list[float]:
        return [float(r[key]) for r in results if r.get(key) is not None]  # type: ignore[arg-type]

    rps = values("rps")
    out = {"rps": statistics.median(rps), "rps_min": min(rps), "rps_max": max(rps),
           "p50_ms": statistics.median(values("p50_ms")), "p99_ms": statistics.median(values("p99_ms")),
           "p99_ms_max": max(values("p99_ms")), "errors": sum(values("errors")),
           "loader_cpu_percent": statistics.median(values("loader_cpu_percent")),
           "worker_cpu_us": statistics.median(values("worker_cpu_us_per_request"))}
    if values("redis_cpu_us_per_request"):
        out["redis_cpu_us"] = statistics.median(values("redis_cpu_us_per_request"))
    return out


def redis_version(binary: str) -> str:
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    return next((part.split("=", 1)[1] for part in output.split() if part.startswith("v=")), output.strip())


def report(args: argparse.Namespace, servers: list[Server], results: dict[str, list[dict[str, object]]],
           redis: RedisServer, loads: tuple[str, str]) -> str:
    """The table and the exact configuration, as Markdown."""
    stats = {name: summary(runs) for name, runs in results.items()}
    lines = ["| app | req/s median | req/s min–max | p50 ms | p99 ms (median; worst run) | errors "
             "| worker CPU µs/req | Redis CPU µs/req | loader CPU % |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in stats.items():
        redis_cpu = f"{s['redis_cpu_us']:.0f}" if "redis_cpu_us" in s else "–"
        lines.append(f"| {name} | {s['rps']:.0f} | {s['rps_min']:.0f}–{s['rps_max']:.0f} | {s['p50_ms']:.1f} "
                     f"| {s['p99_ms']:.1f}; {s['p99_ms_max']:.1f} | {s['errors']:.0f} | {s['worker_cpu_us']:.0f} "
                     f"| {redis_cpu} | {s['loader_cpu_percent']:.0f} |")
    if "bot" in stats and "quickstart" in stats:
        ratio = stats["bot"]["rps"] / stats["quickstart"]["rps"]
        per_run = [float(b["rps"]) / float(q["rps"])  # type: ignore[arg-type]
                   for b, q in zip(results["bot"], results["quickstart"], strict=False)]
        lines.append("")
        lines.append(f"Ratio bot/quickstart (medians): **{ratio:.2f}×** "
                     f"(per run: {', '.join(f'{r:.2f}' for r in per_run)}); goal ≥ 0.60×, bot p99 ≤ 20 ms.")
    versions = ", ".join(f"{p} {version(p)}" for p in PACKAGES)
    lines += [
        "",
        f"- command: `.venv/bin/python -m bench.webhook --runs {args.runs} --seconds {args.seconds:g} "
        f"--connections {args.connections} --warmup {args.warmup:g} --apps {args.apps}`",
        f"- gunicorn (every app): `gunicorn {' '.join(gunicorn_args(0, args.workers)).replace(':0', ':<free port>')} "
        f"<app>` with apps {', '.join(f'`{s.target}`' for s in servers)}",
        f"- load: {args.connections} connections on 127.0.0.1, {args.runs} runs × {args.seconds:g} s per app "
        f"(alternating), {args.warmup:g} s warm-up each; every request a signed Twilio inbound POST "
        f"with a unique MessageSid; non-200 = error",
        f"- bot: LOG_LEVEL=INFO, LOG_FORMAT=json, PUBLIC_BASE_URL={PUBLIC_BASE_URL}, no worker running "
        "(only the webhook is measured; queued messages wait in the inbound stream)",
        f"- Redis {redis_version(redis.binary)}: appendonly yes, appendfsync everysec, noeviction, loopback",
        f"- machine: {os.cpu_count()} CPUs, load average before {loads[0]}, after {loads[1]}; "
        f"Python {platform.python_version()}; {versions}",
        f"- date: {date.today().isoformat()}",
    ]
    return "\n".join(lines)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the Procfile's 2)")
    parser.add_argument("--apps", default="quickstart,bot",
                        help="comma-separated: quickstart, bot")
    parser.add_argument("--json", type=Path, help="also write every run's raw result here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [name.strip() for name in args.apps.split(",") if name.strip()]
    loads_before = load_average()
    with tempfile.TemporaryDirectory(prefix="msb-bench-") as scratch:
        work = Path(scratch)
        redis = RedisServer(work / "redis").start()
        servers: list[Server] = []
        try:
            for name in names:
                env = {**os.environ, "PYTHONPATH": str(ROOT)} if name == "quickstart" else bot_env(redis.url)
                servers.append(Server(name, APPS[name], args.workers, env, work / f"{name}.log").start())
            for server in servers:
                warm = load(server, args.connections, args.warmup)
                if warm["errors"]:
                    raise RuntimeError(f"{server.name} warm-up had errors: {warm['statuses']}; see {server.log_path}")
            results: dict[str, list[dict[str, object]]] = {s.name: [] for s in servers}
            for run in range(args.runs):
                order = servers if run % 2 == 0 else list(reversed(servers))
                for server in order:
                    result = measured(server, args.connections, args.seconds,
                                      None if server.name == "quickstart" else redis)
                    results[server.name].append(result)
                    print(f"run {run + 1}/{args.runs} {server.name}: {result['rps']} req/s, p50 {result['p50_ms']} ms, "
                          f"p99 {result['p99_ms']} ms, errors {result['errors']}, "
                          f"loader CPU {result['loader_cpu_percent']} %", file=sys.stderr, flush=True)
            loads_after = load_average()
            print(report(args, servers, results, redis, (loads_before, loads_after)))
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps({"results": results, "load_before": loads_before,
                                                 "load_after": loads_after}, indent=2))
        finally:
            for server in servers:
                server.stop()
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
