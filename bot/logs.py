"""Logging that never carries a phone number or a message body.

Code logs pseudonyms and record ids, never numbers or text; as a second line of defence a
filter masks anything shaped like a phone number, and CR/LF are escaped so a crafted value
cannot forge a log line. JSON lines in production, readable lines in development.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time

_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def scrub(text: str) -> str:
    """Mask number-like runs and escape line breaks."""
    text = _PHONE.sub("[number]", text)
    return text.replace("\r", "\\r").replace("\n", "\\n")


class ScrubFilter(logging.Filter):
    """Renders each record's message once, scrubbed, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the structured fields passed as ``extra``."""

    FIELDS = ("request_id", "person", "channel", "intent", "language", "record", "outcome",
              "code", "status")

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": round(time.time(), 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                payload[name] = getattr(record, name)
        if record.exc_info:
            payload["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str, fmt: str = "text") -> None:
    """Set up the root logger once for a process (web or worker)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ScrubFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("twilio.http_client").setLevel(max(logging.WARNING, root.level))
