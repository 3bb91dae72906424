"""Where a broadcast worker's CPU goes: a summary of py-spy's collapsed stacks.

Why a summary and not a flame graph: the question for issue #10 is which of a handful of
suspects (the ``twilio`` client, Redis round trips per send, rendering, logging, the token
bucket, fan-out) costs what share, and a table of shares can be recorded in BENCHMARKS.md
next to the rates it explains. Stacks come from ``bench.broadcast_drain --py-spy``.

Each sample is charged to its innermost project frame (``workers/``, ``bot/``, ``messages/``)
and to the library that frame was calling into (the next frame's top-level package), so
``Deliverer.deliver -> twilio`` is the client's whole cost, HTTP included.

    .venv/bin/python -m bench.profile_drain var/bench/drain/1000-1/py-spy-worker-*.txt
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+(?:\.py)?|<[^>]+>):?(?P<line>\d*)\)$")
PROJECT = ("workers/", "bot/", "messages/")


def parse(line: str) -> tuple[list[tuple[str, str]], int]:
    """(frames root→leaf as (function, file), sample count) of one collapsed line."""
    stack, _, count = line.rstrip("\n").rpartition(" ")
    frames = []
    for raw in stack.split(";"):
        match = _FRAME.match(raw)
        frames.append((match["func"], match["file"]) if match else (raw, ""))
    return frames, int(count)


def package(file: str) -> str:
    """Top-level package of a frame's file ('redis', 'twilio', 'threading', ...)."""
    if file.startswith("<"):
        return "builtins"
    name = file.split("/", 1)[0]
    return name.removesuffix(".py")


def summarize(paths: list[Path], top: int) -> str:
    by_site: Counter[str] = Counter()
    by_library: Counter[str] = Counter()
    by_self: Counter[str] = Counter()
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            frames, count = parse(line)
            total += count
            leaf_func, leaf_file = frames[-1]
            by_self[f"{leaf_func} ({leaf_file})"] += count
            by_library[package(leaf_file)] += count
            inner = max((i for i, (_, f) in enumerate(frames) if f.startswith(PROJECT)), default=None)
            if inner is None:
                site = f"(no project frame) {package(leaf_file)}"
            else:
                func, file = frames[inner]
                callee = package(frames[inner + 1][1]) if inner + 1 < len(frames) else "own code"
                site = f"{func} ({file}) → {callee}"
            by_site[site] += count

    def table(title: str, counts: Counter[str]) -> list[str]:
        rows = [f"| {title} | samples | share |", "|---|---:|---:|"]
        for name, n in counts.most_common(top):
            rows.append(f"| {name} | {n} | {100 * n / total:.1f}% |")
        return rows

    lines = [f"{total} samples from {len(paths)} file(s)", "",
             *table("innermost project frame → library it was in", by_site), "",
             *table("library of the leaf frame (where the CPU actually was)", by_library), "",
             *table("leaf function (self time)", by_self)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    print(summarize(args.files, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
