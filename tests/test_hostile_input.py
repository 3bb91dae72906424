"""Hostile input through the real signed webhook (corpus: tests/data/hostile_inputs.json).

Each input replaces one field of an ordinary signed post. The webhook answers 200 with an
empty, well-formed TwiML document, or a short plain 4xx for a field it cannot take, never a
500. The replies the worker sends are catalogue text: nothing echoed, nothing evaluated. No
log line, as production writes it, can be split by an injected line break or carry the input.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes, urlencode

import pytest
from flask import request
from redis import Redis
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from bot.config import Config
from bot.crypto import AddressBook
from bot.logs import JsonFormatter, ScrubFilter
from messages.model import Reply
from messages.render import render
from tests.conftest import (
    PUBLIC_BASE_URL,
    SENT,
    TemplateFile,
    Twilio,
    WorkerProcess,
    leave_no_replies_behind,
    nothing_queued,
    route_queued,
    sign,
)
from tests.fake_twilio import FakeTwilio

CORPUS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "hostile_inputs.json").read_text())["inputs"]
ACCEPTED = [entry for entry in CORPUS if entry["expect"] == "ok"]
FORM_TYPE = "application/x-www-form-urlencoded"
PATH = "/twilio/messages"
PLAIN_BODY = "hello"  # the body of every post whose hostile part is another field
SENDER = "+12025550999"
# What must never come back in a reply: markup, template syntax, control characters.
MARKERS = ("<script", "</Message", "<Message", "<Redirect", "<Response", "<?xml", "<!DOCTYPE",
           "]]>", "<![CDATA[", "{{", "}}", "${", "{%", "%}", "<%", "__class__", "__globals__",
           "jndi:", "onerror", "DROP TABLE", "/etc/passwd", "Set-Cookie", "FLUSHALL",
           "\u202e", "\x00", "\x1b")


@pytest.fixture(autouse=True)
def _clean_after(redis: Redis) -> Iterator[None]:
    yield
    leave_no_replies_behind(redis)


def text_of(entry: dict[str, Any]) -> str | None:
    """The hostile text of an entry (None for the byte-level ones)."""
    if "repeat" in entry:
        piece, times = entry["repeat"]
        return str(entry.get("prefix", "")) + piece * times
    return entry.get("value")


def secrets_of(entry: dict[str, Any], sender: str) -> list[str]:
    """What a log line must not contain: the sender's number and the hostile text."""
    value = text_of(entry)
    found = [sender, sender.removeprefix("whatsapp:").lstrip("+")]
    return found + ([value] if value and len(value.strip()) >= 6 and len(set(value)) >= 3 else [])


def server_form(inbound: Twilio, data: bytes) -> MultiDict[str, str]:
    """The form exactly as Flask parses these bytes (what a valid signature covers)."""
    with inbound.client.application.test_request_context(PATH, method="POST", data=data,
                                                         content_type=FORM_TYPE):
        return MultiDict(request.form.items(multi=True))


def hostile_post(inbound: Twilio, entry: dict[str, Any], sender: str, *, forged: bool = False
                 ) -> TestResponse:
    """An ordinary signed post with the entry's field replaced (or its signature forged)."""
    form = inbound.form(PLAIN_BODY, sender)
    field = entry["field"]
    if "raw_bytes" not in entry and "percent_bytes" not in entry:
        form[field] = str(text_of(entry))
        return inbound.post(form, signature="bm90IGEgc2lnbmF0dXJl" if forged else None)
    hostile = bytes.fromhex(entry.get("raw_bytes") or entry["percent_bytes"])
    encoded = hostile if "raw_bytes" in entry else quote_from_bytes(hostile, safe="").encode()
    rest = urlencode({name: value for name, value in form.items() if name != field}).encode()
    data = rest + b"&" + field.encode() + b"=" + encoded
    parsed = server_form(inbound, data)
    SENT.record({"From": sender})
    SENT.record(list(parsed.items(multi=True)))
    signature = "bm90IGEgc2lnbmF0dXJl" if forged else sign(
        f"{PUBLIC_BASE_URL}{PATH}", list(parsed.items(multi=True)), inbound.config.twilio_auth_token)
    response = inbound.client.post(PATH, data=data, content_type=FORM_TYPE,
                                   headers={"X-Twilio-Signature": signature})
    if response.status_code == 200:
        route_queued(inbound.client.application, form["MessageSid"])
    return response


