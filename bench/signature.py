"""What one ``X-Twilio-Signature`` check costs: ``bot.signature`` next to twilio's validator.

Why: issue #9 asks for a check that costs microseconds; this prints the figure for a
realistic inbound form (19 fields, as ``bench.loadgen`` sends) so BENCHMARKS.md can quote it.

    .venv/bin/python -m bench.signature
"""

from __future__ import annotations

import os
import sys
import timeit
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict

from bench.loadgen import prepare
from bot.signature import signature_is_valid

URL = "https://bot.example.test/twilio/messages"
TOKEN = "bench-auth-token-0123456789abcdef"


def per_call(function: object, number: int = 20000) -> float:
    """Best of five batches, in microseconds: the least disturbed by other processes."""
    return min(timeit.repeat(function, number=number, repeat=5)) / number * 1e6  # type: ignore[arg-type]


def main() -> int:
    raw = prepare(1, "http://127.0.0.1:8000/twilio/messages", URL, TOKEN, "AC" + "0" * 32, "+15005550006", 1)[0]
    head, body = raw.split(b"\r\n\r\n", 1)
    signature = next(line.split(": ", 1)[1] for line in head.decode().split("\r\n")
                     if line.startswith("X-Twilio-Signature"))
    form = ImmutableMultiDict(parse_qsl(body.decode(), keep_blank_values=True))
    with_port = URL.replace(".test/", ".test:443/")
    assert signature_is_valid(TOKEN, URL, form, signature)
    assert RequestValidator(TOKEN).validate(URL, form, signature)
    rows = [
        ("twilio RequestValidator.validate", per_call(lambda: RequestValidator(TOKEN).validate(URL, form, signature))),
        ("bot.signature, valid", per_call(lambda: signature_is_valid(TOKEN, URL, form, signature))),
        ("bot.signature, signed with :443 (second spelling)",
         per_call(lambda: signature_is_valid(TOKEN, with_port, form, signature))),
        ("bot.signature, invalid (both spellings hashed)",
         per_call(lambda: signature_is_valid(TOKEN, URL, form, "A" * 28))),
    ]
    print(f"form fields: {len(form)}; load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, micros in rows:
        print(f"{name}: {micros:.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
