"""A cheap, honest load generator for the Twilio webhook: run it as its own process.

Why it is built this way:

* Every request is a properly signed Twilio inbound POST with its own MessageSid, so the bot
  does its full work each time (a repeated MessageSid would take the cheap duplicate path).
* Bodies and signatures are made *before* the clock starts; while timing, the loop only
  copies prepared bytes to sockets and reads status lines, so the loader costs little CPU
  on a 2-core machine it shares with the server. It reports its own CPU use so a reader can
  check it was not the bottleneck.
* One thread, one epoll loop, non-blocking sockets: N connections each keep exactly one
  request in flight (a closed loop, like N concurrent Twilio deliveries). A server that
  closes the connection after each answer (gunicorn's sync worker does) gets a new
  connection; that connect time is counted in the request's latency, as a client sees it.
* Duration-based: requests completed inside the window count; any non-200 is an error.

Prints one JSON object. Loopback only: the target must be on 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import json
import random
import re
import resource
import select
import socket
import sys
import time
import uuid
from array import array
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlencode, urlsplit

from bot.signature import SignatureValidator

# What people send: keywords and free questions in several languages (detection runs on those).
BODIES = (
    "RISKS", "MENU", "TRIALS", "HSCT", "MORE", "HELP", "costs", "menu",
    "What are the risks of stem cell transplant for MS?",
    "¿Cuáles son los riesgos del trasplante de células madre?",
    "Quels sont les risques de la greffe de cellules souches ?",
    "Welche Risiken hat die Stammzelltransplantation bei MS?",
    "Is HSCT available on the NHS and how long is the recovery?",
)
# Country prefixes of the senders (the bot guesses a language from the country too).
PREFIXES = ("+1415", "+34600", "+33612", "+4915", "+39333", "+351912", "+4479", "+9198")
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.IGNORECASE)


def inbound_form(sid: str, sender: str, body: str, account_sid: str, to: str) -> dict[str, str]:
    """The fields Twilio posts for an inbound SMS, in Twilio's names."""
    return {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0",
        "ToCity": "", "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received",
        "FromCity": "", "Body": body, "FromCountry": "", "To": to, "ToZip": "",
        "NumSegments": "1", "MessageSid": sid, "AccountSid": account_sid, "From": sender,
        "ApiVersion": "2010-04-01",
    }


def prepare(count: int, target: str, signed_url: str, token: str, account_sid: str, to: str,
            seed: int) -> list[bytes]:
    """``count`` complete HTTP requests, each signed, each with a unique MessageSid.

    Senders come from a pool a third the size of the batch, spread so that one person's
    messages are seconds apart (about three each: under the per-minute reply limit, so no
    request takes the cheaper held-back path).
    """
    parts = urlsplit(target)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc
    signer = SignatureValidator(token)
    rng = random.Random(seed)
    pool = max(1, count // 3)
    base = rng.randrange(10**6, 10**7 - pool - 1)
    # urlencode() of a whole form is most of the cost; only three fields change per request.
    constant = inbound_form("", "", "", account_sid, to)
    for name in ("SmsMessageSid", "SmsSid", "MessageSid", "From", "Body"):
        del constant[name]
    encoded_constant = urlencode(constant)
    encoded_bodies = [quote_plus(body) for body in BODIES]
    requests = []
    for index in range(count):
        sid = "SM" + uuid.UUID(int=rng.getrandbits(128)).hex
        person = base + index % pool
        sender = f"{PREFIXES[person % len(PREFIXES)]}{person:07d}"
        form = inbound_form(sid, sender, BODIES[index % len(BODIES)], account_sid, to)
        body = (f"{encoded_constant}&SmsMessageSid={sid}&SmsSid={sid}&MessageSid={sid}"
                f"&From={quote_plus(sender)}&Body={encoded_bodies[index % len(BODIES)]}").encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: TwilioProxy/1.1\r\n"
            f"Accept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signer.compute(signed_url, form)}\r\n"
            f"I-Twilio-Idempotency-Token: {uuid.UUID(int=rng.getrandbits(128))}\r\n\r\n"
        )
        requests.append(head.encode("latin-1") + body)
    return requests


@dataclass
class Connection:
    """One client connection with at most one request in flight."""

    sock: socket.socket
    connecting: bool = True
    draining: bool = False  # answered with Connection: close; waiting for the server's FIN
    out: memoryview | None = None
    started: float = 0.0
    buf: bytearray = field(default_factory=bytearray)


