"""A Hypothesis state machine: a few people on SMS and WhatsApp talking to the real webhook.

Every step is a signed post through the Flask test client to the real intake (real Redis).
The model knows only who is opted out; each step is checked against the outbox records the
intake wrote (``msb:outbox:r-{MessageSid}-{i}``), which are what the worker would send:

* one set of replies per MessageSid: a replay, even with another body, creates nothing and
  changes nothing;
* STOP (any language's word, any channel) is confirmed once and opts the *number* out, on
  SMS and WhatsApp alike; while opted out a person gets no record at all, emergencies
  included (bot.router: "An opted-out person gets nothing but the START confirmation"),
  until START, whose confirmation comes first (followed at most by the note that the bot
  now answers in the language of the START word);
* an emergency from someone not opted out gets exactly the emergency reply, never limited;
* the opt-out key in Redis always matches the model.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from redis import Redis

from bot.config import Config
from bot.crypto import AddressBook
from bot.keys import Keys
from bot.text import normalize
from messages.lexicon import all_lexicons
from tests.conftest import Twilio, clean_redis, leave_no_replies_behind
from tests.fake_twilio import FakeTwilio

NUMBERS = ("+14155550181", "+34600000182", "+447700900183")  # US, Spain, UK
LANGUAGES = ("en", "es", "fr", "de", "ru", "ar", "zh", "hi")
LEXICONS = [lexicon for lexicon in all_lexicons() if lexicon.language in LANGUAGES]


def _words(kind: str) -> set[str]:
    return {word for lexicon in LEXICONS for word in getattr(lexicon, kind) if normalize(word)}


EMERGENCY = sorted(_words("emergency"))
_DANGER = {normalize(phrase) for phrase in EMERGENCY}
_CONTROL = {normalize(word) for word in _words("stop") | _words("start")} | _DANGER


def _plain(text: str) -> bool:
    """Neither STOP nor START nor an emergency, by a rule simpler (and stricter) than the router's."""
    normalized = normalize(text)
    return not any(word in normalized for word in _CONTROL)


def _pool(*kinds: str) -> list[str]:
    return sorted(word for kind in kinds for word in _words(kind) if _plain(word))


def _safe(kind: str) -> list[str]:
    """The words of ``kind`` that contain no emergency phrase (an emergency comes first)."""
    return sorted(word for word in _words(kind)
                  if not any(danger in normal for normal in [normalize(word)] for danger in _DANGER))


STOP = _safe("stop")
START = _safe("start")
HELP = _pool("help")
MORE = _pool("more")
KEYWORDS = sorted(word for lexicon in LEXICONS for words in lexicon.topics.values() for word in words
                  if _plain(word)) + _pool("menu", "greetings")
FREE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40).filter(_plain)
# Courtesy and punctuation around a keyword change nothing ("please stop", "STOP!").
DRESS = st.sampled_from(("{}", "{}!", " {} ", "please {}", "{} thanks", "{}.", "¡{}!"))
CASE = st.sampled_from((str, str.upper, str.lower, str.title))


