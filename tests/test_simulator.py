"""The simulator API: same intake, router and worker, local outbox, kept apart from real state."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from redis import Redis

from bot import create_app
from bot.config import Config
from messages.model import Reply
from messages.render import render
from tests.conftest import WorkerProcess, config_env
from tests.fake_twilio import FakeTwilio


def local(config: Config):
    return create_app(config.with_overrides(twilio_account_sid="", twilio_auth_token=""))


def test_the_simulator_answers_risks_within_a_second(
    config: Config, redis: Redis, twilio: FakeTwilio, worker: WorkerProcess
) -> None:
    client = local(config).test_client()
    started = time.monotonic()
    response = client.post("/simulator/api/messages",
                           json={"from": "+14155550123", "body": "RISKS", "channel": "sms"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.data
    data = response.get_json()
    assert data["topic"] == "risks"
    assert data["language"] == "en"
    [reply] = data["replies"]
    assert reply["body"] == render(Reply.topic_page("risks"), "en", "sms").text
    assert reply["encoding"] == "GSM-7"
    assert reply["segments"] <= 2
    assert elapsed < 1.0
    assert twilio.messages == []  # simulated conversations never reach Twilio


def test_simulated_state_is_kept_apart_from_real_state(
    config: Config, redis: Redis, worker: WorkerProcess
) -> None:
    client = local(config).test_client()
    client.post("/simulator/api/messages", json={"from": "+14155550123", "body": "STOP"})
    assert list(redis.scan_iter("msb:optout:*")) == []
    assert len(list(redis.scan_iter("msb:sim:optout:*"))) == 1
    reply = client.post("/simulator/api/messages", json={"from": "+14155550123", "body": "START"})
    assert reply.get_json()["intent"] == "start"


def test_the_simulator_reports_control_intents(config: Config, redis: Redis,
                                               worker: WorkerProcess) -> None:
    client = local(config).test_client()
    data = client.post("/simulator/api/messages", json={"from": "+14155550123", "body": "menu"})
    assert data.get_json()["topic"] == "menu"


def test_the_simulator_rejects_bad_input_clearly(config: Config, redis: Redis) -> None:
    client = local(config).test_client()
    for payload in ({"from": "bob", "body": "hi"}, {"from": "+14155550123"},
                    {"from": "+14155550123", "body": "hi", "channel": "fax"}, ["x"]):
        response = client.post("/simulator/api/messages", json=payload)
        assert response.status_code == 400
        assert response.get_json()["error"]


def test_the_simulator_is_off_when_twilio_credentials_are_set(client) -> None:
    response = client.post("/simulator/api/messages", json={"from": "+14155550123", "body": "hi"})
    assert response.status_code == 404


FIRST_USE = """
import json, sys
from bot import create_app
from bot.config import Config
app = create_app(Config.from_env().with_overrides(twilio_account_sid="", twilio_auth_token=""))
loaded_at_start = "lingua" in sys.modules
answer = app.test_client().post("/simulator/api/messages", json={
    "from": "+14155550999", "channel": "sms",
    "body": "Buenos días, quisiera hacerles una pregunta sobre mi hermana"})
print(json.dumps({"loaded_at_start": loaded_at_start, "status": answer.status_code,
                  "language": (answer.get_json(silent=True) or {}).get("language"),
                  "loaded_after": "lingua" in sys.modules}))
"""


def test_a_web_process_loads_the_language_models_only_when_the_simulator_needs_them(
    config: Config, redis: Redis, worker: WorkerProcess
) -> None:
    """Real messages are routed by the workers; in a web process only the simulator detects
    languages, so the models (16 MiB a process here) wait for its first message. A US number
writing Spanish: only the text can tell the language."""
    found = subprocess.run([sys.executable, "-c", FIRST_USE], env=config_env(config),
                           capture_output=True, text=True, timeout=60, check=False)
    assert found.returncode == 0, found.stderr[-600:]
    result = json.loads(found.stdout.strip().splitlines()[-1])
    assert result == {"loaded_at_start": False, "status": 200, "language": "es", "loaded_after": True}
