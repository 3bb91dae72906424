"""``bot.signature`` gives twilio's own answers, in microseconds, and guards every Twilio route.

Three kinds of proof: Twilio's published example (auth token ``12345``, URL
``https://mycompany.com/myapp.php?foo=1&bar=2``); equality with
``twilio.request_validator.RequestValidator`` on generated URLs, forms, bodies and signatures;
and the real app refusing unsigned, wrongly signed and tampered requests before Redis is touched.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from redis import Redis
from redis.connection import AbstractConnection
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from bot import create_app
from bot.config import Config
from bot.signature import SignatureValidator, payload, signature_is_valid, signed_url
from tests.conftest import PUBLIC_BASE_URL, Twilio, nothing_queued, sign

NUMBER = "+14155550123"

# Twilio's published example ("Secure webhooks" / "Security" pages of Twilio's docs).
DOCS_TOKEN = "12345"
DOCS_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOCS_PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
               "From": "+12349013030", "To": "+18005551212"}
DOCS_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
# The earlier edition of the same example (other phone numbers), as twilio's SDK tests use it.
OLD_DOCS_PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
                   "From": "+14158675309", "To": "+18005551212"}
OLD_DOCS_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def twilio_says(token: str, url: str, params: object, signature: str | None) -> bool:
    """twilio's verdict; where twilio raises on input it cannot handle, the only safe answer is no."""
    try:
        return bool(RequestValidator(token).validate(url, params, signature))
    except Exception:
        return False


def with_port(url: str, port: int) -> str:
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}:{port}/{path}"


# --- Twilio's published example -----------------------------------------------------------

@pytest.mark.parametrize(("params", "expected"), [(DOCS_PARAMS, DOCS_SIGNATURE),
                                                  (OLD_DOCS_PARAMS, OLD_DOCS_SIGNATURE)],
                         ids=["docs", "docs-earlier-edition"])
def test_twilios_published_example(params: dict[str, str], expected: str) -> None:
    validator = SignatureValidator(DOCS_TOKEN)
    assert validator.compute(DOCS_URL, params) == expected
    assert RequestValidator(DOCS_TOKEN).compute_signature(DOCS_URL, params) == expected
    assert validator.validate(DOCS_URL, params, expected)
    assert validator.validate(DOCS_URL, MultiDict(params), expected)
    # Twilio may have signed either spelling of the URL: with or without the default port.
    assert validator.validate(with_port(DOCS_URL, 443), params, expected)
    assert validator.validate(DOCS_URL, params, validator.compute(with_port(DOCS_URL, 443), params))


