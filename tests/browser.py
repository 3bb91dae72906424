"""Browser test infrastructure: Debian's chromium driven by Playwright, and a live server.

Loaded as a pytest plugin by ``tests/conftest.py``. Fixtures:

- ``browser`` (session): one headless Chromium for the whole run. Playwright's own browser
  download needs the internet, so this launches the system's chromium
  (``CHROMIUM_PATH``, default ``/usr/bin/chromium``; ``make install`` installs it). A
  missing browser is an error, never a skip: browser tests run everywhere, CI included.
- ``page`` (function): a fresh browser context (no cookies, no storage) and a page in it;
  ``console_errors`` collects the page's console errors and uncaught exceptions (a
  Content-Security-Policy violation is one), for the test to assert on.
- ``live_server`` (function): ``live_server(config_or_app)`` serves a Flask app on a free
  127.0.0.1 port in a background thread and returns a ``LiveServer`` (``.url``,
  ``.url_for(path)``); every server started is stopped at teardown.

``artifact_path(name)`` is where a test keeps a screenshot or similar output: the
directory ``TEST_ARTIFACTS`` (default ``var/test-artifacts``, which git ignores).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot import create_app
from bot.config import Config

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# What a closed network needs: no background connections, no update checks, no QUIC.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1100, "height": 860}


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def artifact_path(name: str) -> Path:
    """A file under ``TEST_ARTIFACTS`` (default ``var/test-artifacts``), its folder made."""
    folder = Path(os.environ.get("TEST_ARTIFACTS") or ROOT / "var" / "test-artifacts")
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class LiveServer:
    """A Flask app served over real HTTP on 127.0.0.1, for a browser to load."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True,
                                                   request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"live-server-{self.port}", daemon=True)

    def url_for(self, path: str) -> str:
        return self.url + (path if path.startswith("/") else "/" + path)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        services = self.app.extensions.get("msb")
        if services is not None:
            services.redis.close()


@pytest.fixture
def live_server() -> Iterator[Callable[[Config | Flask], LiveServer]]:
    """``live_server(config)`` (or an app): serve it; stopped when the test ends."""
    servers: list[LiveServer] = []

    def start(target: Config | Flask) -> LiveServer:
        app = target if isinstance(target, Flask) else create_app(target)
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; an error (not a skip) when it is missing."""
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        pytest.fail(
            f"Chromium not found at {executable}: run `make install` (as root it installs Debian's "
            "chromium), or `apt-get install chromium`, or set CHROMIUM_PATH to a Chromium binary",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_ARGS, timeout=60_000)
    except BaseException:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors and uncaught exceptions of the ``page`` fixture's page."""
    return []


@pytest.fixture
def page(browser, console_errors: list[str]):
    """A new page in a fresh context; closed (with its context) when the test ends."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC",
                                  service_workers="block")
    context.set_default_timeout(10_000)
    tab = context.new_page()

    def on_console(message) -> None:
        # The browser asks every site for /favicon.ico; a missing one is not the page's fault.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    yield tab
    context.close()
