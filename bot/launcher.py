"""``make run``: the whole bot on one machine with nothing installed beforehand.

Starts an embedded Redis when ``REDIS_URL`` is unset, generates the secrets once (kept in
``var/secrets.env``), then runs the web process (gunicorn) and a worker side by side, and
prints the simulator's address. Replies go to the local outbox unless Twilio credentials
are set. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.children import owned_child
from bot.embedded_redis import RedisServer

VAR = Path("var")


def load_or_create_secrets(path: Path) -> dict[str, str]:
    """Development secrets, generated once so conversations survive a restart."""
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            if name and value:
                values[name] = value
    for name in ("SECRET_KEY", "PHONE_HASH_KEY"):
        values.setdefault(name, secrets.token_urlsafe(32))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    path.chmod(0o600)
    return values


def wait_healthy(url: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def main() -> int:
    env = dict(os.environ)
    for name, value in load_or_create_secrets(VAR / "secrets.env").items():
        env.setdefault(name, value)
    env.setdefault("PORT", "5000")
    host = env.get("HOST", "127.0.0.1")
    redis_server = None
    if not env.get("REDIS_URL"):
        redis_server = RedisServer(VAR / "redis", binary=env.get("REDIS_SERVER_BIN")).start(owned=True)
        env["REDIS_URL"] = redis_server.url
        print(f"embedded Redis on 127.0.0.1:{redis_server.port} (data in var/redis)")
    # Ctrl-C reaches only this process (``bot.children``), which stops the others in order:
    # web and worker gracefully, then Redis, which their last work still needs.
    children = [
        subprocess.Popen([sys.executable, "-m", "workers"], env=env, **owned_child()),
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{env['PORT']}",
             "--workers", "2", "--access-logfile", "-", "--access-logformat",
             '%(m)s %(U)s %(s)s %(L)ss', "bot:create_app()"],
            env=env, **owned_child(),
        ),
    ]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if redis_server is not None:
            redis_server.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    base = f"http://{host}:{env['PORT']}"
    if wait_healthy(f"{base}/healthz"):
        mode = "Twilio" if env.get("TWILIO_ACCOUNT_SID") else "local outbox (no Twilio account)"
        print(f"\nThe bot is running ({mode}).\n  simulator: {base}/simulator\n"
              f"  health:    {base}/healthz\nCtrl-C to stop.\n", flush=True)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    print("a process exited; stopping the others", file=sys.stderr)
    stop()
    return 1


if __name__ == "__main__":
    sys.exit(main())