def test_the_published_example_fails_on_any_change() -> None:
    validator = SignatureValidator(DOCS_TOKEN)
    assert not validator.validate(DOCS_URL, {**DOCS_PARAMS, "Digits": "1235"}, DOCS_SIGNATURE)
    assert not validator.validate(DOCS_URL, {**DOCS_PARAMS, "Extra": ""}, DOCS_SIGNATURE)
    assert not validator.validate(DOCS_URL.replace("foo=1", "foo=2"), DOCS_PARAMS, DOCS_SIGNATURE)
    assert not validator.validate(DOCS_URL.replace("https", "http"), DOCS_PARAMS, DOCS_SIGNATURE)
    # Signed on a non-standard port: that port is part of what was signed (twilio agrees).
    signed_8443 = validator.compute(with_port(DOCS_URL, 8443), DOCS_PARAMS)
    assert not validator.validate(DOCS_URL, DOCS_PARAMS, signed_8443)
    assert not validator.validate(with_port(DOCS_URL, 443), DOCS_PARAMS, signed_8443)
    assert not twilio_says(DOCS_TOKEN, DOCS_URL, DOCS_PARAMS, signed_8443)
    assert not SignatureValidator("12346").validate(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE)
    assert not validator.validate(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE.lower())
    assert not validator.validate(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE + " ")
    assert not validator.validate(DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE[:-1])
    assert not validator.validate(DOCS_URL, DOCS_PARAMS, "")
    assert not validator.validate(DOCS_URL, DOCS_PARAMS, None)
    assert not validator.validate(DOCS_URL, DOCS_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ\u00e9")


def test_any_port_is_dropped_when_trying_the_portless_spelling_as_twilio_does() -> None:
    # twilio's validator checks a URL that has a port against its portless spelling too, so a
    # signature over the portless URL is accepted on :8443; our answer must be the same.
    url = with_port(DOCS_URL, 8443)
    assert twilio_says(DOCS_TOKEN, url, DOCS_PARAMS, DOCS_SIGNATURE)
    assert SignatureValidator(DOCS_TOKEN).validate(url, DOCS_PARAMS, DOCS_SIGNATURE)


def test_the_signed_string_is_url_then_sorted_names_and_distinct_sorted_values() -> None:
    form = MultiDict([("b", "2"), ("a", "z"), ("a", "y"), ("a", "z"), ("c", "")])
    assert payload("https://x.test/p", form) == "https://x.test/p" + "ay" + "az" + "b2" + "c"


def test_a_validator_needs_a_token_and_a_known_algorithm() -> None:
    with pytest.raises(ValueError, match="Auth Token"):
        SignatureValidator("")
    with pytest.raises(ValueError, match="algorithm"):
        SignatureValidator("t", algorithm="MD5")
    assert not signature_is_valid("", DOCS_URL, DOCS_PARAMS, DOCS_SIGNATURE)


# --- equality with twilio's RequestValidator ----------------------------------------------

unicode_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
names = st.one_of(st.sampled_from(["Body", "From", "To", "MessageSid", "NumMedia", "MediaUrl0",
                                   "body", "Body ", "Ä", "", "a[]"]), unicode_text)
values = st.one_of(st.sampled_from(["", " ", "RISKS", "+14155550123", "whatsapp:+34600000000",
                                    "a&b=c", "%20", "ü", "中文", "🙂", "x" * 300]), unicode_text)
pairs = st.lists(st.tuples(names, values), max_size=8)
hosts = st.one_of(st.sampled_from(["bot.example.test", "localhost", "127.0.0.1", "[::1]",
                                   "user:pw@bot.example.test", "BOT.Example.TEST", "xn--bcher-kva.test"]),
                  st.from_regex(r"[a-z0-9]{1,12}(\.[a-z]{2,6}){0,2}", fullmatch=True))
ports = st.one_of(st.none(), st.sampled_from([80, 443, 8080, 8443, 5000, 0]), st.integers(1, 65535))
path_segment = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="?#/"), max_size=8)


@st.composite
def urls(draw: st.DrawFn) -> str:
    """Webhook URLs as people configure them: default and odd ports, queries, unicode paths."""
    scheme = draw(st.sampled_from(["https", "http", "HTTPS"]))
    host = draw(hosts)
    port = draw(ports)
    netloc = host if port is None else f"{host}:{port}"
    segments = draw(st.lists(path_segment, max_size=4))
    quoted = draw(st.booleans())
    path = "/" + "/".join(quote(s, safe="") if quoted else s for s in segments)
    url = f"{scheme}://{netloc}{path}"
    query = draw(st.lists(st.tuples(names, values), max_size=4))
    form = draw(st.sampled_from(["encoded", "raw", "none", "empty"]))
    if form == "encoded" and query:
        url += "?" + urlencode(query)
    elif form == "raw" and query:
        url += "?" + "&".join(f"{n}={v}" for n, v in query)
    elif form == "empty":
        url += "?"
    if draw(st.booleans()):
        url += "#" + draw(path_segment)
    return url


tokens = st.one_of(st.just("a" * 32), st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40))


def as_params(kind: str, items: list[tuple[str, str]]) -> object:
    if kind == "multidict":
        return MultiDict(items)
    if kind == "immutable":
        return ImmutableMultiDict(items)
    return dict(items)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=tokens, url=urls(), items=pairs, kind=st.sampled_from(["multidict", "immutable", "dict"]),
       which=st.sampled_from(["as-is", "with-port", "without-port", "other-port"]), data=st.data())
@example(token=DOCS_TOKEN, url=DOCS_URL, items=list(DOCS_PARAMS.items()), kind="dict", which="as-is",
         data=None)
def test_a_signature_twilio_made_is_accepted_exactly_when_twilio_accepts_it(
    token: str, url: str, items: list[tuple[str, str]], kind: str, which: str, data: st.DataObject | None,
) -> None:
    """Signatures over one spelling of the URL, checked against another: same verdict as twilio's."""
    params = as_params(kind, items)
    spelled = signed_url(url)
    if spelled is None:  # a port twilio cannot parse: twilio raises, we refuse
        assert not twilio_says(token, url, params, "x")
        assert not signature_is_valid(token, url, params, "x")
        return
    signer_url = {"as-is": url, "with-port": spelled.with_port, "without-port": spelled.without_port,
                  "other-port": spelled.without_port}[which]
    if which == "other-port" and data is not None:  # signed for some port, maybe not this one
        scheme, rest = spelled.without_port.split("://", 1)
        host, slash, tail = rest.partition("/")
        signer_url = f"{scheme}://{host}:{data.draw(st.integers(1, 65535))}{slash}{tail}"
    signature = RequestValidator(token).compute_signature(signer_url, params)
    assert SignatureValidator(token).compute(signer_url, params) == signature
    assert signature_is_valid(token, url, params, signature) == twilio_says(token, url, params, signature)
    if which in {"with-port", "without-port"}:
        assert signature_is_valid(token, url, params, signature)


