"""Configuration, read from the environment in one place so web and worker agree.

``Config.from_env()`` is the only reader of ``os.environ`` in the project; everything else
receives a ``Config``. The object is frozen: a running process never changes its settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace


class ConfigError(ValueError):
    """A setting is missing or malformed; raised at start-up, never mid-conversation."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Config:
    """Every setting of the bot; see the configuration table in the README."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    twilio_sms_from: str = ""
    twilio_whatsapp_from: str = ""
    twilio_messaging_service_sid: str = ""
    public_base_url: str = ""
    send_rate_per_second: float = 1.0
    secret_key: str = field(default="", repr=False)
    phone_hash_key: str = field(default="", repr=False)
    port: int = 5000
    log_level: str = "INFO"
    log_format: str = "text"
    conversation_ttl_days: int = 30
    dedupe_ttl_hours: int = 48
    max_body_chars: int = 4096
    replies_per_minute: int = 5
    replies_per_day: int = 60
    reply_retries: int = 6
    whatsapp_templates: str = ""
    send_concurrency: int = 50  # sends in flight per worker process (Twilio allows 100 per account)
    quiet_hours: str = "21:00-08:00"  # no broadcast reaches a person then, in their number's zone
    sms_price_per_segment: float = 0.0083  # for the console's cost estimate (USD)
    staff_idle_minutes: int = 30
    health_max_queue_age_seconds: int = 300  # /healthz fails when a reply has waited longer

    @property
    def twilio_enabled(self) -> bool:
        """Real sends only when both credentials are set; otherwise the local outbox."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def simulator_enabled(self) -> bool:
        """The open simulator must never sit beside a real Twilio account."""
        return not self.twilio_enabled

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Build the configuration; refuses to run a real number with generated secrets."""
        env = os.environ if env is None else env
        config = cls(
            redis_url=env.get("REDIS_URL", "").strip() or cls.redis_url,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
            twilio_api_base_url=(
                env.get("TWILIO_API_BASE_URL", "").strip().rstrip("/") or cls.twilio_api_base_url
            ),
            twilio_sms_from=env.get("TWILIO_SMS_FROM", "").strip(),
            twilio_whatsapp_from=env.get("TWILIO_WHATSAPP_FROM", "").strip(),
            twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", "").strip(),
            public_base_url=env.get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
            send_rate_per_second=_float(env, "SEND_RATE_PER_SECOND", 1.0),
            secret_key=env.get("SECRET_KEY", ""),
            phone_hash_key=env.get("PHONE_HASH_KEY", ""),
            port=_int(env, "PORT", 5000, minimum=1),
            log_level=env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
            log_format=env.get("LOG_FORMAT", "").strip().lower() or "text",
            conversation_ttl_days=_int(env, "CONVERSATION_TTL_DAYS", 30, minimum=1),
            max_body_chars=_int(env, "MAX_BODY_CHARS", 4096, minimum=160),
            replies_per_minute=_int(env, "REPLIES_PER_MINUTE", 5, minimum=1),
            replies_per_day=_int(env, "REPLIES_PER_DAY", 60, minimum=1),
            whatsapp_templates=env.get("WHATSAPP_TEMPLATES", "").strip(),
            send_concurrency=_int(env, "SEND_CONCURRENCY", 50, minimum=1),
            quiet_hours=env.get("QUIET_HOURS", "").strip() or cls.quiet_hours,
            sms_price_per_segment=_float(env, "SMS_PRICE_PER_SEGMENT", 0.0083),
            staff_idle_minutes=_int(env, "STAFF_IDLE_MINUTES", 30, minimum=1),
            health_max_queue_age_seconds=_int(env, "HEALTH_MAX_QUEUE_AGE_SECONDS", 300, minimum=1),
        )
        config.validate()
        return config

    def validate(self) -> None:
        """Fail at start-up on settings that would leak data or silently misbehave."""
        if self.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {self.log_level!r}")
        if self.log_format not in {"text", "json"}:
            raise ConfigError(f"LOG_FORMAT must be text or json, not {self.log_format!r}")
        if not self.secret_key or not self.phone_hash_key:
            raise ConfigError(
                "SECRET_KEY and PHONE_HASH_KEY must be set (make run generates them under var/)"
            )
        if len(self.phone_hash_key) < 16:
            raise ConfigError("PHONE_HASH_KEY must be at least 16 characters")
        from bot.quiet_hours import QuietHours

        QuietHours.parse(self.quiet_hours)  # raises ConfigError when malformed
        if self.twilio_enabled and not (
            self.twilio_sms_from or self.twilio_whatsapp_from or self.twilio_messaging_service_sid
        ):
            raise ConfigError(
                "with Twilio credentials set, TWILIO_SMS_FROM, TWILIO_WHATSAPP_FROM or "
                "TWILIO_MESSAGING_SERVICE_SID is needed"
            )

    def with_overrides(self, **changes: object) -> Config:
        """A copy with some settings changed (tests and the launcher use it)."""
        return replace(self, **changes)  # type: ignore[arg-type]
