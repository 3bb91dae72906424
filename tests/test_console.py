"""The staff console through Flask's test client: sign-in, sessions, CSRF, roles, audit, queues.

The browser end to end (compose, preview, send, progress) is ``test_console_browser.py``;
here each rule is pinned on its own: what a signed-out visitor, a viewer, a broadcaster and
an admin may do, and what a request without a CSRF token gets.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from bot.broadcasts import CANCELLED, DRAFT, Broadcasts, Draft
from bot.config import Config
from bot.console.auth import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USER
from bot.keys import login_failures, staff_session
from bot.staff import ADMIN, BROADCASTER, VIEWER, StaffStore
from bot.streams import REPLY_RETRIES
from messages.model import Channel, Reply
from messages.render import render
from messages.segments import count_segments

PASSWORD = "correct horse battery"
TEST_QUEUE = "console-test"
PROTECTED_PAGES = ("/console/", "/console/broadcasts", "/console/broadcasts/new", "/console/audit",
                   "/console/queues")


def explode(record_id: str) -> None:
    """A job that fails the way a send can: Twilio's error quotes the number."""
    raise RuntimeError(f"Twilio refused record {record_id}: 'To' number +14155550199 is not valid")


@pytest.fixture
def staff(redis: Redis) -> StaffStore:
    store = StaffStore(redis)
    for name, role in (("ada", ADMIN), ("bo", BROADCASTER), ("vi", VIEWER)):
        store.create(name, PASSWORD, role)
    return store


@pytest.fixture
def broadcasts(redis: Redis, config: Config) -> Broadcasts:
    return Broadcasts(redis, config)


def csrf(client: FlaskClient) -> str:
    """The session's token, as every console form carries it (a GET makes one)."""
    with client.session_transaction() as session:
        token = session.get("csrf")
    if not token:
        client.get("/console/login")
        with client.session_transaction() as session:
            token = session["csrf"]
    return str(token)


def login(client: FlaskClient, username: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf_token": csrf(client)},
                       environ_base={"REMOTE_ADDR": address})


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    answer = login(client, username)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def audit_actions(broadcasts: Broadcasts) -> list[tuple[str, str]]:
    return [(str(e["who"]), str(e["action"])) for e in reversed(broadcasts.audit_log())]


def session_record(client: FlaskClient, redis: Redis) -> str:
    import hashlib

    with client.session_transaction() as session:
        sid = session["sid"]
    return staff_session(hashlib.sha256(sid.encode()).hexdigest())


# -- signing in -----------------------------------------------------------------------------------


def test_every_page_redirects_a_signed_out_visitor_to_the_login_page(client: FlaskClient) -> None:
    for path in PROTECTED_PAGES:
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/console/login?next=")
    polled = client.get("/console/broadcasts/20260101000000-abcdef/status",
                        headers={"Accept": "application/json"})
    assert polled.status_code == 401 and polled.get_json()["error"] == "signed out"
    page = client.get("/console/login")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_signing_in_rotates_the_session_and_the_cookie_is_secure(
    app: Flask, client: FlaskClient, staff: StaffStore, broadcasts: Broadcasts, redis: Redis
) -> None:
    before = csrf(client)
    answer = login(client, "ada")
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    after = csrf(client)
    assert after != before  # a token seen before sign-in is worth nothing after it
    assert client.get("/console/").status_code == 200
    assert redis.ttl(session_record(client, redis)) > 0
    # a safe "next" is followed; another site is not
    other = app.test_client()
    back = other.post("/console/login", data={"username": "bo", "password": PASSWORD,
                                              "next": "/console/broadcasts", "csrf_token": csrf(other)})
    assert back.headers["Location"] == "/console/broadcasts"
    away = app.test_client()
    off = away.post("/console/login", data={"username": "bo", "password": PASSWORD,
                                            "next": "//evil.example/x", "csrf_token": csrf(away)})
    assert off.headers["Location"] == "/console/"
    assert audit_actions(broadcasts) == [("ada", "login"), ("bo", "login"), ("bo", "login")]


