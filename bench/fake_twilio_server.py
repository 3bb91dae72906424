"""The fake Twilio API (``tests.fake_twilio.FakeTwilio``) in a process of its own, for benchmarks.

Why its own process: in the benchmark's process the fake's handler threads would share a GIL
with the code that seeds, samples and reports, and both would slow each other down; on its
own it costs the machine what a remote API costs the bot's host (nothing) plus its own CPU,
which ``stats`` reports so a reader can see what share of the machine it took.

Protocol (line-based, on stdin/stdout, so no second port and no control over HTTP):

* at start it prints one JSON line: ``{"base_url", "account_sid", "auth_token"}``;
* each ``stats`` line read from stdin prints one JSON line of counts (see ``Tally.snapshot``);
* ``timeline`` prints the creates and the 429s per whole second; ``arrivals`` prints, for each
  recipient, when the first create for it arrived (the benchmark's own made-up numbers, for
  end-to-end latency; nothing else is ever printed per recipient); ``quit`` (or end of stdin, or SIGTERM)
  prints the final stats and exits.

Counts never include a number or a body; duplicates are counted, not listed.

The fake keeps every request it saw, and the collector's full passes over them grow with the
run: by a minute at 100 a second one took long enough (tens of ms, every handler thread
waiting) to stamp a backlog of creates as arriving together, and the rate limit answered 429
to a pace that had been even. So the stats loop moves what is kept out of the collector's
reach every second (``gc.freeze``); what the fake measures is then the sender's pace.

    .venv/bin/python -m bench.fake_twilio_server --latency 0.15 --rate 1000 --max-in-flight 100
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import time
from collections import Counter
from typing import Any

from tests.fake_twilio import FakeTwilio, RecordedRequest


class Tally:
    """Running counts over the fake's recorded requests, read incrementally.

    Only requests whose outcome is settled are folded in (a request still in its latency
    sleep may yet become ``in_flight_limited``), so repeated snapshots stay cheap at 100,000
    requests: each looks only at what arrived since the previous one.
    """

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake
        self.cursor = 0
        self.outcomes: Counter[str] = Counter()
        self.recipients: Counter[str] = Counter()
        self.per_second: Counter[int] = Counter()
        self.limited_per_second: Counter[int] = Counter()
        self.first_created: float | None = None
        self.last_created: float | None = None
        self.first_arrival: dict[str, float] = {}
        self.crowds: list[list[float]] = []

    def _fold(self, records: list[RecordedRequest]) -> None:
        while self.cursor < len(records):
            rec = records[self.cursor]
            if rec.outcome == "pending":
                break
            self.cursor += 1
            self.outcomes[rec.outcome] += 1
            if rec.outcome in ("rate_limited", "in_flight_limited"):
                self.limited_per_second[int(rec.time)] += 1
            if rec.crowd is not None:
                self.crowds.append(rec.crowd)
            if rec.outcome == "created":
                self.first_arrival.setdefault(rec.fields.get("To", ""), rec.time)
                self.recipients[rec.fields.get("To", "")] += 1
                self.per_second[int(rec.time)] += 1
                self.first_created = rec.time if self.first_created is None else self.first_created
                self.last_created = rec.time

    def snapshot(self) -> dict[str, Any]:
        """Counts so far: creates, 429s by cause, duplicates, peak in flight, CPU used."""
        records = self.fake.requests
        self._fold(records)
        times = os.times()
        return {
            "requests": len(records),
            "settled": self.cursor,
            "created": self.outcomes["created"],
            "rate_limited_429": self.outcomes["rate_limited"],
            "in_flight_429": self.outcomes["in_flight_limited"],
            "other_outcomes": {k: v for k, v in self.outcomes.items()
                               if k not in ("created", "rate_limited", "in_flight_limited")},
            "duplicates": sum(n - 1 for n in self.recipients.values() if n > 1),
            "recipients": len(self.recipients),
            "peak_in_flight": self.fake.peak_in_flight,
            "connections_opened": self.fake.connections_opened,
            "first_created": self.first_created,
            "last_created": self.last_created,
            "cpu_seconds": round(times.user + times.system, 3),
            "now": time.time(),
        }

    def timeline(self) -> dict[str, dict[str, int]]:
        """Creates and 429s per whole second of the fake's clock."""
        self._fold(self.fake.requests)
        return {"created": {str(s): n for s, n in sorted(self.per_second.items())},
                "limited": {str(s): n for s, n in sorted(self.limited_per_second.items())},
                "crowds": self.crowds}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.15, help="seconds before each answer")
    parser.add_argument("--rate", type=int, default=None, help="429 past this many creates a second")
    parser.add_argument("--max-in-flight", type=int, default=100, help="429 past this many at once")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    fake = FakeTwilio(latency=args.latency, max_rate_per_second=args.rate,
                      max_in_flight=args.max_in_flight).start()
    tally = Tally(fake)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(json.dumps({"base_url": fake.base_url, "account_sid": fake.account_sid,
                      "auth_token": fake.auth_token, "pid": os.getpid()}), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                gc.freeze()
                print(json.dumps(tally.snapshot()), flush=True)
            elif command == "timeline":
                print(json.dumps(tally.timeline()), flush=True)
            elif command == "arrivals":
                tally.snapshot()
                print(json.dumps(tally.first_arrival), flush=True)
            elif command == "quit":
                break
    finally:
        print(json.dumps(tally.snapshot()), flush=True)
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