@dataclass
class Tally:
    """What happened inside the timing window."""

    latencies: array = field(default_factory=lambda: array("d"))
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    connects: int = 0


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: a p99 is a latency some request really had)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def run(address: tuple[str, int], requests: list[bytes], connections: int, seconds: float) -> dict[str, object]:
    """Keep ``connections`` requests in flight for ``seconds``; return the measurements."""
    poller = select.epoll()
    conns: dict[int, Connection] = {}
    tally = Tally()
    cursor = 0
    exhausted = False

    def open_connection(now: float) -> None:
        nonlocal cursor, exhausted
        if cursor >= len(requests):
            exhausted = True
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        code = sock.connect_ex(address)
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            tally.errors += 1
            tally.statuses[f"connect:{errno.errorcode.get(code, code)}"] += 1
            return
        conn = Connection(sock, out=memoryview(requests[cursor]), started=now)
        cursor += 1
        tally.connects += 1
        conns[sock.fileno()] = conn
        poller.register(sock.fileno(), select.EPOLLOUT)

    def close(fd: int, conn: Connection) -> None:
        poller.unregister(fd)
        conn.sock.close()
        del conns[fd]

    def send(fd: int, conn: Connection) -> None:
        assert conn.out is not None
        try:
            sent = conn.sock.send(conn.out)
        except OSError as error:
            fail(fd, conn, f"send:{errno.errorcode.get(error.errno or 0, error.errno)}")
            return
        conn.out = conn.out[sent:]
        poller.modify(fd, select.EPOLLIN if not conn.out else select.EPOLLOUT)

    def fail(fd: int, conn: Connection, reason: str) -> None:
        tally.errors += 1
        tally.statuses[reason] += 1
        close(fd, conn)
        open_connection(time.perf_counter())

    def answered(fd: int, conn: Connection, now: float) -> None:
        nonlocal cursor, exhausted
        buf = conn.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buf[: end + 2])
        length_match = _CONTENT_LENGTH.search(head)
        length = int(length_match.group(1)) if length_match else 0
        if len(buf) < end + 4 + length:
            return
        status = head[9:12].decode("ascii", "replace")
        tally.latencies.append(now - conn.started)
        tally.statuses[status] += 1
        if status != "200":
            tally.errors += 1
        conn.buf = bytearray()
        if _CLOSE.search(head):
            conn.draining = True  # close on the server's FIN, so TIME_WAIT stays server-side
            open_connection(now)
        elif cursor < len(requests):
            conn.out = memoryview(requests[cursor])
            cursor += 1
            conn.started = now
            send(fd, conn)
        else:
            exhausted = True
            close(fd, conn)

    start = time.perf_counter()
    deadline = start + seconds
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(connections):
        open_connection(start)
    now = start
    while now < deadline and conns:
        events = poller.poll(max(0.0, min(0.05, deadline - now)))
        now = time.perf_counter()
        for fd, mask in events:
            conn = conns.get(fd)
            if conn is None:
                continue
            if conn.connecting:
                code = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    fail(fd, conn, f"connect:{errno.errorcode.get(code, code)}")
                    continue
                conn.connecting = False
            if mask & select.EPOLLOUT and conn.out:
                send(fd, conn)
                continue
            if mask & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                try:
                    data = conn.sock.recv(65536)
                except ConnectionError:
                    data = b""
                if conn.draining:
                    if not data:
                        close(fd, conn)
                    continue
                if not data:
                    fail(fd, conn, "closed-before-answer")
                    continue
                conn.buf += data
                answered(fd, conn, now)
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = now - start
    for fd, conn in list(conns.items()):
        close(fd, conn)
    poller.close()
    cpu = (usage_after.ru_utime - usage_before.ru_utime) + (usage_after.ru_stime - usage_before.ru_stime)
    ordered = sorted(tally.latencies)
    done = len(ordered)
    return {
        "requests": done,
        "seconds": round(elapsed, 3),
        "rps": round(done / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
        "p90_ms": round(percentile(ordered, 0.90) * 1000, 2),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2) if ordered else None,
        "errors": tally.errors,
        "statuses": dict(tally.statuses),
        "connections": connections,
        "tcp_connects": tally.connects,
        "loader_cpu_percent": round(100 * cpu / elapsed, 1) if elapsed else None,
        "loader_cpu_us_per_request": round(1e6 * cpu / done, 1) if done else None,
        "exhausted": exhausted,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="where to POST, e.g. http://127.0.0.1:8000/twilio/messages")
    parser.add_argument("--signed-url", help="the URL Twilio signs (PUBLIC_BASE_URL + path); default --url")
    parser.add_argument("--token", required=True, help="the Twilio Auth Token the server checks with")
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--to", default="+15005550006", help="the bot's number")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-rate", type=int, default=6000,
                        help="requests prepared = max-rate x seconds; the run stops early if they run out")
    parser.add_argument("--seed", type=int, default=None, help="default: random, so MessageSids never repeat")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parts = urlsplit(args.url)
    host = parts.hostname or ""
    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        print("refusing: the load generator only targets loopback addresses", file=sys.stderr)
        return 2
    prepared_at = time.perf_counter()
    count = max(1000, int(args.max_rate * args.seconds))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**63)
    requests = prepare(count, args.url, args.signed_url or args.url, args.token, args.account_sid, args.to, seed)
    preparation = time.perf_counter() - prepared_at
    result = run((socket.gethostbyname(host), parts.port or 80), requests, args.connections, args.seconds)
    result["prepared"] = count
    result["prepare_seconds"] = round(preparation, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
