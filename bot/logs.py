"""Logging that never carries a phone number or a message body.

Code logs pseudonyms and record ids, never numbers or text; as a second line of defence a
filter masks anything shaped like a phone number (seven digits or more: E.164 numbers can be
that short), and line breaks, control and bidirectional-override characters are escaped so a
crafted value can neither forge a log line nor reorder one on screen. JSON lines in
production, readable lines in development.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
import time
from typing import Any, TextIO

# Seven or more digits, with the separators people and URLs put between them (spaces,
# brackets, dots, dashes, zero-width and direction marks); "%2B" before it stays, masking
# the digits is enough.
_SEPARATORS = "\\s().\\-\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069"
_PHONE = re.compile(rf"\+?\d(?:[{_SEPARATORS}]*\d){{6,}}")
# Line breaks of any kind (U+2028, NEL...), other control characters and bidi controls.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     "\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\r": "\\r", "\n": "\\n"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def scrub(text: str) -> str:
    """Mask number-like runs; escape line breaks, control and bidi characters (one line)."""
    return _UNSAFE.sub(_escape, _PHONE.sub("[number]", text))


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
              "code", "status",
              "replies", "held_back", "duplicate", "duration_ms", "queue_wait_ms")

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": round(time.time(), 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),  # already scrubbed by ScrubFilter, if attached
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                payload[name] = getattr(record, name)
        if record.exc_info:
            payload["exc"] = scrub(self.formatException(record.exc_info))
        if record.stack_info:
            payload["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(payload, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines for development: the message, then the structured fields as key=value."""

    UNSCRUBBED = frozenset({"request_id", "person", "record"})  # ids the code mints itself

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        line = super().formatMessage(record)
        pairs = []
        for name in JsonFormatter.FIELDS:
            value = getattr(record, name, None)
            if value is None or value == "":
                continue
            text = str(value) if name in self.UNSCRUBBED else scrub(str(value))
            pairs.append(f"{name}={text.replace(' ', '_')}")
        return f"{line} {' '.join(pairs)}" if pairs else line

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return _PHONE.sub("[number]", super().formatException(ei))  # numbers masked, lines kept


class StrayOutput(io.TextIOBase):
    """stderr in JSON mode: text written there outside logging becomes scrubbed log lines.

    A crashed child process (RQ's scheduler when Redis goes away), a warning or a library's
    ``print`` would otherwise put raw, multi-line, unscrubbed text among the JSON lines.
    Each complete line is logged (logger ``stderr``); logging's own errors go straight out.
    """

    def __init__(self, original: TextIO) -> None:
        super().__init__()
        self.original = original
        self._pending = ""
        self._lock = threading.Lock()
        self._inside = threading.local()
        self._log = logging.getLogger("stderr")

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.original, "encoding", None) or "utf-8")

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.original.fileno()

    def write(self, text: str) -> int:
        if getattr(self._inside, "active", False):  # logging reporting its own failure
            return self.original.write(text)
        with self._lock:
            *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            self._emit(line)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            rest, self._pending = self._pending, ""
        self._emit(rest)
        self.original.flush()

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        self._inside.active = True
        try:
            self._log.warning("%s", line)
        finally:
            self._inside.active = False


def configure_logging(level: str, fmt: str = "text") -> None:
    """Set up the root logger once for a process (web or worker)."""
    stream = sys.stderr.original if isinstance(sys.stderr, StrayOutput) else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
        sys.stderr = StrayOutput(stream)  # nothing but JSON lines on the log stream
    else:
        handler.setFormatter(TextFormatter())
        sys.stderr = stream
    # Neither format shows the caller's file and line, the thread or the process, so do not
    # compute them for every record (the logging docs' "optimization" switches): walking the
    # stack for the caller was a tenth of the webhook's logging cost. The process id stays:
    # gunicorn's own handler shows it, and without it that format fails on every record.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("twilio.http_client").setLevel(max(logging.WARNING, root.level))
