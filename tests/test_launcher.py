"""``make run``: Ctrl-C in its terminal stops the web and worker processes first, with Redis
still there for their last work, then Redis; nothing is reported as failed on the way out.
And if the launcher itself is killed, nothing it started keeps running.

Slow (the worker loads its language models before /healthz answers 200): marked ``slow``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.embedded_redis import free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_make_run(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    """The launcher as ``make run`` starts it, in a process group of its own as in a terminal,
    once /healthz answers 200."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)), "LANG": "C.UTF-8",
           "PYTHONPATH": str(ROOT), "PORT": str(port)}  # no REDIS_URL, no Twilio: the embedded defaults
    launcher = subprocess.Popen([sys.executable, "-m", "bot.launcher"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    deadline = time.monotonic() + 120
    while not healthy(f"http://127.0.0.1:{port}/healthz"):
        if launcher.poll() is not None or time.monotonic() > deadline:
            os.killpg(launcher.pid, signal.SIGKILL)
            raise AssertionError("make run did not come up")
        time.sleep(0.5)
    return launcher


def test_ctrl_c_stops_web_and_worker_before_redis_and_nothing_fails(tmp_path: Path) -> None:
    port = free_port()
    launcher = start_make_run(tmp_path, port)
    os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    output, _ = launcher.communicate(timeout=60)
    assert launcher.returncode == 0, output[-3000:]
    for failure in ("Traceback", "Connection refused", "Logging error", "could not connect"):
        assert failure not in output, output[-3000:]
    assert not healthy(f"http://127.0.0.1:{port}/healthz")


def test_a_killed_launcher_leaves_nothing_running(tmp_path: Path) -> None:
    port = free_port()
    launcher = start_make_run(tmp_path, port)
    launcher.kill()  # SIGKILL: the launcher cannot stop anything itself
    try:
        launcher.communicate(timeout=60)  # returns once every child has let go of the pipe
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)  # children still in its group: this test's own cleanup
        raise
    [redis_port] = re.findall(r"port=(\d+)", (tmp_path / "var" / "redis" / "redis.log").read_text())
    assert not healthy(f"http://127.0.0.1:{port}/healthz")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(redis_port))) != 0  # Redis is gone too
