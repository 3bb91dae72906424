"""``/metrics`` against the real Redis and the session worker, and the per-message log lines.

The exposition is parsed by a small parser written here (not prometheus_client), so the test
checks the text format itself: HELP/TYPE before samples, label syntax, numeric values.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Worker

from bot.config import Config
from bot.logs import JsonFormatter, ScrubFilter, TextFormatter
from bot.metrics import CONTENT_TYPE
from bot.models import Inbound
from bot.services import services
from tests.conftest import PUBLIC_BASE_URL, SENT, Twilio, WorkerProcess, sign
from tests.fake_twilio import FakeTwilio

NUMBER = "+14155550123"
SPANISH = "+14155550125"
WHATSAPP = "whatsapp:+14155550127"
NUMBERS = (NUMBER, SPANISH, WHATSAPP.removeprefix("whatsapp:"))

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})? (\S+)$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_prometheus(text: str) -> tuple[dict[str, str], Series]:
    """Parse the text exposition format strictly enough to catch a malformed line."""
    types: dict[str, str] = {}
    series: Series = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            assert re.fullmatch(rf"# HELP {_NAME} .+", line), line
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in {"counter", "gauge", "histogram", "summary", "untyped"}, line
            assert name not in types, f"{name} declared twice"
            types[name] = kind
            continue
        assert not line.startswith("#"), line
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, raw_labels, raw_value = match.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"{name} has no TYPE before it"
        labels: dict[str, str] = {}
        rest = raw_labels or ""
        while rest:
            label = _LABEL.match(rest)
            assert label, f"bad labels in {line!r}"
            labels[label.group(1)] = label.group(2)
            rest = rest[label.end():]
        value = float(raw_value)  # +Inf, NaN and numbers all parse
        key = (name, frozenset(labels.items()))
        assert key not in series, f"duplicate series {line!r}"
        series[key] = value
    return types, series


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def family(series: Series, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in series.items() if n == name}


def scrape(client: FlaskClient) -> tuple[str, dict[str, str], Series]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE
    text = response.get_data(as_text=True)
    types, series = parse_prometheus(text)
    return text, types, series


def scrape_until(client: FlaskClient, done, timeout: float = 15.0) -> tuple[str, Series]:
    deadline = time.monotonic() + timeout
    while True:
        text, _, series = scrape(client)
        if done(series) or time.monotonic() > deadline:
            return text, series
        time.sleep(0.1)


def assert_no_number(text: str) -> None:
    for number in NUMBERS:
        digits = number.lstrip("+")
        assert digits not in text
        assert digits[-7:] not in text  # not even the local part
        assert number not in text


@pytest.fixture
def quiet(redis: Redis, worker: WorkerProcess) -> Iterator[Redis]:
    """The session worker idle and registered, and no count left over from another test."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = Worker.all(connection=redis)
        if workers and all(w.get_state() == "idle" for w in workers):
            break
        time.sleep(0.1)
    time.sleep(0.2)
    for key in redis.scan_iter(match="msb:metrics:*"):
        redis.delete(key)
    yield redis


