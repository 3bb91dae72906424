"""The Twilio transport's HTTP client against the fake API: what reaches Twilio, and how each
way a request can fail is classed (never sent and free to retry, or maybe sent and to be
looked up first), which is what keeps a retried send from going out twice."""

from __future__ import annotations

import socket
import time
from dataclasses import replace

import pytest

from bot.config import Config
from messages.model import Channel
from tests.fake_twilio import FakeTwilio
from workers.transport import Outgoing, SendError, TwilioTransport

MESSAGE = Outgoing(record_id="r-transport-1", address="+15005550006", channel=Channel.SMS,
                   body="Stem cell news & updates: reply MENU", person="p-transport", namespace="msb")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_send_reaches_the_api_as_twilio_builds_it(base_config: Config, twilio: FakeTwilio) -> None:
    sid = TwilioTransport(base_config).send(MESSAGE)
    [request] = twilio.requests
    assert request.outcome == "created"
    assert sid == request.sid
    assert request.fields["To"] == MESSAGE.address
    assert request.fields["Body"] == MESSAGE.body  # form-encoded and decoded intact
    assert request.fields["From"] == base_config.twilio_sms_from


def test_a_refused_connection_was_never_sent(base_config: Config) -> None:
    config = replace(base_config, twilio_api_base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(SendError) as raised:
        TwilioTransport(config).send(MESSAGE)
    assert raised.value.transient and not raised.value.ambiguous


def test_an_answer_lost_after_the_api_accepted_may_have_been_sent(
        base_config: Config, twilio: FakeTwilio) -> None:
    twilio.script("accept_then_drop")
    transport = TwilioTransport(base_config)
    with pytest.raises(SendError) as raised:
        transport.send(MESSAGE)
    assert raised.value.transient and raised.value.ambiguous
    assert transport.find_sent(MESSAGE, time.time() - 60) == twilio.requests[0].sid


def test_a_rate_limited_send_is_free_to_retry_and_a_bad_number_is_final(
        base_config: Config, twilio: FakeTwilio) -> None:
    twilio.script(429, ("error", 21211))
    transport = TwilioTransport(base_config)
    errors = []
    for _ in range(2):
        with pytest.raises(SendError) as raised:
            transport.send(MESSAGE)
        errors.append(raised.value)
    assert errors[0].code in (429, 20429) and errors[0].transient and not errors[0].ambiguous
    assert errors[1].code == 21211 and not errors[1].transient
