"""Checks that tests/fake_twilio.py answers like Twilio, as seen by the real twilio client.

Every test drives ``twilio.rest.Client`` over HTTP, so a passing test means the client's own
request building and error parsing agree with the fake.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_twilio import FakeTwilio, num_segments, rfc2822

TO, FROM = "+15005550006", "+15005550001"
SEND_FAILURES = (TwilioRestException, requests.exceptions.ConnectionError)


class LocalTwilioHttpClient(TwilioHttpClient):
    """Sends what the client addresses to api.twilio.com to the fake instead."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(timeout=5, **kwargs)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        url = url.replace("https://api.twilio.com", self.base_url, 1)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as f:
        yield f


def make_client(fake: FakeTwilio, user: str | None = None, password: str | None = None,
                account_sid: str | None = None) -> Client:
    return Client(user or fake.account_sid, password or fake.auth_token,
                  account_sid=account_sid, http_client=LocalTwilioHttpClient(fake.base_url))


def close(client: Client) -> None:
    session = client.http_client.session  # type: ignore[attr-defined]
    if session is not None:
        session.close()


@pytest.fixture
def client(fake: FakeTwilio) -> Iterator[Client]:
    c = make_client(fake)
    yield c
    close(c)


def test_create_is_recorded_and_answered_like_twilio(fake: FakeTwilio, client: Client) -> None:
    msg = client.messages.create(to=TO, from_=FROM, body="Hello",
                                 status_callback="https://bot.example/status",
                                 media_url=["https://a.example/1.png", "https://a.example/2.png"])
    assert msg.sid is not None and msg.sid.startswith("SM") and len(msg.sid) == 34
    assert (msg.to, msg.from_, msg.body, msg.status) == (TO, FROM, "Hello", "queued")
    assert (msg.num_segments, msg.num_media, msg.direction) == ("1", "2", "outbound-api")
    assert msg.account_sid == fake.account_sid and msg.price is None and msg.error_code is None
    assert isinstance(msg.date_created, datetime) and isinstance(msg.date_sent, datetime)
    assert msg.uri == f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{msg.sid}.json"
    assert msg.subresource_uris is not None and "media" in msg.subresource_uris
    [req] = fake.requests
    assert req.fields["Body"] == "Hello" and req.fields["StatusCallback"].endswith("/status")
    assert req.form["MediaUrl"] == ["https://a.example/1.png", "https://a.example/2.png"]
    assert (req.outcome, req.status, req.sid, req.auth_user) == (
        "created", 201, msg.sid, fake.account_sid)
    assert fake.bodies_to(TO) == ["Hello"] and fake.api_calls == 1
    assert client.messages(msg.sid).fetch().body == "Hello"


def test_messaging_service_and_content_template(fake: FakeTwilio, client: Client) -> None:
    msg = client.messages.create(to="whatsapp:" + TO, messaging_service_sid="MG" + "0" * 32,
                                 content_sid="HX" + "1" * 32, content_variables='{"1": "Ana"}')
    assert msg.status == "accepted" and msg.from_ is None
    assert msg.messaging_service_sid == "MG" + "0" * 32
    fields = fake.requests[0].fields
    assert fields["ContentSid"] == "HX" + "1" * 32 and fields["ContentVariables"] == '{"1": "Ana"}'
    assert "Body" not in fields and fake.messages[0]["to"] == "whatsapp:" + TO


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"to": "", "from_": FROM, "body": "x"}, 21604),
    ({"to": TO, "from_": FROM}, 21602),
    ({"to": TO, "body": "x"}, 21603),
    ({"to": TO, "from_": FROM, "body": "x" * 1601}, 21617),
])
def test_validation_errors(fake: FakeTwilio, client: Client, kwargs: dict[str, Any],
                           code: int) -> None:
    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(**kwargs)
    assert (exc.value.code, exc.value.status) == (code, 400)
    assert fake.messages == []


def test_scripted_twilio_errors_then_success(fake: FakeTwilio, client: Client) -> None:
    fake.script(("error", 21610), ("error", 63016), 429, 500, 503)
    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(to=TO, from_=FROM, body="hi")
    assert (exc.value.code, exc.value.status) == (21610, 400)
    assert "unsubscribed recipient" in exc.value.msg
    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(to=TO, from_=FROM, body="hi")
    assert exc.value.code == 63016 and "outside the allowed window" in exc.value.msg
    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(to=TO, from_=FROM, body="hi")
    assert (exc.value.code, exc.value.status) == (20429, 429)
    for status in (500, 503):
        with pytest.raises(TwilioRestException) as exc:
            client.messages.create(to=TO, from_=FROM, body="hi")
        assert (exc.value.status, exc.value.code) == (status, 20000 + status)
    assert client.messages.create(to=TO, from_=FROM, body="finally").status == "queued"
    assert [r.outcome for r in fake.requests] == [
        "error_21610", "error_63016", "http_429", "http_500", "http_503", "created"]
    assert fake.bodies_to(TO) == ["finally"]


def test_429_carries_retry_after_and_keep_alive_headers(fake: FakeTwilio) -> None:
    fake.script(429)
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    with requests.Session() as s:
        r = s.post(url, data={"To": TO, "From": FROM, "Body": "x"},
                   auth=(fake.account_sid, fake.auth_token), timeout=5)
        assert r.status_code == 429 and r.headers["Retry-After"] == "1"
        assert r.json() == {"code": 20429, "message": "Too Many Requests", "status": 429,
                            "more_info": "https://www.twilio.com/docs/errors/20429"}
        assert r.headers["Content-Length"] == str(len(r.content))
        assert s.get(url, auth=(fake.account_sid, fake.auth_token), timeout=5).ok
    assert fake.connections_opened == 1


