"""Log privacy over the whole suite: no phone number and no message body in any log line.

``conftest.py`` runs every test with the root logger and twilio's loggers at DEBUG and keeps
each record as production writes it (``SESSION_LOG``: ScrubFilter, then JsonFormatter); the
``Twilio`` helper records every number and body the tests sent as people (``SENT``); each
worker subprocess keeps its log file. This module runs after every other test (conftest's
``pytest_collection_modifyitems``), so it checks what the whole run logged.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from redis import Redis

from bot.config import Config
from bot.logs import scrub
from messages.model import Channel
from tests.conftest import ROOT, SENT, SESSION_LOG, Twilio, WorkerProcess
from tests.fake_twilio import FakeTwilio
from workers.event_loop import EventLoopThread
from workers.transport import Outgoing, TwilioTransport

MIN_BODY_CHARS = 12  # shorter bodies ("hi", "RISKS") occur in ordinary words
MIN_DISTINCT_CHARS = 4  # "xxxxxxxxxxxxxxxx" or "0000000000000" identify no one

PROBE_NUMBERS = ("+14155557781", "+6834321")  # Niue: an E.164 number can have 7 digits
PROBE_BODY = "privacy probe: my MRI shows two new lesions"


def number_forms(number: str) -> set[str]:
    """How a number can appear: E.164, without +, whatsapp:+..., URL-encoded %2B..."""
    bare = number.lstrip("+")
    return {number, bare, f"whatsapp:{number}", f"%2B{bare}", f"%2b{bare}",
            quote(f"whatsapp:{number}", safe=""), json.dumps(number)[1:-1]}


def body_forms(body: str) -> set[str]:
    """A body as written raw, scrubbed (line breaks escaped), and either one inside JSON."""
    forms = {body, scrub(body)}
    return forms | {json.dumps(form, ensure_ascii=False)[1:-1] for form in forms}


def distinctive(body: str) -> bool:
    return len(body.strip()) > MIN_BODY_CHARS and len(set(body)) >= MIN_DISTINCT_CHARS


def worker_lines() -> list[tuple[str, str]]:
    """(file name, line) of every worker subprocess's log, without a line still being written."""
    lines: list[tuple[str, str]] = []
    for path in dict.fromkeys(SENT.worker_logs):
        if not Path(path).exists():
            continue
        text = Path(path).read_text(errors="replace")
        complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
        lines.extend((Path(path).name, line) for line in complete.split("\n") if line)
    return lines


def whole(needle: str) -> re.Pattern[str]:
    """The needle, not as a piece of a longer run of digits or of an id ("SM...16280000000...")."""
    before = r"(?<![0-9A-Za-z])" if needle[:1].isdigit() else ""
    after = r"(?![0-9])" if needle[-1:].isdigit() else ""
    return re.compile(before + re.escape(needle) + after)


Needle = tuple[str, str, str]  # (what it is, a part every form of it contains, one form)


def leaks(needles: list[Needle], sources: dict[str, list[str]]) -> list[str]:
    """'what leaked' in 'where', as readable findings (the needle is shown shortened)."""
    found: list[str] = []
    for where, lines in sources.items():
        text = "\n".join(lines)
        present: dict[str, bool] = {}
        for what, part, needle in needles:
            if part not in present:  # one scan per number, not one per form of it
                present[part] = part in text
            if not needle or not present[part] or needle not in text:  # fast tests first
                continue
            pattern = whole(needle)
            line = next((line for line in lines if pattern.search(line)), None)
            if line is not None:
                found.append(f"{what} {needle[:40]!r} in {where}: {line[:300]}")
    return found


def test_the_twilio_clients_debug_output_is_captured_and_scrubbed(
    base_config: Config, fake_twilio: FakeTwilio
) -> None:
    """Send and look up a message in process, as the worker does, so the check below sees the
    twilio client's own request logging (the Messages list puts the number in the query)."""
    before = len(SESSION_LOG.lines)
    loop = EventLoopThread("privacy-probe")
    transport = TwilioTransport(base_config)
    for number in PROBE_NUMBERS:
        SENT.record({"From": number, "Body": PROBE_BODY})  # as if the person had written it
        message = Outgoing(record_id="r-privacy-probe-0", address=number, channel=Channel.SMS,
                           body=PROBE_BODY, person="privacy-probe", namespace="msb")
        assert loop.run(transport.send(message)).startswith("SM")
        assert loop.run(transport.find_sent(message, time.time() - 60))
    loop.run(transport.close())
    loop.stop()
    logged = [json.loads(line) for line in SESSION_LOG.lines[before:]]
    twilio_lines = [entry["msg"] for entry in logged if entry["logger"] == "twilio.http_client"]
    assert any("Messages.json?" in line for line in twilio_lines), twilio_lines  # the list's query
    assert any(line.startswith("Query Params") for line in twilio_lines), twilio_lines