def test_a_wrong_password_or_unknown_user_gets_the_same_answer(
    client: FlaskClient, staff: StaffStore, broadcasts: Broadcasts
) -> None:
    wrong = login(client, "ada", "not the password at all")
    unknown = login(client, "nobody", PASSWORD)
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "Wrong username or password." in answer.get_data(as_text=True)
    assert client.get("/console/").status_code == 302
    assert audit_actions(broadcasts) == [("ada", "login-failed"), ("(unknown)", "login-failed")]


def test_five_failures_block_the_username_and_twenty_the_address(
    app: Flask, staff: StaffStore, redis: Redis, broadcasts: Broadcasts
) -> None:
    client = app.test_client()
    for _ in range(MAX_FAILURES_PER_USER):
        assert login(client, "ada", "wrong password!", "192.0.2.1").status_code == 401
    blocked = login(client, "ada", PASSWORD, "192.0.2.1")  # even the right password
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.get_data(as_text=True)
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert 0 < redis.ttl(login_failures("ada")) <= 15 * 60
    assert login(client, "ada", PASSWORD, "192.0.2.9").status_code == 429  # per user, from anywhere
    assert login(client, "bo", PASSWORD, "192.0.2.1").status_code == 302  # others still may

    other = app.test_client()
    names = [f"guess{i}" for i in range(MAX_FAILURES_PER_ADDRESS - MAX_FAILURES_PER_USER)]
    for name in names:  # unknown users count against the address too
        assert login(other, name, "wrong password!", "192.0.2.1").status_code == 401
    assert login(other, "vi", PASSWORD, "192.0.2.1").status_code == 429  # the address is spent
    assert login(other, "vi", PASSWORD, "198.51.100.7").status_code == 302
    assert ("ada", "login-blocked") in audit_actions(broadcasts)
    assert not any(b"192.0.2" in key for key in redis.scan_iter("msb:*"))  # no raw address kept


# -- CSRF, roles, sessions -----------------------------------------------------------------------


def test_a_post_without_a_valid_csrf_token_is_refused_with_400(
    app: Flask, staff: StaffStore, redis: Redis
) -> None:
    client = signed_in(app, "ada")
    form = {"text_en": "A trial opened."}
    assert client.post("/console/broadcasts", data=form).status_code == 400
    assert client.post("/console/broadcasts", data={**form, "csrf_token": "forged"}).status_code == 400
    assert client.post("/console/broadcasts/preview", data=form).status_code == 400
    assert client.post("/console/broadcasts/preview", data=form,
                       headers={"X-CSRF-Token": "forged"}).status_code == 400
    assert client.post("/console/logout").status_code == 400
    assert not list(redis.scan_iter("msb:broadcast:*"))
    assert client.post("/console/broadcasts/preview", data=form,
                       headers={"X-CSRF-Token": csrf(client)}).status_code == 200
    fresh = app.test_client()
    assert fresh.post("/console/login", data={"username": "ada", "password": PASSWORD}).status_code == 400


