"""The editor's view: every topic, page by page, with its size, cost and the evidence of
each sentence, so an editor can review the whole content in one screen.

``python -m messages.report [--language es] [--today YYYY-MM-DD]`` or ``flask content report``.
Topics past their review date are flagged OVERDUE.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from messages.model import Channel, Evidence, Topic
from messages.render import topic_pages
from messages.segments import count_segments
from messages.topics import TOPICS


def overdue_topics(today: date) -> list[Topic]:
    """Topics whose review date has passed (also shown in the staff console)."""
    return [topic for topic in TOPICS.values() if topic.is_overdue(today)]


def _evidence(evidence: Evidence) -> str:
    if evidence.ref and not evidence.seed:
        return f"ref:{evidence.ref}"
    quote = f'seed {evidence.seed}: "{evidence.passage}"'
    return f"{quote} + ref:{evidence.ref}" if evidence.ref else quote


def report(language: str = "en", today: date | None = None) -> str:
    today = today or date.today()
    lines: list[str] = []
    for topic in TOPICS.values():
        flag = "  ** OVERDUE for review **" if topic.is_overdue(today) else ""
        lines.append(f"== {topic.id.upper()} \"{topic.title}\"  reviewed {topic.reviewed}, "
                     f"due {topic.review_due}{flag}")
        pages, used = topic_pages(topic.id, language, Channel.SMS)
        for number, page in enumerate(pages, 1):
            count = count_segments(page)
            forced = f", UCS-2 forced by {count.forced_by!r}" if count.forced_by else ""
            lines.append(f"  page {number}/{len(pages)} [{used}]: {len(page)} chars, "
                         f"{count.segments} SMS segment(s), {count.encoding}{forced}")
        for index, sentence in enumerate(topic.sentences, 1):
            lines.append(f"  {index:>2}. {sentence.text}")
            for evidence in sentence.evidence:
                lines.append(f"        <- {_evidence(evidence)}")
        lines.append("")
    late = overdue_topics(today)
    lines.append(f"{len(TOPICS)} topics, {sum(len(t.sentences) for t in TOPICS.values())} sentences, "
                 f"{len(late)} overdue for review" + (f": {', '.join(t.id for t in late)}" if late else ""))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--language", default="en")
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    print(report(args.language, args.today))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
