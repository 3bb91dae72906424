"""How well the router understands people: an evaluation set, scored per language and intent.

``tests/data/evaluation.tsv`` holds messages as people type them (typos, free questions, STOP
variants, emergencies, off-topic text, in the ten languages), each with the intent and reply
language a careful person would expect for a first message from someone new. Every row goes
through ``bot.router.route`` with a fresh conversation, not opted out, the app's own language
detector and the real page counts; a row is right when both the intent and the language are.

    python -m bot.evaluation [path]      # tables per language and per intent, then the misses
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.language import Detector

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "tests" / "data" / "evaluation.tsv"
COLUMNS = ("language", "intent", "from", "text")


@dataclass(frozen=True)
class Case:
    """One row of the evaluation set; ``line`` is its line number in the file."""

    line: int
    language: str
    intent: str
    number: str
    text: str


@dataclass(frozen=True)
class Outcome:
    """What the router made of one case."""

    case: Case
    intent: str
    language: str

    @property
    def intent_ok(self) -> bool:
        return self.intent == self.case.intent

    @property
    def language_ok(self) -> bool:
        return self.language == self.case.language

    @property
    def correct(self) -> bool:
        return self.intent_ok and self.language_ok


def parse(lines: Iterable[str]) -> list[Case]:
    """Rows of a tab-separated set: a header line first, ``#`` comments and blank lines skipped."""
    cases: list[Case] = []
    header: tuple[str, ...] | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = tuple(line.split("\t"))
        if header is None:
            if fields != COLUMNS:
                raise ValueError(f"line {number}: header must be {'<TAB>'.join(COLUMNS)}, not {line!r}")
            header = fields
            continue
        if len(fields) != len(COLUMNS) or not all(field.strip() for field in fields[:3]):
            raise ValueError(f"line {number}: expected {len(COLUMNS)} tab-separated fields: {line!r}")
        language, intent, sender, text = fields
        cases.append(Case(number, language.strip(), intent.strip(), sender.strip(), text))
    if header is None:
        raise ValueError("no header line")
    return cases


def load(path: Path | str = DEFAULT_PATH) -> list[Case]:
    """The cases of an evaluation file (UTF-8)."""
    with Path(path).open(encoding="utf-8") as handle:
        return parse(handle)


def evaluate(
    cases: Iterable[Case],
    detect: Detector | None = None,
    pages: Callable[[str, str, str], int] | None = None,
) -> list[Outcome]:
    """Route every case as the first message of a new person; the app's detector by default."""
    from bot.models import Conversation, Inbound
    from bot.router import route
    from messages.model import Channel

    if detect is None:
        from bot.services import shared_detector

        detect = shared_detector()
    if pages is None:
        from messages.render import page_count

        pages = page_count
    outcomes = []
    for case in cases:
        inbound = Inbound(f"SMevaluation{case.line:020d}", case.number, Channel.SMS, case.text)
        decision = route(inbound, Conversation(), False, pages, detect)
        outcomes.append(Outcome(case, decision.intent, decision.language))
    return outcomes


@dataclass(frozen=True)
class Score:
    n: int
    correct: int
    intent_ok: int
    language_ok: int

    @staticmethod
    def of(outcomes: Iterable[Outcome]) -> Score:
        rows = list(outcomes)
        return Score(len(rows), sum(o.correct for o in rows), sum(o.intent_ok for o in rows),
                     sum(o.language_ok for o in rows))

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


def by(outcomes: list[Outcome], key: Callable[[Outcome], str]) -> dict[str, Score]:
    """Scores grouped by ``key`` (the expected language, the expected intent...)."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(key(outcome), []).append(outcome)
    return {name: Score.of(rows) for name, rows in sorted(groups.items())}


def recall(outcomes: list[Outcome], intent: str) -> tuple[int, int]:
    """(rows expected ``intent`` and routed to it, rows expected ``intent``)."""
    expected = [o for o in outcomes if o.case.intent == intent]
    return sum(o.intent == intent for o in expected), len(expected)


def false_alarms(outcomes: list[Outcome], intent: str) -> list[Outcome]:
    """Rows routed to ``intent`` that were expected to be something else."""
    return [o for o in outcomes if o.intent == intent and o.case.intent != intent]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def _table(title: str, scores: dict[str, Score]) -> list[str]:
    lines = [title, f"  {'':<13}{'n':>5}{'correct':>9}{'accuracy':>10}{'intent':>9}{'language':>10}"]
    for name, score in scores.items():
        lines.append(f"  {name:<13}{score.n:>5}{score.correct:>9}{_percent(score.correct, score.n):>10}"
                     f"{_percent(score.intent_ok, score.n):>9}{_percent(score.language_ok, score.n):>10}")
    return lines


def report(outcomes: list[Outcome]) -> str:
    """The tables, the safety figures and the misses, as printed by ``python -m bot.evaluation``."""
    total = Score.of(outcomes)
    lines = _table("By expected language", by(outcomes, lambda o: o.case.language))
    lines += ["", *_table("By expected intent", by(outcomes, lambda o: o.case.intent))]
    lines += ["", *_table("Overall", {"all": total})]
    lines += ["", "Safety (intent only)"]
    for intent in ("stop", "emergency"):
        hit, expected = recall(outcomes, intent)
        wrong = len(false_alarms(outcomes, intent))
        lines.append(f"  {intent:<10} recall {hit}/{expected} ({_percent(hit, expected).strip()}),"
                     f" routed there by mistake: {wrong}")
    misses = [o for o in outcomes if not o.correct]
    lines += ["", f"Misses: {len(misses)}"]
    for o in misses:
        wanted, got = f"{o.case.intent}/{o.case.language}", f"{o.intent}/{o.language}"
        lines.append(f"  line {o.case.line:>4}  expected {wanted:<18} got {got:<18} {o.case.number:<15} {o.case.text}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in {"-h", "--help"}):
        print("usage: python -m bot.evaluation [path to a .tsv evaluation set]", file=sys.stderr)
        return 2
    path = Path(args[0]) if args else DEFAULT_PATH
    try:
        cases = load(path)
    except (OSError, ValueError) as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 2
    print(f"{path}: {len(cases)} messages")
    print(report(evaluate(cases)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