def test_a_viewer_sees_everything_but_cannot_compose_send_or_administer(
    app: Flask, staff: StaffStore, broadcasts: Broadcasts
) -> None:
    draft = broadcasts.create(Draft(texts={"en": "News."}), "bo")
    viewer = signed_in(app, "vi")
    token = csrf(viewer)
    assert viewer.get("/console/").status_code == 200
    assert viewer.get("/console/broadcasts").status_code == 200
    page = viewer.get(f"/console/broadcasts/{draft.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="send-now"' not in html and "Only a broadcaster or an admin" in html
    assert viewer.get("/console/broadcasts/new").status_code == 403
    assert viewer.post("/console/broadcasts", data={"text_en": "x", "csrf_token": token}).status_code == 403
    assert viewer.post(f"/console/broadcasts/{draft.id}/send", data={"csrf_token": token}).status_code == 403
    assert viewer.post(f"/console/broadcasts/{draft.id}/cancel", data={"csrf_token": token}).status_code == 403
    assert viewer.get("/console/audit").status_code == 403
    assert viewer.get("/console/queues").status_code == 403
    assert broadcasts.get(draft.id).status == DRAFT  # type: ignore[union-attr]
    broadcaster = signed_in(app, "bo")
    assert broadcaster.get("/console/audit").status_code == 403
    assert broadcaster.get("/console/broadcasts/new").status_code == 200


def test_compose_preview_create_review_and_cancel_are_audited(
    app: Flask, staff: StaffStore, broadcasts: Broadcasts, redis: Redis, config: Config
) -> None:
    from tests.test_broadcasts import seed

    seed(redis, config, [("+14155557001", Channel.SMS, "en"), ("+34600557002", Channel.SMS, "es"),
                         ("+34600557003", Channel.WHATSAPP, "es")])
    client = signed_in(app, "bo")
    token = csrf(client)
    form = {"text_en": "A new trial opened.\r\nDetails soon.", "text_es": "Se abrió un ensayo clínico.",
            "topic": "", "pace_per_hour": "", "scheduled_for": ""}
    shown = client.post("/console/broadcasts/preview", data=form, headers={"X-CSRF-Token": token}).get_json()
    assert shown["ready"] and shown["problems"] == []
    rows = {row["language"]: row for row in shown["languages"]}
    for language, text in (("en", "A new trial opened.\nDetails soon."), ("es", "Se abrió un ensayo clínico.")):
        rendered = render(Reply.broadcast(), language, Channel.SMS, {"text": text}).text
        expected = count_segments(rendered)
        assert (rows[language]["sms_text"], rows[language]["segments"], rows[language]["encoding"]) == (
            rendered, expected.segments, expected.encoding)
    assert rows["es"]["encoding"] == "UCS-2"  # "á" is not GSM-7
    assert (rows["es"]["sms_recipients"], rows["es"]["whatsapp_recipients"]) == (1, 1)
    assert rows["fr"]["own_text"] is False
    assert shown["recipients"] == 3
    assert shown["total_segments"] == rows["en"]["segments"] + rows["es"]["segments"]

    missing = client.post("/console/broadcasts/preview", data={"text_es": "Hola"},
                          headers={"X-CSRF-Token": token}).get_json()
    assert missing["ready"] is False and any("English" in p for p in missing["problems"])
    refused = client.post("/console/broadcasts", data={"text_es": "Hola", "csrf_token": token})
    assert refused.status_code == 422 and "English text is required" in refused.get_data(as_text=True)

    created = client.post("/console/broadcasts", data={**form, "csrf_token": token})
    assert created.status_code == 302
    broadcast_id = created.headers["Location"].rsplit("/", 1)[1]
    review = client.get(created.headers["Location"]).get_data(as_text=True)
    assert 'id="send-now"' in review and "Send now to 3 people" in review
    assert client.post(f"/console/broadcasts/{broadcast_id}/cancel",
                       data={"csrf_token": token, "from": "review"}).status_code == 302
    assert broadcasts.get(broadcast_id).status == CANCELLED  # type: ignore[union-attr]
    assert audit_actions(broadcasts)[-2:] == [("bo", "create"), ("bo", "cancel")]


def test_an_idle_session_ends_and_polling_does_not_keep_it_alive(
    app: Flask, staff: StaffStore, redis: Redis, config: Config, broadcasts: Broadcasts
) -> None:
    client = signed_in(app, "vi")
    record = session_record(client, redis)
    idle = config.staff_idle_minutes * 60
    assert idle - 5 <= redis.ttl(record) <= idle
    draft = broadcasts.create(Draft(texts={"en": "News."}), "bo")
    redis.hset(record, "last_seen", f"{time.time() - 100:.3f}")
    status = client.get(f"/console/broadcasts/{draft.id}/status", headers={"Accept": "application/json"})
    assert status.status_code == 200 and status.get_json()["status"] == DRAFT
    assert float(redis.hget(record, "last_seen")) < time.time() - 90  # type: ignore[arg-type]
    assert client.get("/console/").status_code == 200
    assert float(redis.hget(record, "last_seen")) > time.time() - 5  # type: ignore[arg-type]

    redis.hset(record, "last_seen", f"{time.time() - idle - 1:.3f}")
    answer = client.get("/console/broadcasts")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/console/login")
    assert not redis.exists(record)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"signed out after {config.staff_idle_minutes} minutes without activity" in page


def test_signing_out_or_removing_the_account_ends_the_session_for_good(
    app: Flask, staff: StaffStore, broadcasts: Broadcasts
) -> None:
    client = signed_in(app, "ada")
    copied = client.get_cookie("session")
    assert copied is not None
    assert client.post("/console/logout", data={"csrf_token": csrf(client)}).status_code == 302
    assert client.get("/console/").status_code == 302
    client.set_cookie("session", copied.value, domain=copied.domain)  # a stolen copy is worthless
    assert client.get("/console/").status_code == 302

    other = signed_in(app, "bo")
    result = app.test_cli_runner().invoke(args=["staff", "remove", "bo"])
    assert result.exit_code == 0, result.output
    assert other.get("/console/").status_code == 302
    actions = audit_actions(broadcasts)
    assert ("ada", "logout") in actions and ("bo", "login") in actions
    assert actions[-1][1] == "staff-remove"


def test_staff_commands_create_list_and_remove_accounts_with_scrypt_hashes(
    app: Flask, redis: Redis, broadcasts: Broadcasts
) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(args=["staff", "create", "grace", "--role", "broadcaster", "--password-stdin"],
                         input=PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    assert "created grace (broadcaster)" in made.output
    stored = redis.hget("msb:staff:grace", "password")
    assert stored is not None and stored.startswith(b"scrypt:") and PASSWORD.encode() not in stored
    short = runner.invoke(args=["staff", "create", "hopper", "--password-stdin"], input="too short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    again = runner.invoke(args=["staff", "create", "grace", "--password-stdin"], input=PASSWORD + "\n")
    assert again.exit_code != 0 and "already an account" in again.output
    bad = runner.invoke(args=["staff", "create", "Not A Name", "--password-stdin"], input=PASSWORD + "\n")
    assert bad.exit_code != 0
    prompted = runner.invoke(args=["staff", "create", "hopper", "--role", "viewer"],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    listed = runner.invoke(args=["staff", "list"])
    assert re.search(r"grace\s+broadcaster", listed.output) and re.search(r"hopper\s+viewer", listed.output)
    assert StaffStore(redis).verify("grace", PASSWORD) is not None
    assert StaffStore(redis).verify("grace", PASSWORD + "x") is None
    assert runner.invoke(args=["staff", "remove", "grace"]).exit_code == 0
    assert runner.invoke(args=["staff", "remove", "grace"]).exit_code != 0
    assert "grace" not in runner.invoke(args=["staff", "list"]).output
    assert [a for _, a in audit_actions(broadcasts)] == ["staff-create", "staff-create", "staff-remove"]


# -- the queue page ------------------------------------------------------------------------------


@pytest.fixture
def test_queue(redis: Redis) -> Iterator[Queue]:
    queue = Queue(TEST_QUEUE, connection=redis)
    yield queue
    queue.delete(delete_jobs=True)


def fail_one_job(queue: Queue, redis: Redis) -> str:
    """Enqueue ``explode`` and let a real RQ worker run it (and fail it) once."""
    job = queue.enqueue(explode, "rec-123", failure_ttl=3600)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        SimpleWorker([queue], connection=redis).work(burst=True, logging_level="WARNING")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert job.id in FailedJobRegistry(queue=queue)
    return job.id


def test_the_queue_page_counts_replies_waiting_for_a_retry(app: Flask, staff: StaffStore, redis: Redis) -> None:
    """A reply whose send failed for now waits out its backoff outside RQ; staff see it as
    scheduled on the replies row all the same."""
    def scheduled() -> int:
        html = signed_in(app, "ada").get("/console/queues").get_data(as_text=True)
        row = re.search(r'<tr data-queue="replies">.*?<td class="num scheduled">(\d+)</td>', html, re.S)
        assert row is not None
        return int(row.group(1))

    before = scheduled()
    redis.zadd(REPLY_RETRIES, {"r-console-retry": time.time() + 3600})  # due in an hour: nobody moves it
    try:
        assert scheduled() == before + 1
    finally:
        redis.zrem(REPLY_RETRIES, "r-console-retry")


def test_the_queue_page_lists_a_failed_job_and_retry_puts_it_back(
    app: Flask, staff: StaffStore, redis: Redis, test_queue: Queue, broadcasts: Broadcasts
) -> None:
    job_id = fail_one_job(test_queue, redis)
    admin = signed_in(app, "ada")
    page = admin.get("/console/queues")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("replies", "broadcasts", TEST_QUEUE):
        assert f'data-queue="{name}"' in html
    row = re.search(rf'<tr data-job="{re.escape(job_id)}">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "tests.test_console.explode" in row.group(1)
    assert "RuntimeError: Twilio refused record rec-123" in row.group(1)
    assert "14155550199" not in html and "[number]" in row.group(1)  # Twilio's errors quote numbers
    assert " UTC" in row.group(1)  # the failure time

    retry_url = f"/console/queues/{TEST_QUEUE}/failed/{job_id}/retry"
    assert admin.post(retry_url).status_code == 400
    assert signed_in(app, "bo").post(retry_url, data={"csrf_token": "x"}).status_code == 400
    viewer = signed_in(app, "vi")
    assert viewer.post(retry_url, data={"csrf_token": csrf(viewer)}).status_code == 403
    assert job_id in FailedJobRegistry(queue=test_queue)

    retried = admin.post(retry_url, data={"csrf_token": csrf(admin)}, follow_redirects=True)
    assert retried.status_code == 200
    assert f"Job {job_id} is back on the {TEST_QUEUE} queue." in retried.get_data(as_text=True)
    assert job_id not in FailedJobRegistry(queue=test_queue)
    assert test_queue.job_ids == [job_id]
    again = admin.post(retry_url, data={"csrf_token": csrf(admin)}, follow_redirects=True)
    assert "not in the failed jobs" in again.get_data(as_text=True)
    assert ("ada", "retry-job") in audit_actions(broadcasts)


def test_the_dashboard_charts_the_last_fourteen_days(
    app: Flask, staff: StaffStore, redis: Redis
) -> None:
    today = time.strftime("d%Y%m%d", time.gmtime())
    redis.hset(f"msb:stats:{today}", mapping={"inbound": 7, "channel:sms": 5, "channel:whatsapp": 2,
                                              "language:es": 4, "language:en": 3, "intent:risks": 4,
                                              "intent:menu": 3, "opt_outs": 1})
    html = signed_in(app, "vi").get("/console/").get_data(as_text=True)
    assert html.count("<svg") == 4  # per day, topic, language, channel; no subscribers yet
    assert re.search(r"Subscribers now[^<]*</figcaption>\s*<p class=\"hint\">Nothing yet\.", html)
    assert ": 7 messages in</title>" in html and ": 1 opt-outs</title>" in html
    assert "<title>Español (es): 4</title>" in html and "<title>WhatsApp: 2</title>" in html
    assert "<title>(menu): 3</title>" in html
    assert "style=" not in html  # the policy allows no inline style
