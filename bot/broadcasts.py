"""Staff broadcasts: drafting, previewing, confirming, pausing and cancelling.

The console and the ``flask broadcast`` commands both go through ``Broadcasts``, so the
browser and the terminal can do exactly the same things and leave the same audit trail.
Sending itself is the workers' job (``workers.broadcasting``); this module only moves a
broadcast between states: draft -> scheduled -> sending -> done, with paused and cancelled.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis import Redis
from rq import Queue

from bot import stored
from bot.config import Config
from bot.keys import ACTIVE_BROADCASTS, AUDIT_LOG, BROADCAST_QUEUE, BROADCASTS, REAL, Keys
from bot.keys import broadcast as broadcast_key
from bot.subscriptions import audience
from messages.languages import LANGUAGES
from messages.model import Channel, Reply
from messages.render import render
from messages.segments import count_segments
from messages.topics import TOPICS

DRAFT, SCHEDULED, SENDING, PAUSED, DONE, CANCELLED = (
    "draft", "scheduled", "sending", "paused", "done", "cancelled")
OPEN = frozenset({SCHEDULED, SENDING, PAUSED})
MAX_TEXT_CHARS = 1200
FAN_OUT_JOB = "workers.jobs.fan_out"
AUDIT_KEEP = 10_000
COUNTS = ("total", "sent", "delivered", "failed", "undelivered", "skipped")


# KEYS: broadcast, active set. ARGV: expected status, new status, id, open?, field/value pairs.
_MOVE = """
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], unpack(ARGV, 5))
if ARGV[4] == '1' then redis.call('SADD', KEYS[2], ARGV[3]) else redis.call('SREM', KEYS[2], ARGV[3]) end
return 1
"""


class BroadcastError(ValueError):
    """A request the staff member can fix: said in words fit for the console."""


@dataclass(frozen=True)
class Draft:
    """What staff wrote: a text per language (English required) or one topic."""

    texts: dict[str, str] = field(default_factory=dict)
    topic: str | None = None
    pace_per_hour: int | None = None
    scheduled_for: float | None = None

    def problems(self, now: float) -> list[str]:
        """Everything wrong with the draft, all at once (not one error per submit)."""
        found: list[str] = []
        texts = {lang: text.strip() for lang, text in self.texts.items() if text.strip()}
        if bool(texts) == bool(self.topic):
            found.append("Write a text (English at least) or choose a topic, not both.")
        if texts and "en" not in texts:
            found.append("The English text is required: it goes to languages without their own.")
        for lang, text in texts.items():
            if lang not in LANGUAGES:
                found.append(f"Unknown language {lang!r}.")
            elif len(text) > MAX_TEXT_CHARS:
                found.append(f"The {LANGUAGES[lang]} text is {len(text)} characters; at most {MAX_TEXT_CHARS}.")
        if self.topic and self.topic not in TOPICS:
            found.append(f"Unknown topic {self.topic!r}.")
        if self.pace_per_hour is not None and self.pace_per_hour < 1:
            found.append("The pace must be at least 1 message an hour.")
        if self.scheduled_for is not None and self.scheduled_for < now - 60:
            found.append("The scheduled time is in the past.")
        return found

    def content_for(self, language: str) -> tuple[Reply, str, dict[str, str]]:
        """(reply, locale, params) for a subscriber: their language's text, else English."""
        if self.topic:
            return Reply.topic_page(self.topic, 1), language, {}
        text = self.texts.get(language, "").strip()
        if text:
            return Reply.broadcast(), language, {"text": text}
        return Reply.broadcast(), "en", {"text": self.texts["en"].strip()}

    def to_fields(self) -> dict[str, str]:
        return {
            "texts": json.dumps({k: v.strip() for k, v in self.texts.items() if v.strip()}),
            "topic": self.topic or "",
            "pace_per_hour": str(self.pace_per_hour or ""),
            "scheduled_for": f"{self.scheduled_for:.0f}" if self.scheduled_for else "",
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Draft:
        return cls(
            texts=json.loads(fields.get("texts") or "{}"),
            topic=fields.get("topic") or None,
            pace_per_hour=int(fields["pace_per_hour"]) if fields.get("pace_per_hour") else None,
            scheduled_for=float(fields["scheduled_for"]) if fields.get("scheduled_for") else None,
        )


@dataclass(frozen=True)
class LanguagePreview:
    language: str
    name: str
    own_text: bool  # False: the English text goes to this language's subscribers
    sms_text: str
    segments: int
    encoding: str
    whatsapp_text: str
    sms_recipients: int
    whatsapp_recipients: int


@dataclass(frozen=True)
class Preview:
    languages: tuple[LanguagePreview, ...]
    recipients: int
    total_segments: int
    estimated_cost: float
    estimated_seconds: float
    rate_per_second: float


def preview(draft: Draft, redis: Redis, config: Config) -> Preview:
    """What each language's subscribers would receive, and how long and how much it costs."""
    counts = audience(redis, Keys(REAL))
    rows: list[LanguagePreview] = []
    for language, name in LANGUAGES.items():
        reply, locale, params = draft.content_for(language)
        sms = render(reply, locale, Channel.SMS, params).text
        segments = count_segments(sms)
        rows.append(LanguagePreview(
            language=language, name=name, own_text=bool(draft.topic) or locale == language,
            sms_text=sms, segments=segments.segments, encoding=segments.encoding,
            whatsapp_text=render(reply, locale, Channel.WHATSAPP, params).text,
            sms_recipients=counts.get((Channel.SMS, language), 0),
            whatsapp_recipients=counts.get((Channel.WHATSAPP, language), 0),
        ))
    recipients = sum(row.sms_recipients + row.whatsapp_recipients for row in rows)
    total_segments = sum(row.sms_recipients * row.segments for row in rows)
    rate = config.send_rate_per_second
    if draft.pace_per_hour:
        rate = min(rate, draft.pace_per_hour / 3600)
    return Preview(
        languages=tuple(rows), recipients=recipients, total_segments=total_segments,
        estimated_cost=round(total_segments * config.sms_price_per_segment, 2),
        estimated_seconds=math.ceil(recipients / rate) if recipients else 0,
        rate_per_second=rate,
    )


@dataclass(frozen=True)
class Broadcast:
    """A broadcast as stored, with its counts."""

    id: str
    status: str
    draft: Draft
    created_by: str
    created_at: float
    counts: dict[str, int]
    fields: dict[str, str]

    @property
    def progress(self) -> float:
        """Share of the recipients whose message is settled (sent, failed or skipped)."""
        total = self.counts.get("total", 0)
        if not total:
            return 1.0 if self.status == DONE else 0.0
        settled = self.counts.get("sent", 0) + self.counts.get("failed", 0) + self.counts.get("skipped", 0)
        return min(1.0, settled / total)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "status": self.status, "created_by": self.created_by,
                "created_at": self.created_at, "counts": self.counts, "progress": round(self.progress, 4),
                "topic": self.draft.topic, "languages": sorted(self.draft.texts),
                "pace_per_hour": self.draft.pace_per_hour, "scheduled_for": self.draft.scheduled_for,
                "fan_out_done": self.fields.get("fanout_done") == "1"}


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