def test_drop_and_accept_then_drop(fake: FakeTwilio, client: Client) -> None:
    fake.script("drop", "accept_then_drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        client.messages.create(to=TO, from_=FROM, body="lost")
    assert fake.messages == []
    with pytest.raises(requests.exceptions.ConnectionError):
        client.messages.create(to=TO, from_=FROM, body="accepted")
    [listed] = client.messages.list(to=TO)
    assert listed.body == "accepted" and listed.sid == fake.requests[1].sid
    assert [(r.outcome, r.status) for r in fake.requests] == [
        ("drop", None), ("accept_then_drop", None)]
    assert client.messages.create(to=TO, from_=FROM, body="next").status == "queued"


def test_list_filters_paging_and_fetch(fake: FakeTwilio, client: Client) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    for i in range(3):
        client.messages.create(to=TO, from_=FROM, body=f"m{i}")
    client.messages.create(to="+15005550009", from_=FROM, body="other")
    assert [m.body for m in client.messages.list(to=TO, page_size=2)] == ["m2", "m1", "m0"]
    assert [m.body for m in client.messages.list(to=TO, limit=2)] == ["m2", "m1"]
    assert len(client.messages.list(date_sent_after=before)) == 4
    assert client.messages.list(date_sent_before=before) == []
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert len(client.messages.list(from_=FROM, date_sent=today)) == 4
    with pytest.raises(TwilioRestException) as exc:
        client.messages("SM" + "0" * 32).fetch()
    assert (exc.value.status, exc.value.code) == (404, 20404)


def test_auth(fake: FakeTwilio) -> None:
    bad = make_client(fake, password="wrong")
    with pytest.raises(TwilioRestException) as exc:
        bad.messages.create(to=TO, from_=FROM, body="x")
    assert (exc.value.status, exc.value.code) == (401, 20003)
    assert fake.messages == [] and fake.requests[0].outcome == "unauthorized"
    key = make_client(fake, user="SK" + "2" * 32, account_sid=fake.account_sid)
    assert key.messages.create(to=TO, from_=FROM, body="x").status == "queued"
    for c in (bad, key):
        close(c)


def test_max_in_flight_with_latency(fake: FakeTwilio) -> None:
    fake.latency, fake.max_in_flight = 0.3, 2
    results: list[int] = []
    barrier = threading.Barrier(5)

    def send() -> None:
        c = make_client(fake)
        barrier.wait()
        try:
            c.messages.create(to=TO, from_=FROM, body="x")
            results.append(201)
        except TwilioRestException as e:
            results.append(e.status)
        finally:
            close(c)

    t0 = time.monotonic()
    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - t0 >= 0.3
    # Normally exactly 2 get in; a thread delayed past the first 0.3 s may get in later.
    assert results.count(201) >= 2 and results.count(429) >= 1, results
    assert results.count(201) + results.count(429) == 5
    assert fake.peak_in_flight == 2 and len(fake.messages) == results.count(201)


def test_rate_limit_keep_alive_and_wait(fake: FakeTwilio, client: Client) -> None:
    fake.max_rate_per_second = 2
    client.messages.create(to=TO, from_=FROM, body="a")
    client.messages.create(to=TO, from_=FROM, body="b")
    with pytest.raises(TwilioRestException) as exc:
        client.messages.create(to=TO, from_=FROM, body="c")
    assert exc.value.status == 429
    assert fake.connections_opened == 1  # one keep-alive connection for all three
    assert len(fake.wait_for_messages(2, timeout=1)) == 2
    with pytest.raises(AssertionError, match="expected 3 messages"):
        fake.wait_for_messages(3, timeout=0.05)


def test_seeded_fault_rates_are_reproducible(client: Client) -> None:
    outcomes = []
    for _ in range(2):
        with FakeTwilio() as f:
            f.set_fault_rates(rate_429=0.3, accept_then_drop=0.2, seed=1)
            c = make_client(f)
            for _ in range(20):
                with contextlib.suppress(*SEND_FAILURES):
                    c.messages.create(to=TO, from_=FROM, body="x")
            close(c)
            outcomes.append([r.outcome for r in f.requests])
            assert len(f.messages) == outcomes[-1].count("created") + outcomes[-1].count(
                "accept_then_drop")
    assert outcomes[0] == outcomes[1] and {"created", "http_429"} <= set(outcomes[0])


def test_reset_and_bad_script_step(fake: FakeTwilio, client: Client) -> None:
    fake.script(429)
    fake.reset()
    assert client.messages.create(to=TO, from_=FROM, body="x").status == "queued"
    fake.reset()
    assert fake.messages == [] and fake.requests == [] and fake.api_calls == 0
    with pytest.raises(ValueError):
        fake.script("explode")


def test_nothing_logged(fake: FakeTwilio, client: Client, capfd: pytest.CaptureFixture[str]
                        ) -> None:
    fake.script("drop", ("error", 21211))
    for _ in range(3):
        with contextlib.suppress(*SEND_FAILURES):
            client.messages.create(to=TO, from_=FROM, body="secret body")
    out, err = capfd.readouterr()
    assert TO not in out + err and "secret body" not in out + err


def test_helpers() -> None:
    assert num_segments("a" * 160) == 1 and num_segments("a" * 161) == 2
    assert num_segments("é" * 160) == 1 and num_segments("ş" * 71) == 2
    assert rfc2822(0) == "Thu, 01 Jan 1970 00:00:00 +0000"