@settings(max_examples=300, deadline=None)
@given(token=tokens, url=urls(), items=pairs, kind=st.sampled_from(["multidict", "dict"]),
       signature=st.one_of(st.none(), st.just(""), st.text(max_size=30),
                           st.binary(min_size=20, max_size=20).map(lambda b: base64.b64encode(b).decode())),
       tamper=st.sampled_from(["value", "add", "drop", "repeat", "url", "none"]))
def test_any_other_signature_or_tampered_request_gets_twilios_verdict(
    token: str, url: str, items: list[tuple[str, str]], kind: str, signature: str | None, tamper: str,
) -> None:
    if signed_url(url) is None:
        return
    genuine = RequestValidator(token).compute_signature(url, as_params(kind, items))
    changed = list(items)
    changed_url = url
    if tamper == "value" and changed:
        changed[0] = (changed[0][0], changed[0][1] + "x")
    elif tamper == "add":
        changed.append(("Injected", "1"))
    elif tamper == "drop" and changed:
        changed.pop()
    elif tamper == "repeat" and changed and kind == "multidict":
        changed.append((changed[0][0], changed[0][1] + "2"))
    elif tamper == "url":
        changed_url = url + ("&" if "?" in url else "?") + "x=1"
    params = as_params(kind, changed)
    for candidate in (signature, genuine):
        assert signature_is_valid(token, changed_url, params, candidate) == \
            twilio_says(token, changed_url, params, candidate)


@settings(max_examples=200, deadline=None)
@given(token=tokens, body=st.text(max_size=200), honest=st.booleans(), port=st.sampled_from([None, 443, 8443]))
def test_json_bodies_are_checked_by_their_body_sha256_like_twilio(
    token: str, body: str, honest: bool, port: int | None,
) -> None:
    digest = hashlib.sha256((body if honest else body + "!").encode()).hexdigest()
    host = "bot.example.test" if port is None else f"bot.example.test:{port}"
    url = f"https://{host}/twilio/json?bodySHA256={digest}"
    signature = RequestValidator(token).compute_signature(url, {})
    ours = signature_is_valid(token, url, body, signature)
    assert ours == twilio_says(token, url, body, signature)
    assert ours == honest


@given(body=st.text(min_size=1, max_size=50))
def test_a_raw_body_without_body_sha256_is_refused(body: str) -> None:
    url = "https://bot.example.test/twilio/messages"
    signature = RequestValidator("t").compute_signature(url, {})
    assert not signature_is_valid("t", url, body, signature)


@pytest.mark.parametrize("url", ["https://h:99999/p", "https://h:abc/p", "http://[::1/p"])
def test_a_url_twilio_cannot_parse_is_refused_not_an_error(url: str) -> None:
    assert not twilio_says("t", url, {}, "x")
    assert not signature_is_valid("t", url, {}, "x")


def test_a_non_ascii_header_is_refused_not_an_error() -> None:
    # It cannot be Twilio's, and hmac.compare_digest would raise on a non-ASCII str.
    assert not signature_is_valid("t", DOCS_URL, DOCS_PARAMS, "é" * 28)
    assert not twilio_says("t", DOCS_URL, DOCS_PARAMS, "é" * 28)


# --- through the real app -------------------------------------------------------------------

HOUSEKEEPING = ("rq:worker", "rq:scheduler", "rq:clean_registries", "rq:cron", "rq:suspended")


def snapshot(redis: Redis) -> dict[bytes, bytes | None]:
    """Every key and its serialized value, except a live worker's own bookkeeping: its
    heartbeat, and the empty streams it creates (with their consumer group) to wait on."""
    return {key: redis.dump(key) for key in redis.scan_iter(count=1000)
            if not key.decode(errors="replace").startswith(HOUSEKEEPING)
            and not (key in (b"msb:inbound", b"msb:replies") and redis.xlen(key) == 0)}