def test_a_reply_reconciled_after_a_lost_answer_logs_no_number(
    inbound: Twilio, twilio: FakeTwilio, redis: Redis, worker: WorkerProcess
) -> None:
    """After a dropped answer the worker looks the message up by number, in the URL's query."""
    twilio.script("accept_then_drop")
    assert inbound.send("RISKS", PROBE_NUMBERS[1]).status_code == 200
    deadline = time.monotonic() + 15
    statuses: set[bytes | None] = set()
    while time.monotonic() < deadline and statuses != {b"sent"}:
        time.sleep(0.1)
        statuses = {redis.hget(key, "status") for key in redis.scan_iter("msb:outbox:*")}
    assert statuses == {b"sent"}
    assert [r.outcome for r in twilio.requests] == ["accept_then_drop"]  # found, not resent


STRAY_OUTPUT = """
import multiprocessing, sys, warnings
from bot.logs import configure_logging
configure_logging("DEBUG", "json")
def crash():
    raise RuntimeError("cannot reach +14155557782\\nsecond line")
child = multiprocessing.Process(target=crash, name="Scheduler")
child.start()
child.join()
print("stray output about whatsapp:+14155557783", file=sys.stderr)
warnings.warn("a warning\\nin two lines")
sys.stderr.write("no line break at the end")
"""


def test_output_outside_logging_still_comes_out_as_scrubbed_json_lines() -> None:
    """What RQ's scheduler printed when Redis went away: a child's traceback, on stderr."""
    done = subprocess.run([sys.executable, "-c", STRAY_OUTPUT], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    messages = [entry["msg"] for entry in entries]
    assert "Process Scheduler:" in messages and "no line break at the end" in messages
    assert any(message.startswith("RuntimeError: cannot reach [number]") for message in messages)
    assert "14155557782" not in done.stderr and "14155557783" not in done.stderr


GUNICORN_FORMAT = """
import logging, os, sys
from bot.logs import configure_logging
configure_logging("INFO", "text")
arbiter = logging.getLogger("gunicorn.error")
arbiter.propagate = False
own = logging.StreamHandler(sys.stdout)
own.setFormatter(logging.Formatter("%(asctime)s [%(process)d] [%(levelname)s] %(message)s"))
arbiter.addHandler(own)
arbiter.info("Worker exiting (pid: %s)", os.getpid())
"""


def test_a_librarys_own_log_format_with_the_process_id_still_works() -> None:
    """gunicorn logs through its own handler, whose format shows the process id: what
    ``configure_logging`` switches off for speed must not break it (it printed a 'Logging
    error' traceback for every web worker stopping, at each Ctrl-C of ``make run``)."""
    done = subprocess.run([sys.executable, "-c", GUNICORN_FORMAT], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Logging error" not in done.stderr, done.stderr
    assert re.search(r"\[\d+\] \[INFO\] Worker exiting \(pid: \d+\)", done.stdout), done.stdout


def test_no_phone_number_or_message_body_in_any_log_of_the_run() -> None:
    assert SENT.numbers, "the Twilio helper recorded no sender: is conftest's recording wired?"
    assert SESSION_LOG.lines, "nothing was logged: is conftest's SESSION_LOG attached?"
    needles = [("number", number.lstrip("+"), form) for number in SENT.numbers for form in number_forms(number)]
    needles += [("body", form, form) for body in SENT.bodies if distinctive(body) for form in body_forms(body)]
    sources = {"the test process's log": SESSION_LOG.lines}
    for name, line in worker_lines():
        sources.setdefault(f"worker log {name}", []).append(line)
    found = leaks(needles, sources)
    assert not found, f"{len(found)} leak(s):\n" + "\n".join(found[:20])


def test_every_worker_log_line_is_one_json_object() -> None:
    """A value with CR/LF (or any line break) must never split a line of the worker's log."""
    bad = []
    for name, line in worker_lines():
        try:
            ok = isinstance(json.loads(line), dict)
        except ValueError:
            ok = False
        if not ok:
            bad.append(f"{name}: {line[:200]}")
    assert not bad, "\n".join(bad[:20])
