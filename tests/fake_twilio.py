"""A local fake of the parts of Twilio's REST API (2010-04-01 Messages) that the bot uses.

Why: tests and benchmarks point the *real* ``twilio`` client at this server through a base-URL
override, so they exercise real request building, HTTP keep-alive, JSON parsing and the
client's ``TwilioRestException`` mapping, instead of a mock that agrees with whatever the
code under test expects. Faults (429/5xx, Twilio error codes, dropped connections, lost
answers to accepted sends), latency, a rate limit and a concurrency limit are scriptable.

Standard library only; binds to 127.0.0.1 only. Never logs phone numbers or message bodies.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import random
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Step = str | int | tuple[Any, ...]
_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages(?:/([^/]+?))?\.json$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQ"
            "RSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM7_EXT = set("^{}\\[~]|€\f")
# Twilio error code -> (HTTP status, message as the API words it).
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by "
                 "the 'To' number: {to}."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21606: (400, "The From phone number {from_} is not a valid, SMS-capable inbound phone "
                 "number or short code for your account."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21612: (400, "The 'To' phone number: {to}, is not currently reachable using the 'From' "
                 "phone number: {from_} via SMS."),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    30007: (400, "Message filtered"),
    63016: (400, "Failed to send freeform message because you are outside the allowed window. "
                 "If you are using WhatsApp, please use a Message Template."),
}


def rfc2822(ts: float) -> str:
    """Format like Twilio does ("Thu, 30 Jul 2015 20:12:31 +0000"), independent of locale."""
    t = time.gmtime(ts)
    return (f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")


def num_segments(body: str) -> int:
    """Approximate Twilio's segment count: GSM-7 160/153 chars, otherwise UCS-2 70/67."""
    if all(c in _GSM7 or c in _GSM7_EXT for c in body):
        units, single, multi = len(body) + sum(c in _GSM7_EXT for c in body), 160, 153
    else:
        units, single, multi = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // multi)


def error_body(code: int, status: int | None = None, **fmt: str) -> tuple[int, dict[str, Any]]:
    """Twilio's legacy error JSON, which the client parses into TwilioRestException."""
    default = HTTPStatus(code - 20000).phrase if 20400 <= code < 20600 else f"Error {code}"
    st, msg = ERRORS.get(code, (status or 400, default))
    status = status or st
    with contextlib.suppress(KeyError, IndexError):
        msg = msg.format(**{"to": "", "from_": "", "path": "", **fmt})
    return status, {"code": code, "message": msg, "status": status,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}"}


@dataclass
class RecordedRequest:
    """One POST to Messages.json: what the client sent and what the fake did with it."""

    time: float
    form: dict[str, list[str]]
    fields: dict[str, str]
    auth_user: str | None
    outcome: str = "pending"  # created, accept_then_drop, drop, http_429, error_21610, ...
    status: int | None = None  # None when the connection was dropped without an answer
    sid: str | None = None
    # For a create refused by the rate limit: the creates it found in the last second, oldest
    # first, as seconds before it (how crowded the second was, for the benchmark's report).
    crowd: list[float] | None = None