def dressed(words: list[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda word, dress, case: dress.format(case(word)), st.sampled_from(words), DRESS, CASE)


# (kind, body): the kind is what the model expects of the body. STOP and START come often,
# so that people go in and out of the opt-out on both channels within one example.
SAID = st.sampled_from(("stop", "stop", "start", "start", "emergency", "emergency", "keyword",
                        "keyword", "number", "free", "free")).flatmap(lambda kind: st.tuples(st.just(kind), {
    "stop": dressed(STOP),
    "start": dressed(START),
    "emergency": st.builds("{}{}".format, st.sampled_from(("", "help ", "I think ")),
                           st.sampled_from(EMERGENCY)),
    "keyword": st.one_of(dressed(HELP), dressed(MORE), dressed(KEYWORDS)),
    "number": st.one_of(st.integers(0, 14).map(str), st.sampled_from(("99", "-1", "1.5", "٣", "一"))),
    "free": FREE,
}[kind]))


def reply_label(record: dict[str, str]) -> str:
    reply = json.loads(record["reply"])
    return str(reply.get("name") or reply.get("kind"))


class Conversations(RuleBasedStateMachine):
    """Bound to an app, Redis and config by the test below; one clean Redis per example."""

    app: Flask
    redis: Redis
    config: Config

    sent = Bundle("sent")

    def __init__(self) -> None:
        super().__init__()
        clean_redis(self.redis)
        self.twilio = Twilio(self.app.test_client(), self.config)
        self.addresses = AddressBook(self.config.phone_hash_key)
        self.opted_out = dict.fromkeys(NUMBERS, False)
        self.records: dict[str, list[str]] = {}  # MessageSid -> its outbox record keys

    # -- helpers ---------------------------------------------------------------------------
    def outbox(self) -> dict[str, list[str]]:
        """MessageSid -> its outbox record keys, in reply order (one SCAN)."""
        found: dict[str, list[str]] = {}
        for key in self.redis.scan_iter(match="msb:outbox:r-*", count=1000):
            sid = key.decode().removeprefix("msb:outbox:r-").rsplit("-", 1)[0]
            found.setdefault(sid, []).append(key.decode())
        return {sid: sorted(keys, key=lambda key: int(key.rsplit("-", 1)[1])) for sid, keys in found.items()}

    def all_records(self) -> dict[str, list[str]]:
        """The records of this example's messages (a stray one of another example is not ours)."""
        found = self.outbox()
        return {sid: found.get(sid, []) for sid in self.records}

    def snapshot(self) -> tuple[object, ...]:
        """What a message taken again would change: records (made when), conversations, opt-outs.

        Statuses are left out: the session's worker, if running, moves them on meanwhile.
        """
        made = {key: self.redis.hget(key, "created_at") for keys in self.all_records().values()
                for key in keys}
        conversations = {key: self.redis.hgetall(key) for key in self.redis.scan_iter("msb:conv:*")}
        opt_outs = {key: self.redis.get(key) for key in self.redis.scan_iter("msb:optout:*")}
        return self.all_records(), made, conversations, opt_outs

    def post(self, form: dict[str, str]) -> None:
        response = self.twilio.post(form)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert b"<Response" in response.data

    def say(self, number: str, whatsapp: bool, body: str, kind: str) -> dict[str, str]:
        """Send one new message and check the records it created against the model."""
        address = f"whatsapp:{number}" if whatsapp else number
        form = self.twilio.form(body, address)
        sid = form["MessageSid"]
        self.post(form)
        keys = self.outbox().get(sid, [])
        self.records[sid] = keys
        assert [key.rsplit("-", 1)[1] for key in keys] == [str(i) for i in range(len(keys))]
        records = [{k.decode(): v.decode() for k, v in self.redis.hgetall(key).items()} for key in keys]
        person = self.addresses.pseudonym(number)
        for record in records:
            assert record["person"] == person
            assert record["channel"] == ("whatsapp" if whatsapp else "sms")
        labels = [reply_label(record) for record in records]
        was_out = self.opted_out[number]
        event(f"{kind} while {'opted out' if was_out else 'subscribed'}: {len(labels)} record(s)")
        if kind == "start":
            assert labels[:1] == ["start_confirm"], (body, labels)
            assert set(labels[1:]) <= {"language_changed"}, (body, labels)
            self.opted_out[number] = False
        elif was_out:
            assert labels == [], f"{body!r} to an opted-out person created {labels}"
        elif kind == "stop":
            assert labels == ["stop_confirm"], (body, labels)
            self.opted_out[number] = True
        elif kind == "emergency":
            assert labels == ["emergency"], (body, labels)
        else:
            assert not {"stop_confirm", "start_confirm"} & set(labels), (body, labels)
        return form

    # -- rules -----------------------------------------------------------------------------
    @rule(target=sent, number=st.sampled_from(NUMBERS), whatsapp=st.booleans(), said=SAID)
    def message(self, number: str, whatsapp: bool, said: tuple[str, str]) -> dict[str, str]:
        kind, body = said
        return self.say(number, whatsapp, body, kind)

    @precondition(lambda self: any(self.opted_out.values()))
    @rule(target=sent, data=st.data(), whatsapp=st.booleans(), said=SAID)
    def message_from_someone_opted_out(self, data: st.DataObject, whatsapp: bool,
                                       said: tuple[str, str]) -> dict[str, str]:
        """The opted-out state, visited often: anything, on either channel, then START."""
        number = data.draw(st.sampled_from([n for n, out in self.opted_out.items() if out]), label="number")
        kind, body = said
        return self.say(number, whatsapp, body, kind)

    @rule(form=sent)
    def replay(self, form: dict[str, str]) -> None:
        """Twilio retried: the same MessageSid again is acknowledged and changes nothing."""
        before = self.snapshot()
        self.post(dict(form))
        assert self.snapshot() == before

    @rule(form=sent, body=st.one_of(dressed(STOP), dressed(START), st.sampled_from(EMERGENCY)))
    def replay_altered(self, form: dict[str, str], body: str) -> None:
        """A MessageSid already taken is not routed again, whatever its body now says."""
        before = self.snapshot()
        self.post({**form, "Body": body})
        assert self.snapshot() == before

    # -- invariants ------------------------------------------------------------------------
    @invariant()
    def opt_out_is_per_number_across_channels(self) -> None:
        keys = Keys()
        for number, out in self.opted_out.items():
            assert bool(self.redis.exists(keys.opt_out(self.addresses.pseudonym(number)))) == out, number

    @invariant()
    def records_only_for_messages_taken(self) -> None:
        assert self.all_records() == self.records


@pytest.mark.slow
def test_conversations_keep_their_promises(app: Flask, redis: Redis, config: Config,
                                           twilio: FakeTwilio) -> None:
    machine: Any = type("BoundConversations", (Conversations,),
                        {"app": app, "redis": redis, "config": config})
    try:
        run_state_machine_as_test(machine, settings=settings(
            max_examples=30, stateful_step_count=30, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        leave_no_replies_behind(redis)
