"""What routing one message costs: the pure router over the 500 evaluation messages.

Why: routing runs for every inbound message in the worker, and it was most of a message's
CPU before the phrase index (``bot.vocabulary.PhraseIndex``). One thread, no I/O, CPU time.

    .venv/bin/python -m bench.routing --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bot.evaluation import load
from bot.models import Conversation, Inbound
from bot.router import route
from messages.render import page_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    messages = [Inbound(f"SM{case.line:032d}", case.number, "sms", case.text, received_at=1.0) for case in load()]
    route(messages[0], Conversation(), False, page_count)  # build the indexes outside the clock
    per_message = []
    for _ in range(args.rounds):
        started = time.process_time()
        for inbound in messages:
            route(inbound, Conversation(), False, page_count)
        per_message.append((time.process_time() - started) / len(messages) * 1e6)
    print(f"route(): {statistics.median(per_message):.0f} µs CPU a message, median of {args.rounds} rounds "
          f"(min {min(per_message):.0f}, max {max(per_message):.0f}) over the {len(messages)} evaluation messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