def test_counts_are_exact_and_labels_carry_no_number(
    inbound: Twilio, client: FlaskClient, twilio: FakeTwilio, quiet: Redis
) -> None:
    assert inbound.send("RISKS", NUMBER).status_code == 200
    form = inbound.form("TRIALS", NUMBER)
    assert inbound.post(form).status_code == 200
    assert inbound.post(form).status_code == 200  # Twilio's retry: taken once, counted once
    assert inbound.send("RIESGOS", SPANISH).status_code == 200
    assert inbound.send("RISKS", WHATSAPP).status_code == 200
    # RISKS, TRIALS, WhatsApp RISKS: one reply each; RIESGOS: the page and the language notice.
    expected_sends = 5
    twilio.wait_for_messages(expected_sends)
    text, series = scrape_until(client, lambda s: sum(family(s, "msb_replies_sent_total").values())
                                >= expected_sends and value(s, "msb_queue_wait_seconds_count") >= expected_sends)
    types, _ = parse_prometheus(text)
    assert types["msb_inbound_messages_total"] == "counter"
    assert types["msb_queue_wait_seconds"] == "histogram"
    assert family(series, "msb_inbound_messages_total") == {
        frozenset({("channel", "sms"), ("language", "en"), ("intent", "risks")}): 1,
        frozenset({("channel", "sms"), ("language", "en"), ("intent", "trials")}): 1,
        frozenset({("channel", "sms"), ("language", "es"), ("intent", "risks")}): 1,
        frozenset({("channel", "whatsapp"), ("language", "en"), ("intent", "risks")}): 1,
    }
    assert family(series, "msb_replies_sent_total") == {
        frozenset({("channel", "sms"), ("kind", "reply")}): 4,
        frozenset({("channel", "whatsapp"), ("kind", "reply")}): 1,
    }
    assert family(series, "msb_send_errors_total") == {}
    assert family(series, "msb_held_back_total") == {}
    # The histogram: cumulative buckets ending in +Inf == count, one observation per reply job.
    buckets = sorted(((float(dict(labels)["le"]), v) for labels, v in
                      family(series, "msb_queue_wait_seconds_bucket").items()))
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert buckets[-1] == (float("inf"), expected_sends)
    assert value(series, "msb_queue_wait_seconds_count") == expected_sends
    assert 0 <= value(series, "msb_queue_wait_seconds_sum") < 60
    assert value(series, "msb_workers") >= 1
    queues = {dict(labels)["queue"] for labels in family(series, "msb_queue_depth")}
    assert queues == {"inbound", "replies", "broadcasts"}
    assert_no_number(text)
    for (_, labels), _v in series.items():
        for name, label in labels:
            if name not in {"le", "code"}:
                assert not re.search(r"\d{3,}", label), (name, label)


def test_a_send_error_is_counted_by_its_twilio_code(
    inbound: Twilio, client: FlaskClient, twilio: FakeTwilio, quiet: Redis
) -> None:
    twilio.script(("error", 21211))
    inbound.send("RISKS", NUMBER)
    text, series = scrape_until(client, lambda s: value(s, "msb_send_errors_total", code="21211") >= 1)
    assert family(series, "msb_send_errors_total") == {frozenset({("code", "21211")}): 1}
    time.sleep(1.5)  # a wrong retry would show by now
    _, _, series = scrape(client)
    assert family(series, "msb_send_errors_total") == {frozenset({("code", "21211")}): 1}
    assert family(series, "msb_replies_sent_total") == {}
    assert [r.outcome for r in twilio.requests] == ["error_21211"]
    assert_no_number(text)


def test_a_loop_is_counted_as_held_back(
    inbound: Twilio, client: FlaskClient, twilio: FakeTwilio, quiet: Redis
) -> None:
    for _ in range(4):  # the 4th identical message in a row gets no reply (bot.limits)
        inbound.send("RISKS", NUMBER)
    twilio.wait_for_messages(3)
    _, series = scrape_until(client, lambda s: sum(family(s, "msb_replies_sent_total").values()) >= 3)
    assert family(series, "msb_held_back_total") == {frozenset({("reason", "loop")}): 1}
    assert value(series, "msb_inbound_messages_total", channel="sms", language="en", intent="risks") == 4
    assert value(series, "msb_replies_sent_total", channel="sms", kind="reply") == 3


def test_simulated_conversations_are_not_counted(app: Flask, client: FlaskClient, quiet: Redis) -> None:
    with app.app_context():
        taken = services().simulator.accept(Inbound("SM" + "5" * 32, NUMBER, "sms", "RISKS",
                                                    received_at=time.time()))
    assert taken is not None and taken.record_ids
    record = f"msb:outbox:{taken.record_ids[0]}"
    deadline = time.monotonic() + 10
    while quiet.hget(record, "status") != b"sent" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert quiet.hget(record, "status") == b"sent"
    time.sleep(0.3)
    _, _, series = scrape(client)
    assert family(series, "msb_inbound_messages_total") == {}
    assert family(series, "msb_replies_sent_total") == {}
    assert value(series, "msb_queue_wait_seconds_count") == 0