class Broadcasts:
    """Every state change of a broadcast, each written to the audit log with who did it."""

    def __init__(self, redis: Redis, config: Config) -> None:
        self.redis = redis
        self.config = config
        self.queue = Queue(BROADCAST_QUEUE, connection=redis)
        self._move = redis.register_script(_MOVE)

    def audit(self, who: str, action: str, target: str = "", detail: str = "") -> None:
        entry = json.dumps({"at": time.time(), "who": who, "action": action, "target": target,
                            "detail": detail})
        with self.redis.pipeline() as pipe:
            pipe.lpush(AUDIT_LOG, entry)
            pipe.ltrim(AUDIT_LOG, 0, AUDIT_KEEP - 1)
            pipe.execute()

    def audit_log(self, limit: int = 200) -> list[dict[str, object]]:
        return [json.loads(raw) for raw in self.redis.lrange(AUDIT_LOG, 0, limit - 1)]

    def create(self, draft: Draft, who: str) -> Broadcast:
        now = time.time()
        problems = draft.problems(now)
        if problems:
            raise BroadcastError(" ".join(problems))
        broadcast_id = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)
        fields: dict[str, str] = {"id": broadcast_id, "status": DRAFT, "created_by": who,
                                  "created_at": f"{now:.3f}", **draft.to_fields(), **dict.fromkeys(COUNTS, "0")}
        with self.redis.pipeline() as pipe:
            pipe.hset(broadcast_key(broadcast_id), mapping=fields)  # type: ignore[arg-type]
            pipe.zadd(BROADCASTS, {broadcast_id: now})
            pipe.execute()
        self.audit(who, "create", broadcast_id, "topic " + draft.topic if draft.topic
                   else "texts in " + ", ".join(sorted(draft.texts)))
        found = self.get(broadcast_id)
        assert found is not None
        return found

    def get(self, broadcast_id: str) -> Broadcast | None:
        raw = self.redis.hgetall(broadcast_key(broadcast_id))
        if not raw or b"status" not in raw:
            return None
        fields = stored.texts(raw)
        return Broadcast(
            id=broadcast_id, status=fields["status"], draft=Draft.from_fields(fields),
            created_by=fields.get("created_by", ""), created_at=float(fields.get("created_at") or 0),
            counts={name: int(fields.get(name) or 0) for name in COUNTS}, fields=fields,
        )

    def recent(self, limit: int = 50) -> list[Broadcast]:
        ids = [stored.text(raw) for raw in self.redis.zrevrange(BROADCASTS, 0, limit - 1)]
        return [found for found in (self.get(i) for i in ids) if found is not None]

    def _require(self, broadcast_id: str, allowed: frozenset[str] | set[str]) -> Broadcast:
        found = self.get(broadcast_id)
        if found is None:
            raise BroadcastError(f"No broadcast {broadcast_id!r}.")
        if found.status not in allowed:
            raise BroadcastError(f"Broadcast {broadcast_id} is {found.status}; that cannot be done now.")
        return found

    def move(self, broadcast_id: str, expected: str, new: str, **extra: str) -> bool:
        """Compare-and-set of the status, so two staff members (or workers) acting at once
        cannot both win; a script, not WATCH: the counts in the same hash change many times
        a second while sending."""
        flat = [item for pair in extra.items() for item in pair]
        return bool(self._move(keys=[broadcast_key(broadcast_id), ACTIVE_BROADCASTS],
                               args=[expected, new, broadcast_id, "1" if new in OPEN else "0", *flat]))

    def _set_status(self, broadcast_id: str, expected: str, new: str, **extra: str) -> None:
        if not self.move(broadcast_id, expected, new, **extra):
            raise BroadcastError(f"Broadcast {broadcast_id} changed meanwhile; reload and try again.")

    def send(self, broadcast_id: str, who: str, at: float | None = None) -> Broadcast:
        """Confirm a draft: send now, or at ``at`` (the draft's own schedule if it has one)."""
        found = self._require(broadcast_id, {DRAFT})
        when = at if at is not None else found.draft.scheduled_for
        now = time.time()
        if when is not None and when > now + 1:
            self._set_status(broadcast_id, DRAFT, SCHEDULED, scheduled_for=f"{when:.0f}")
            self.audit(who, "schedule", broadcast_id, _when(when))
        else:
            self._set_status(broadcast_id, DRAFT, SENDING, started_at=f"{now:.3f}")
            self.start_fan_out(broadcast_id)
            self.audit(who, "send", broadcast_id)
        return self.get(broadcast_id)  # type: ignore[return-value]

    def start_fan_out(self, broadcast_id: str) -> None:
        key = broadcast_key(broadcast_id)
        self.redis.hset(key, "fanout_lease", f"{time.time() + 60:.3f}")
        attempt = self.redis.hincrby(key, "fanout_attempts", 1)
        self.queue.enqueue_call(FAN_OUT_JOB, args=(broadcast_id,), job_id=f"fo-{broadcast_id}-{attempt}",
                                result_ttl=3600, failure_ttl=7 * 86400)

    def pause(self, broadcast_id: str, who: str) -> Broadcast:
        self._require(broadcast_id, {SENDING})
        self._set_status(broadcast_id, SENDING, PAUSED)
        self.audit(who, "pause", broadcast_id)
        return self.get(broadcast_id)  # type: ignore[return-value]

    def resume(self, broadcast_id: str, who: str) -> Broadcast:
        self._require(broadcast_id, {PAUSED})
        self._set_status(broadcast_id, PAUSED, SENDING)
        self.audit(who, "resume", broadcast_id)
        return self.get(broadcast_id)  # type: ignore[return-value]

    def cancel(self, broadcast_id: str, who: str) -> Broadcast:
        """Stop for good: messages not yet sent are skipped; sent ones cannot be recalled."""
        found = self._require(broadcast_id, {DRAFT, SCHEDULED, SENDING, PAUSED})
        self._set_status(broadcast_id, found.status, CANCELLED, finished_at=f"{time.time():.3f}")
        self.audit(who, "cancel", broadcast_id)
        return self.get(broadcast_id)  # type: ignore[return-value]
