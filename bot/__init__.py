"""The bot's web process: the Twilio webhook, the simulator, health checks.

``create_app()`` is the app factory gunicorn serves (``bot:create_app()``); pass a
``Config`` to build one for tests without touching the environment.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from bot.config import Config
from bot.logs import configure_logging
from bot.services import Services, detect_on_first_use

MAX_REQUEST_BYTES = 64 * 1024  # Twilio's largest webhook is a few KiB


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (the console's login and CSRF token), with the signer
    built once per secret key instead of on every request: building it cost about as much CPU
    as the webhook's whole Redis call, on a path (Twilio's) that never carries a cookie."""

    _cached: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, super().get_signing_serializer(app))
        return self._cached[1]


def create_app(config: Config | None = None) -> Flask:
    """Build the Flask app; reads the environment only when no config is given."""
    if config is None:
        config = Config.from_env()
        configure_logging(config.log_level, config.log_format)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(config.public_base_url.startswith("https://")),
    )
    app.session_interface = CookieSessions()
    app.extensions["msb"] = Services.build(config, detect=detect_on_first_use)

    from bot import cli, console, ops, simulator, status, webhook

    app.register_blueprint(webhook.blueprint)
    app.register_blueprint(status.blueprint)
    app.register_blueprint(simulator.blueprint)
    app.register_blueprint(ops.blueprint)
    app.register_blueprint(console.blueprint)  # /console: staff pages (bot.console)
    cli.register(app)
    return app