def quiet_snapshot(redis: Redis, timeout: float = 10.0) -> dict[bytes, bytes | None]:
    """A snapshot once the keyspace stops moving: in a full run, the session's worker may still
    be finishing an earlier test's job, and its writes must not be blamed on this request."""
    previous = snapshot(redis)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        current = snapshot(redis)
        if current == previous:
            return current
        previous = current
    return previous


@contextmanager
def commands_sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every Redis command this process (the app under test) sends inside the block."""
    sent: list[bytes] = []
    original = AbstractConnection.send_packed_command

    def recording(self: AbstractConnection, command: object, *args: object, **kwargs: object) -> None:
        sent.append(command if isinstance(command, bytes) else b"".join(command))  # type: ignore[arg-type]
        original(self, command, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(AbstractConnection, "send_packed_command", recording)
        yield sent


def refused_without_touching_redis(client: FlaskClient, redis: Redis, monkeypatch: pytest.MonkeyPatch,
                                   path: str, form: dict[str, str], headers: dict[str, str]) -> None:
    """POST, expect 403, and prove this process sent Redis no command and no key changed."""
    before = quiet_snapshot(redis)
    with commands_sent(monkeypatch) as sent:
        response = client.post(path, data=form, headers=headers)
    assert response.status_code == 403, (path, response.status_code, response.data)
    assert sent == [], (path, sent)
    assert snapshot(redis) == before, path


def test_behind_a_proxy_the_public_url_is_what_counts(inbound: Twilio, config: Config) -> None:
    """The app is reached at http://localhost, but Twilio signed https://bot.example.test."""
    assert config.public_base_url == PUBLIC_BASE_URL
    form = inbound.form("RISKS", NUMBER)
    public = f"{PUBLIC_BASE_URL}/twilio/messages"
    assert inbound.post(form, signature=sign(public, form, config.twilio_auth_token)).status_code == 200
    form = inbound.form("RISKS", NUMBER)
    assert inbound.post(form, signature=sign(with_port(public, 443), form,
                                             config.twilio_auth_token)).status_code == 200
    form = inbound.form("RISKS", NUMBER)
    local = "http://localhost/twilio/messages"
    assert inbound.post(form, signature=sign(local, form, config.twilio_auth_token)).status_code == 403


def test_without_a_public_url_the_url_called_is_what_counts(config: Config, redis: Redis) -> None:
    app = create_app(config.with_overrides(public_base_url=""))
    client = app.test_client()
    tw = Twilio(client, config)
    form = tw.form("RISKS", NUMBER)
    local = "http://localhost/twilio/messages"
    headers = {"X-Twilio-Signature": sign(local, form, config.twilio_auth_token)}
    assert client.post("/twilio/messages", data=form, headers=headers).status_code == 200
    form = tw.form("RISKS", NUMBER)
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, config.twilio_auth_token)}
    assert client.post("/twilio/messages", data=form, headers=headers).status_code == 403