def test_broadcast_progress_is_read_from_broadcast_hashes(client: FlaskClient, redis: Redis) -> None:
    ident = "20250102030405-a1b2c3"
    redis.hset(f"msb:broadcast:{ident}", mapping={
        "status": "sending", "total": "10", "sent": "6", "delivered": "4", "failed": "1",
        "undelivered": "0", "skipped": "2", "texts": "not a label"})
    redis.hset(f"msb:broadcast:{ident}:batches", mapping={"0": "[]"})  # a sub-key: skipped
    redis.set("msb:broadcast:not-a-hash", "x")  # another type: skipped
    redis.hset("msb:broadcast:+14155550123", mapping={"status": "done", "total": "1"})  # hashed id
    _, _, series = scrape(client)
    assert value(series, "msb_broadcast_info", broadcast=ident, status="sending") == 1
    assert value(series, "msb_broadcast_recipients", broadcast=ident) == 10
    assert value(series, "msb_broadcast_sent", broadcast=ident) == 6
    assert value(series, "msb_broadcast_delivered", broadcast=ident) == 4
    assert value(series, "msb_broadcast_failed", broadcast=ident) == 1
    assert value(series, "msb_broadcast_undelivered", broadcast=ident) == 0
    assert value(series, "msb_broadcast_skipped", broadcast=ident) == 2
    labels = {dict(ls)["broadcast"] for ls in family(series, "msb_broadcast_info")}
    assert len(labels) == 2 and ident in labels
    assert not any("4155550123" in label for label in labels)


def test_metrics_is_503_without_redis(config: Config) -> None:
    from bot import create_app
    from bot.embedded_redis import free_port

    broken = create_app(config.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    assert broken.test_client().get("/metrics").status_code == 503


# -- per-message log lines -------------------------------------------------------------------
def inbound_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.webhook" and r.msg.startswith("inbound message")]


def routed_lines(caplog: pytest.LogCaptureFixture, request_ids: list[str],
                 timeout: float = 5.0) -> list[dict[str, Any]]:
    """The routing lines of these requests, as JSON payloads, in request order: written by
    the test process or by the session's worker, whichever routed the message."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, dict[str, Any]] = {}
        for record in caplog.records:
            if record.name == "workers.inbound" and record.msg == "inbound message routed":
                found[record.request_id] = json.loads(formatted(record)[0])  # type: ignore[attr-defined]
        for path in SENT.worker_logs:
            for line in Path(path).read_text(errors="replace").splitlines() if Path(path).exists() else []:
                if '"inbound message routed"' in line:
                    payload = json.loads(line)
                    found.setdefault(payload.get("request_id"), payload)
        if all(rid in found for rid in request_ids) or time.monotonic() > deadline:
            return [found[rid] for rid in request_ids if rid in found]
        time.sleep(0.05)


def formatted(record: logging.LogRecord) -> tuple[str, str]:
    """The record as production (JSON) and development (text) would write it."""
    clone = logging.makeLogRecord(record.__dict__)
    ScrubFilter().filter(clone)
    return JsonFormatter().format(clone), TextFormatter().format(clone)


def test_one_log_line_per_inbound_message_and_one_when_routed_without_the_number(
    inbound: Twilio, app: Flask, caplog: pytest.LogCaptureFixture, twilio: FakeTwilio, redis: Redis,
) -> None:
    """The webhook logs what it took; the worker logs how it routed it, under the same
    request id, so one message's story can be followed across processes."""
    caplog.set_level(logging.DEBUG)
    form = inbound.form("RISKS", NUMBER)
    inbound.post(form)
    inbound.post(form)  # a duplicate is one more webhook line, marked as such, and not routed
    inbound.send("RIESGOS", SPANISH)
    received = inbound_lines(caplog)
    assert len(received) == 3
    first, duplicate, spanish_received = received
    routed = routed_lines(caplog, [first.request_id, duplicate.request_id, spanish_received.request_id])
    assert len(routed) == 2  # the duplicate was never queued, so never routed
    with app.app_context():
        pseudonym = services().addresses.pseudonym(NUMBER)
    assert (first.outcome, first.duplicate) == ("queued", False)
    assert (duplicate.outcome, duplicate.duplicate) == ("duplicate", True)
    assert first.person == duplicate.person == pseudonym
    assert first.request_id != duplicate.request_id  # no idempotency token: ids are generated
    risks, spanish = routed
    assert (risks["outcome"], risks["intent"], risks["language"], risks["replies"], risks["person"]) == \
        ("routed", "risks", "en", 1, pseudonym)
    assert (spanish["language"], spanish["replies"], spanish["held_back"]) == ("es", 2, None)
    for payload in routed:
        assert payload["channel"] == "sms" and payload["duration_ms"] >= 0 and payload["queue_wait_ms"] >= 0
        assert_no_number(json.dumps(payload))
        assert "RIESGOS" not in json.dumps(payload) and "RISKS" not in json.dumps(payload)
    for record in received:
        assert record.channel == "sms"
        assert isinstance(record.duration_ms, float) and record.duration_ms >= 0
        as_json, as_text = formatted(record)
        payload = json.loads(as_json)
        for name in ("request_id", "person", "channel", "outcome", "duplicate", "duration_ms"):
            assert name in payload
        assert f"person={record.person}" in as_text and f"request_id={record.request_id}" in as_text
        for text in (as_json, as_text):
            assert_no_number(text)
            assert "RIESGOS" not in text and "RISKS" not in text


def test_a_held_back_message_logs_its_reason(inbound: Twilio, caplog: pytest.LogCaptureFixture,
                                             twilio: FakeTwilio, redis: Redis) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(4):
        inbound.send("RISKS", NUMBER)
    records = routed_lines(caplog, [r.request_id for r in inbound_lines(caplog)])  # type: ignore[attr-defined]
    assert [r["held_back"] for r in records] == [None, None, None, "loop"]
    assert [r["replies"] for r in records] == [1, 1, 1, 0]


def test_the_request_id_is_twilios_idempotency_token_or_a_fresh_one(
    inbound: Twilio, config: Config, caplog: pytest.LogCaptureFixture, twilio: FakeTwilio, redis: Redis,
) -> None:
    caplog.set_level(logging.INFO)
    url = f"{PUBLIC_BASE_URL}/twilio/messages"

    def post(token: str | None):
        form = inbound.form("RISKS", NUMBER)
        headers = {"X-Twilio-Signature": sign(url, form, config.twilio_auth_token)}
        if token is not None:
            headers["I-Twilio-Idempotency-Token"] = token
        return inbound.client.post("/twilio/messages", data=form, headers=headers)

    token = "a1b2c3d4-e5f6-4a5b-9c8d-0123abcd4567"
    response = post(token)
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == token
    assert inbound_lines(caplog)[-1].request_id == token
    generated = post(None).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)
    assert inbound_lines(caplog)[-1].request_id == generated
    looks_like_a_number = post("14155550123-xyz").headers["X-Request-Id"]
    assert "4155550123" not in looks_like_a_number
    assert re.fullmatch(r"[0-9a-f]{16}", looks_like_a_number)
    refused = inbound.client.post("/twilio/messages", data=inbound.form("RISKS", NUMBER),
                                  headers={"X-Twilio-Signature": "bad"})
    assert refused.status_code == 403 and refused.headers["X-Request-Id"]