class FakeTwilio:
    """Threaded HTTP fake of Twilio's Messages API; see the module docstring for why.

    Knobs are plain attributes, safe to change while running: ``latency`` (seconds slept,
    without any lock, before answering each POST), ``max_rate_per_second`` (429 once N creates
    were accepted in the *sliding* last second), ``max_in_flight`` (429 when more than N POSTs
    to Messages.json are being processed at once; rejected ones do not count).
    """

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None, *,
                 latency: float = 0.0, max_rate_per_second: int | None = None,
                 max_in_flight: int | None = None,
                 api_keys: dict[str, str] | None = None) -> None:
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.api_keys = dict(api_keys or {})  # SK... -> secret; SK... + auth_token also works
        self.latency = latency
        self.max_rate_per_second = max_rate_per_second
        self.max_in_flight = max_in_flight
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._in_flight = 0
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeTwilio:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler, bind_and_activate=False)
        server.daemon_threads = True
        server.request_queue_size = 1024  # 100+ clients connecting at once must not get RSTs
        server.server_bind()
        server.server_activate()
        server.fake = self  # type: ignore[attr-defined]
        server.handle_error = _handle_error  # type: ignore[method-assign]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut idle keep-alive connections so handler threads end."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeTwilio is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- scripting -------------------------------------------------------------------------
    def script(self, *steps: Step) -> None:
        """Queue behaviours, one consumed per authenticated POST to Messages.json."""
        for step in steps:
            ok = (step in ("ok", "drop", "accept_then_drop")
                  or (isinstance(step, int) and 400 <= step <= 599)
                  or (isinstance(step, tuple) and len(step) in (2, 3) and step[0] == "error"))
            if not ok:
                raise ValueError(f"unknown fake twilio step {step!r}")
        with self._cond:
            self._script.extend(steps)

    def set_fault_rates(self, *, rate_429: float = 0.0, rate_500: float = 0.0,
                        rate_503: float = 0.0, drop: float = 0.0, accept_then_drop: float = 0.0,
                        seed: int | None = None) -> None:
        """Random faults for load tests (used when the script queue is empty); reproducible."""
        with self._cond:
            self._rates = {429: rate_429, 500: rate_500, 503: rate_503, "drop": drop,
                           "accept_then_drop": accept_then_drop}
            self._rng = random.Random(seed)

    def reset(self) -> None:
        """Forget requests, messages, script and fault rates (knobs are kept)."""
        with self._cond:
            self._requests: list[RecordedRequest] = []
            self._messages: list[tuple[float, dict[str, Any]]] = []
            self._by_sid: dict[str, dict[str, Any]] = {}
            self._script: collections.deque[Step] = collections.deque()
            self._rates: dict[Step, float] = {}
            self._rng = random.Random()
            self._window: collections.deque[float] = collections.deque()
            self.peak_in_flight = 0  # most POSTs admitted at once: did the client go parallel?
            self.connections_opened = 0  # TCP connections accepted: is keep-alive working?

    # -- inspection ------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every POST to Messages.json received, with its outcome (a snapshot)."""
        with self._cond:
            return list(self._requests)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Message resources created, oldest first, including accept_then_drop ones."""
        with self._cond:
            return [dict(m) for _, m in self._messages]

    @property
    def message_times(self) -> dict[str, float]:
        """SID -> when the fake created it (epoch seconds, sub-second): ``date_created`` is to
        the second only, too coarse to measure how long a reply took."""
        with self._cond:
            return {m["sid"]: ts for ts, m in self._messages}

    @property
    def api_calls(self) -> int:
        with self._cond:
            return len(self._requests)

    def bodies_to(self, to: str) -> list[str]:
        return [m["body"] for m in self.messages if m["to"] == to]

    def wait_for_messages(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until n messages exist, for code that sends from background workers."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._messages) >= n, timeout):
                seen = [(m["to"], m["body"]) for _, m in self._messages]
                raise AssertionError(f"expected {n} messages within {timeout}s, saw "
                                     f"{len(seen)}: {seen!r}")
        return self.messages

    # -- request handling (called from handler threads) --------------------------------------
    def _authorized(self, header: str | None) -> tuple[bool, str | None]:
        try:
            raw = base64.b64decode((header or "").removeprefix("Basic "), validate=True)
            user, _, pw = raw.decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False, None
        if user == self.account_sid or (user.startswith("SK") and user not in self.api_keys):
            return secrets.compare_digest(pw, self.auth_token), user
        return user in self.api_keys and secrets.compare_digest(pw, self.api_keys[user]), user

    def _next_step(self) -> Step:
        with self._cond:
            if self._script:
                return self._script.popleft()
            rates, r = self._rates, self._rng.random()
        for step, rate in rates.items():
            if r < rate:
                return step
            r -= rate
        return "ok"

    def _create(self, acct: str, form: dict[str, list[str]], rec: RecordedRequest
                ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        """Decide and perform one create; (status, json or None to drop, extra headers)."""
        with self._cond:
            limit = self.max_in_flight
            limited = limit is not None and self._in_flight >= limit
            if not limited:
                self._in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        if limited:
            time.sleep(self.latency)  # a rejection still costs a round trip
            rec.outcome, rec.status = "in_flight_limited", 429
            return (*error_body(20429), {"Retry-After": "1"})
        try:
            return self._create_admitted(acct, form, rec)
        finally:
            with self._cond:
                self._in_flight -= 1

    def _create_admitted(self, acct: str, form: dict[str, list[str]], rec: RecordedRequest
                         ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        f, step, msg = rec.fields, self._next_step(), None
        hdrs: dict[str, str] = {}
        if step == "drop":
            rec.outcome, result = "drop", None
        elif isinstance(step, int):
            rec.outcome, result = f"http_{step}", error_body(20000 + step, step)
            hdrs = {"Retry-After": "1"} if step == 429 else {}
        elif isinstance(step, tuple):
            rec.outcome = f"error_{step[1]}"
            result = error_body(step[1], *step[2:], to=f.get("To", ""), from_=f.get("From", ""))
        elif not f.get("To"):
            rec.outcome, result = "invalid_21604", error_body(21604)
        elif not (f.get("From") or f.get("MessagingServiceSid")):
            rec.outcome, result = "invalid_21603", error_body(21603)
        elif not (f.get("Body") or f.get("MediaUrl") or f.get("ContentSid")):
            rec.outcome, result = "invalid_21602", error_body(21602)
        elif len(f.get("Body", "")) > 1600:
            rec.outcome, result = "invalid_21617", error_body(21617)
        else:
            with self._cond:
                now, cap = time.time(), self.max_rate_per_second
                while self._window and self._window[0] <= now - 1.0:
                    self._window.popleft()
                if cap is not None and len(self._window) >= cap:
                    rec.crowd = [round(now - t, 4) for t in self._window]
                    rec.outcome, result = "rate_limited", error_body(20429)
                    hdrs = {"Retry-After": "1"}
                else:
                    self._window.append(now)
                    msg = self._resource(acct, form)
                    rec.outcome = "created" if step == "ok" else "accept_then_drop"
                    rec.sid, result = msg["sid"], (201, msg)
        if self.latency > 0:
            time.sleep(self.latency)  # outside any lock: concurrency is the point
        if msg is not None:
            ts = time.time()
            msg["date_created"] = msg["date_updated"] = msg["date_sent"] = rfc2822(ts)
            with self._cond:
                self._messages.append((ts, msg))
                self._by_sid[msg["sid"]] = msg
                self._cond.notify_all()
            if step == "accept_then_drop":
                result = None
        if result is None:
            return 0, None, {}
        rec.status = result[0]
        return result[0], dict(result[1]), hdrs

    def _resource(self, acct: str, form: dict[str, list[str]]) -> dict[str, Any]:
        f = {k: v[0] for k, v in form.items()}
        sid, body = "SM" + secrets.token_hex(16), f.get("Body", "")
        uri = f"/2010-04-01/Accounts/{acct}"
        return {
            "account_sid": acct, "api_version": "2010-04-01", "body": body,
            "date_created": None, "date_sent": None, "date_updated": None,
            "direction": "outbound-api", "error_code": None, "error_message": None,
            "from": f.get("From"), "messaging_service_sid": f.get("MessagingServiceSid"),
            "num_media": str(len(form.get("MediaUrl", []))),
            "num_segments": str(num_segments(body)), "price": None, "price_unit": "USD",
            "sid": sid, "status": "accepted" if f.get("MessagingServiceSid") else "queued",
            "to": f["To"], "uri": f"{uri}/Messages/{sid}.json",
            "subresource_uris": {"media": f"{uri}/Messages/{sid}/Media.json",
                                 "feedback": f"{uri}/Messages/{sid}/Feedback.json"},
        }

    def _list(self, path: str, q: dict[str, str]) -> dict[str, Any]:
        """Newest first, filtered like Twilio; DateSent bounds are inclusive, to the second."""
        def match(ts: float, m: dict[str, Any]) -> bool:
            day, sec = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d"), int(ts)
            for key, cmp in (("DateSent>", 1), ("DateSent<", -1), ("DateSent", 0)):
                v = q.get(key)
                if not v:
                    continue
                if len(v) == 10:
                    got, want = day, v
                else:
                    got = sec
                    want = int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp())
                if (cmp == 0 and got != want) or (cmp and (got < want if cmp > 0 else got > want)):
                    return False
            return all(not q.get(k) or m[k.lower()] == q[k] for k in ("To", "From"))
        with self._cond:
            found = [m for ts, m in reversed(self._messages) if match(ts, m)]
        size = max(1, min(int(q.get("PageSize") or 50), 1000))
        page = int(q.get("Page") or 0)
        items = found[page * size:(page + 1) * size]
        filters = {k: v for k, v in q.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(p: int) -> str:
            return f"{path}?{urlencode({**filters, 'PageSize': size, 'Page': p})}"
        more = len(found) > (page + 1) * size
        return {"messages": [dict(m) for m in items], "first_page_uri": uri(0),
                "next_page_uri": uri(page + 1) if more else None,
                "previous_page_uri": uri(page - 1) if page > 0 else None, "page": page,
                "page_size": size, "start": page * size,
                "end": page * size + max(len(items) - 1, 0), "uri": uri(page)}


def _handle_error(request: object, client_address: object) -> None:
    """Report handler crashes without exception text (which might contain a body or number)."""
    exc = sys.exc_info()[1]
    if exc is not None and not isinstance(exc, OSError):
        tb = "".join(traceback.format_tb(exc.__traceback__))
        print(f"fake_twilio: handler crashed: {type(exc).__name__}\n{tb}", file=sys.stderr)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections give their thread back eventually
    server_version = "fake-twilio"

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: request lines and errors could carry phone numbers."""

    def setup(self) -> None:
        super().setup()
        with self.fake._cond:
            self.fake._conns.add(self.connection)
            self.fake.connections_opened += 1

    def finish(self) -> None:
        with self.fake._cond:
            self.fake._conns.discard(self.connection)
        super().finish()

    @property
    def fake(self) -> FakeTwilio:
        return self.server.fake  # type: ignore[attr-defined, no-any-return]

    def _reply(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
               ) -> None:
        body = json.dumps(payload).encode()
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                 "Content-Type: application/json; charset=utf-8", f"Content-Length: {len(body)}",
                 f"Twilio-Request-Id: RQ{secrets.token_hex(16)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def _route(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        url = urlsplit(self.path)
        fake, m = self.fake, _PATH.match(url.path)
        rec = None
        if method == "POST" and m and not m.group(2):
            form = parse_qs(raw, keep_blank_values=True)
            rec = RecordedRequest(time.time(), form, {k: v[0] for k, v in form.items()}, None)
            with fake._cond:
                fake._requests.append(rec)
        ok, user = fake._authorized(self.headers.get("Authorization"))
        if rec is not None:
            rec.auth_user = user
        if not ok:
            status, err = error_body(20003)
            err["detail"] = "Your AccountSid or AuthToken was incorrect."
            if rec is not None:
                rec.outcome, rec.status = "unauthorized", status
            return self._reply(status, err, {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if not m or m.group(1) != fake.account_sid or (method == "POST") != bool(rec):
            if rec is not None:
                rec.outcome, rec.status = "not_found", 404
            return self._reply(*error_body(20404, path=url.path))
        if rec is not None:
            status, payload, headers = fake._create(m.group(1), rec.form, rec)
            if payload is None:
                self.close_connection = True  # no answer at all: the client sees a dead socket
                return None
            return self._reply(status, payload, headers)
        if m.group(2):
            with fake._cond:
                msg = fake._by_sid.get(m.group(2))
            if msg is None:
                return self._reply(*error_body(20404, path=url.path))
            return self._reply(200, dict(msg))
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        return self._reply(200, fake._list(url.path, query))

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")