def test_a_query_string_is_part_of_what_is_signed(
    inbound: Twilio, config: Config, redis: Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The refusal first, on a clean Redis: an accepted message would start a delivery that
    # changes keys while the snapshot is compared.
    form = inbound.form("RISKS", NUMBER)
    headers = {"X-Twilio-Signature": sign(f"{PUBLIC_BASE_URL}/twilio/messages?tenant=a", form,
                                          config.twilio_auth_token)}
    refused_without_touching_redis(inbound.client, redis, monkeypatch, "/twilio/messages?tenant=b", form, headers)
    form = inbound.form("RISKS", NUMBER)
    signed = sign(f"{PUBLIC_BASE_URL}/twilio/messages?tenant=a%20b&x=", form, config.twilio_auth_token)
    headers = {"X-Twilio-Signature": signed}
    assert inbound.client.post("/twilio/messages?tenant=a%20b&x=", data=form, headers=headers).status_code == 200


def _tampered_url(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    return "/twilio/messages?x=1", form, sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, token)


def _other_host(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    return "/twilio/messages", form, sign("https://evil.example.test/twilio/messages", form, token)


def _other_scheme(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    return "/twilio/messages", form, sign(PUBLIC_BASE_URL.replace("https", "http") + "/twilio/messages",
                                          form, token)


def _other_port(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    return "/twilio/messages", form, sign(f"{PUBLIC_BASE_URL}:8443/twilio/messages", form, token)


def _changed_body(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    signature = sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, token)
    return "/twilio/messages", {**form, "Body": "STOP"}, signature


def _changed_sender(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    signature = sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, token)
    return "/twilio/messages", {**form, "From": "+14155550199"}, signature


def _added_param(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    signature = sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, token)
    return "/twilio/messages", {**form, "ButtonPayload": "admin"}, signature


def _dropped_param(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    signature = sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, token)
    return "/twilio/messages", {k: v for k, v in form.items() if k != "NumMedia"}, signature


def _flipped_char(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    signature = sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, token)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return "/twilio/messages", form, flipped


def _other_token(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    return "/twilio/messages", form, sign(f"{PUBLIC_BASE_URL}/twilio/messages", form, token + "x")


def _sha256_signature(form: dict[str, str], token: str) -> tuple[str, dict[str, str], str]:
    signature = RequestValidator(token).compute_signature(f"{PUBLIC_BASE_URL}/twilio/messages", form,
                                                          algorithm="HMAC_SHA256")
    return "/twilio/messages", form, signature


TAMPERINGS = [_tampered_url, _other_host, _other_scheme, _other_port, _changed_body, _changed_sender,
              _added_param, _dropped_param, _flipped_char, _other_token, _sha256_signature]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=[t.__name__.strip("_") for t in TAMPERINGS])
def test_a_tampered_url_body_or_header_is_refused_and_nothing_is_written(
    inbound: Twilio, config: Config, redis: Redis, monkeypatch: pytest.MonkeyPatch, tamper,
) -> None:
    path, form, signature = tamper(inbound.form("RISKS", NUMBER), config.twilio_auth_token)
    refused_without_touching_redis(inbound.client, redis, monkeypatch, path, form,
                                   {"X-Twilio-Signature": signature})
    assert nothing_queued(redis)


def _twilio_post_paths(app: Flask) -> list[str]:
    """Every POST route under /twilio/, with any URL variables filled in."""
    adapter = app.url_map.bind("localhost")
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/twilio/") and "POST" in (rule.methods or ()):
            paths.append(adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, "1"), method="POST"))
    return sorted(set(paths))


def test_every_twilio_route_is_found(app: Flask) -> None:
    paths = _twilio_post_paths(app)
    assert "/twilio/messages" in paths


@pytest.mark.parametrize("how", ["unsigned", "empty", "garbage", "other-token", "other-route", "other-body"])
def test_no_unsigned_request_reaches_a_handler(
    app: Flask, client: FlaskClient, config: Config, redis: Redis, inbound: Twilio,
    monkeypatch: pytest.MonkeyPatch, how: str,
) -> None:
    """Every POST route under /twilio/ (messages, status, whatever is added) refuses with 403."""
    paths = _twilio_post_paths(app)
    assert paths
    token = config.twilio_auth_token
    for path in paths:
        form = {**inbound.form("RISKS", NUMBER), "MessageStatus": "delivered", "SmsStatus": "delivered"}
        url = f"{PUBLIC_BASE_URL}{path}"
        headers = {
            "unsigned": {},
            "empty": {"X-Twilio-Signature": ""},
            "garbage": {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=="},
            "other-token": {"X-Twilio-Signature": sign(url, form, token[::-1] + "x")},
            "other-route": {"X-Twilio-Signature": sign(f"{PUBLIC_BASE_URL}/twilio/elsewhere", form, token)},
            "other-body": {"X-Twilio-Signature": sign(url, {**form, "Body": "MENU"}, token)},
        }[how]
        refused_without_touching_redis(client, redis, monkeypatch, path, form, headers)


def test_the_checks_would_see_a_handler_write(
    inbound: Twilio, redis: Redis, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Control for the tests above: a correctly signed message does send commands and change keys."""
    before = quiet_snapshot(redis)
    with commands_sent(monkeypatch) as sent:
        assert inbound.send("RISKS", NUMBER).status_code == 200
    assert sent
    assert snapshot(redis) != before


def test_the_benchmarks_requests_are_genuinely_signed_and_unique() -> None:
    """bench.loadgen signs with bot.signature; twilio's own validator must agree with every one."""
    from urllib.parse import parse_qsl

    from bench.loadgen import prepare

    url = f"{PUBLIC_BASE_URL}/twilio/messages"
    requests = prepare(60, "http://127.0.0.1:8000/twilio/messages", url, "bench-token", "AC" + "0" * 32,
                       "+15005550006", seed=7)
    sids = set()
    for raw in requests:
        head, body = raw.split(b"\r\n\r\n", 1)
        headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:])
        assert int(headers["Content-Length"]) == len(body)
        form = MultiDict(parse_qsl(body.decode(), keep_blank_values=True))
        assert RequestValidator("bench-token").validate(url, form, headers["X-Twilio-Signature"])
        sids.add(form["MessageSid"])
    assert len(sids) == len(requests)