def production_line(record: logging.LogRecord) -> str:
    """The record as configure_logging(..., "json") writes it: ScrubFilter, then JsonFormatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    handler.setFormatter(JsonFormatter())
    handler.handle(copy.copy(record))
    return stream.getvalue()


def assert_log_clean(records: list[logging.LogRecord], secrets: list[str]) -> None:
    for record in records:
        message = record.getMessage()
        line = production_line(record)
        assert len(line.splitlines()) == 1 and line.endswith("\n"), line  # any line break counts
        assert isinstance(json.loads(line), dict)
        for secret in secrets:
            assert secret not in message, f"{record.name} logged the input: {message[:200]!r}"
            assert secret not in line


def outbox_records(redis: Redis) -> list[dict[str, str]]:
    return [{k.decode(): v.decode() for k, v in redis.hgetall(key).items()}
            for key in redis.scan_iter("msb:outbox:*")]


def assert_empty_twiml(response: TestResponse) -> None:
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)  # noqa: S314 - our own answer; well-formed, or this raises
    assert root.tag == "Response"
    assert list(root) == [] and not (root.text or "").strip()  # no <Message>, no <Redirect>


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["id"] for entry in CORPUS])
def test_hostile_input_gets_empty_twiml_or_a_clear_4xx_never_a_500(
    entry: dict[str, Any], inbound: Twilio, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = hostile_post(inbound, entry, SENDER)
    if entry["expect"] == "ok":
        assert response.status_code == 200, response.get_data(as_text=True)[:200]
        assert_empty_twiml(response)
        assert outbox_records(redis), "the message was acknowledged but no reply was queued"
    else:
        assert 400 <= response.status_code < 500, response.status_code
        assert response.mimetype == "text/plain"
        explanation = response.get_data(as_text=True).strip()
        assert explanation and "\n" not in explanation and len(explanation) < 120
        value = text_of(entry)
        assert not value or len(value) < 3 or value not in explanation  # the input is not echoed
        assert outbox_records(redis) == []
        assert nothing_queued(redis)
    assert hostile_post(inbound, entry, SENDER, forged=True).status_code == 403
    assert_log_clean(caplog.records, secrets_of(entry, SENDER))


def wait_until_final(redis: Redis, timeout: float) -> list[dict[str, str]]:
    deadline = time.monotonic() + timeout
    records = outbox_records(redis)
    while time.monotonic() < deadline:
        records = outbox_records(redis)
        if records and all(r["status"] in {"sent", "failed", "skipped"} for r in records):
            return records
        time.sleep(0.1)
    raise AssertionError(f"records not final: {Counter(r['status'] for r in records)}")


def test_replies_to_hostile_input_are_catalogue_text_and_the_worker_log_stays_clean(
    inbound: Twilio, redis: Redis, twilio: FakeTwilio, worker: WorkerProcess,
    templates: TemplateFile, config: Config, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    entries: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(ACCEPTED):  # one person each, half on WhatsApp: no rate limit
        number = f"+1202555{index:04d}"
        address = f"whatsapp:{number}" if index % 2 else number
        assert hostile_post(inbound, entry, address).status_code == 200, entry["id"]
        entries[address] = entry
    records = wait_until_final(redis, timeout=60)
    assert {r["status"] for r in records} == {"sent"}
    messages = twilio.wait_for_messages(len(records))
    time.sleep(0.3)
    assert len(twilio.messages) == len(records)  # one send per record

    # Each reply is exactly the catalogue text of its record: nothing of the input inside.
    addresses = AddressBook(config.phone_hash_key)
    expected = Counter((addresses.open(r["to"]), render(Reply.from_dict(json.loads(r["reply"])),
                                                          r["locale"], r["channel"]).text)
                       for r in records)
    assert Counter((m["to"], m["body"]) for m in messages) == expected
    for message in messages:
        entry, body = entries[message["to"]], message["body"]
        for marker in MARKERS:
            assert marker not in body, (entry["id"], marker)
        value = text_of(entry)
        if value and len(value) >= 8:
            assert value not in body, entry["id"]
        if entry.get("template"):
            assert "49" not in body, entry["id"]  # {{7*7}} and friends were not evaluated

    # The worker's log: every complete line one JSON object, with no number and no input.
    log = worker.log()
    lines = log[: log.rfind("\n") + 1].split("\n")[:-1]
    assert lines
    for line in lines:
        assert isinstance(json.loads(line), dict), line[:200]
    for address, entry in entries.items():
        for secret in secrets_of(entry, address):
            assert secret not in log, (entry["id"], secret[:40])
    assert_log_clean(caplog.records, [s for a, e in entries.items() for s in secrets_of(e, a)])
