"""The dashboard's numbers and its charts, drawn as SVG on the server.

Charts are plain shapes computed here and written by the template: no chart library, no
script and no inline style, so the console's strict Content-Security-Policy holds and the
page reads the same with JavaScript off. Colours come from the console's stylesheet.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from redis import Redis

from bot.keys import REAL, Keys, daily_stats
from bot.subscriptions import audience
from messages.languages import LANGUAGES
from messages.topics import TOPICS

DAYS = 14
CHANNEL_NAMES = {"sms": "SMS", "whatsapp": "WhatsApp"}


@dataclass(frozen=True)
class Day:
    day: date
    inbound: int
    opt_outs: int
    fields: dict[str, int]


def load_days(redis: Redis, today: date, days: int = DAYS) -> list[Day]:
    """The last ``days`` days' counters, oldest first (missing days count zero)."""
    dates = [today - timedelta(days=offset) for offset in reversed(range(days))]
    with redis.pipeline() as pipe:
        for moment in dates:
            pipe.hgetall(daily_stats("d" + moment.strftime("%Y%m%d")))
        answers = pipe.execute()
    out = []
    for moment, raw in zip(dates, answers, strict=True):
        fields = {k.decode(): int(v) for k, v in raw.items()}
        out.append(Day(moment, fields.get("inbound", 0), fields.get("opt_outs", 0), fields))
    return out


def totals(days: list[Day], prefix: str) -> list[tuple[str, int]]:
    """Sums over the days of every ``prefix:<name>`` field, largest first."""
    counts: Counter[str] = Counter()
    for day in days:
        for name, value in day.fields.items():
            if name.startswith(prefix):
                counts[name[len(prefix):]] += value
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def topic_label(intent: str) -> str:
    topic = TOPICS.get(intent)
    return topic.title if topic else f"({intent.replace('_', ' ')})"


def language_label(code: str) -> str:
    return f"{LANGUAGES[code]} ({code})" if code in LANGUAGES else code


def nice_ceiling(value: int) -> int:
    """The axis top: the next 1, 2 or 5 times a power of ten at or above ``value``."""
    value = max(value, 1)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    kind: str  # CSS class: "bar" or "bar alt"
    tip: str  # the <title> a pointer shows


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    rects: tuple[Rect, ...]
    labels: tuple[Label, ...]
    grid: tuple[float, ...]  # y (or x) of gridlines
    horizontal: bool
    rows: tuple[tuple[str, int], ...]  # the same numbers, for the table beside the chart
    empty: bool


def daily_chart(days: list[Day]) -> Chart:
    """Inbound messages per day, with the day's opt-outs beside each bar."""
    width, height, left, right, top, bottom = 1000, 230, 40, 8, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_ceiling(max((d.inbound for d in days), default=0))
    slot = plot_w / max(len(days), 1)
    rects: list[Rect] = []
    labels: list[Label] = []
    for index, day in enumerate(days):
        x = left + index * slot
        stamp = day.day.strftime("%d %b")
        for value, offset, share, kind, what in ((day.inbound, 0.12, 0.5, "bar", "messages in"),
                                                  (day.opt_outs, 0.64, 0.22, "bar alt", "opt-outs")):
            bar_h = plot_h * value / top_value
            rects.append(Rect(round(x + slot * offset, 1), round(top + plot_h - bar_h, 1),
                              round(slot * share, 1), round(bar_h, 1), kind, f"{stamp}: {value} {what}"))
        labels.append(Label(round(x + slot / 2, 1), height - bottom + 16, stamp, "middle"))
    grid = tuple(round(top + plot_h * (1 - part), 1) for part in (0.0, 0.5, 1.0))
    for part, y in zip((0.0, 0.5, 1.0), grid, strict=True):
        labels.append(Label(left - 6, y + 4, f"{top_value * part:g}", "end"))
    return Chart("Messages in per day, and opt-outs", width, height, tuple(rects), tuple(labels), grid,
                 False, tuple((d.day.isoformat(), d.inbound) for d in days),
                 not any(d.inbound or d.opt_outs for d in days))


def bar_chart(title: str, rows: list[tuple[str, int]], limit: int = 12) -> Chart:
    """Horizontal bars, one per row (label, value), largest first."""
    rows = rows[:limit]
    label_w, bar_w, value_w, row_h, top = 170, 260, 56, 24, 6
    width = label_w + bar_w + value_w
    height = top * 2 + row_h * max(len(rows), 1)
    top_value = max((value for _, value in rows), default=0) or 1
    rects, labels = [], []
    for index, (name, value) in enumerate(rows):
        y = top + index * row_h
        length = bar_w * value / top_value
        rects.append(Rect(label_w, y + 4, round(max(length, 1.5), 1), row_h - 8, "bar", f"{name}: {value}"))
        labels.append(Label(label_w - 8, y + row_h / 2 + 4, name, "end"))
        labels.append(Label(round(label_w + length + 6, 1), y + row_h / 2 + 4, str(value)))
    return Chart(title, width, height, tuple(rects), tuple(labels), (), True, tuple(rows), not rows)


@dataclass(frozen=True)
class Dashboard:
    days: list[Day]
    charts: list[Chart]
    inbound: int
    opt_outs: int
    subscribers: int


def build(redis: Redis, today: date) -> Dashboard:
    days = load_days(redis, today)
    topics = [(topic_label(name), value) for name, value in totals(days, "intent:")]
    languages = [(language_label(code), value) for code, value in totals(days, "language:")]
    channels = [(CHANNEL_NAMES.get(name, name), value) for name, value in totals(days, "channel:")]
    subscribed = audience(redis, Keys(REAL))
    by_list: Counter[str] = Counter()
    for (channel, language), count in subscribed.items():
        by_list[f"{language_label(language)} · {CHANNEL_NAMES.get(channel, channel)}"] += count
    return Dashboard(
        days=days,
        charts=[
            daily_chart(days),
            bar_chart("By topic (or what else people asked)", topics),
            bar_chart("By language", languages),
            bar_chart("By channel", channels),
            bar_chart("Subscribers now, by language and channel", by_list.most_common()),
        ],
        inbound=sum(d.inbound for d in days),
        opt_outs=sum(d.opt_outs for d in days),
        subscribers=sum(subscribed.values()),
    )