def worker_lines(worker: WorkerProcess, record: str) -> list[dict[str, object]]:
    """The worker's JSON log lines about one outbox record (RQ's own lines carry no field)."""
    found = []
    for line in worker.log().splitlines():
        if line.startswith("{"):
            payload = json.loads(line)
            if payload.get("record") == record:
                found.append(payload)
    return found


def test_each_send_logs_one_line_with_record_pseudonym_outcome_and_queue_wait(
    inbound: Twilio, app: Flask, twilio: FakeTwilio, worker: WorkerProcess, redis: Redis,
) -> None:
    sid = inbound.next_sid()
    inbound.post(inbound.form("RISKS", NUMBER, sid=sid))
    twilio.wait_for_messages(1)
    record = f"r-{sid}-0"
    with app.app_context():
        pseudonym = services().addresses.pseudonym(NUMBER)
    deadline = time.monotonic() + 10
    lines: list[dict[str, object]] = []
    while time.monotonic() < deadline and not lines:
        lines = worker_lines(worker, record)
        time.sleep(0.1)
    assert len(lines) == 1, lines
    [line] = lines
    assert line["msg"] == "message sent"
    assert (line["record"], line["person"], line["channel"], line["outcome"]) == (record, pseudonym, "sms", "sent")
    assert re.fullmatch(r"\d+", str(line["queue_wait_ms"]))
    assert_no_number(json.dumps(line))


def test_a_failed_send_logs_its_twilio_code(inbound: Twilio, twilio: FakeTwilio, worker: WorkerProcess,
                                            redis: Redis) -> None:
    twilio.script(("error", 21211))
    sid = inbound.next_sid()
    inbound.post(inbound.form("RISKS", NUMBER, sid=sid))
    record = f"r-{sid}-0"
    deadline = time.monotonic() + 10
    lines: list[dict[str, object]] = []
    while time.monotonic() < deadline and not lines:
        lines = worker_lines(worker, record)
        time.sleep(0.1)
    assert [(line["outcome"], line["code"]) for line in lines] == [("failed", "21211")]
    assert_no_number(json.dumps(lines))
