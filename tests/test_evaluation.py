"""The router against the evaluation set (tests/data/evaluation.tsv): accuracy, and safety."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.evaluation import DEFAULT_PATH, Case, Outcome, Score, evaluate, false_alarms, load, parse, recall
from bot.language import no_detector
from bot.router import MENU_ORDER
from messages.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
CONTROL_INTENTS = {"menu", "help", "more", "language", "subscribe", "stop", "start", "emergency",
                   "unknown", "out_of_scope", "media"}
OVERALL_MINIMUM = 0.95


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load(DEFAULT_PATH)


@pytest.fixture(scope="module")
def outcomes(cases: list[Case]) -> list[Outcome]:
    return evaluate(cases)


def _misses(rows: list[Outcome]) -> list[str]:
    return [f"line {o.case.line}: {o.case.text!r} expected {o.case.intent}/{o.case.language}, "
            f"got {o.intent}/{o.language}" for o in rows]


def test_the_set_is_large_and_covers_every_language(cases: list[Case]) -> None:
    assert len(cases) >= 300
    per_language = Counter(case.language for case in cases)
    assert set(per_language) == set(LANGUAGES)
    assert {code: n for code, n in per_language.items() if n < 25} == {}
    for intent, minimum in (("stop", 5), ("emergency", 4)):
        found = Counter(case.language for case in cases if case.intent == intent)
        assert {code: found[code] for code in LANGUAGES if found[code] < minimum} == {}, intent


def test_every_row_names_a_known_intent_and_a_plausible_sender(cases: list[Case]) -> None:
    known = CONTROL_INTENTS | set(MENU_ORDER)
    assert [c.line for c in cases if c.intent not in known] == []
    assert [c.line for c in cases if not (c.number.startswith("+") and c.number[1:].isdigit())] == []
    assert [c.line for c in cases if not c.text.strip()] == []


def test_overall_accuracy_is_at_least_95_percent(outcomes: list[Outcome]) -> None:
    score = Score.of(outcomes)
    misses = _misses([o for o in outcomes if not o.correct])
    assert score.accuracy >= OVERALL_MINIMUM, f"{score.correct}/{score.n}:\n" + "\n".join(misses)


@pytest.mark.parametrize("intent", ["stop", "emergency"])
def test_every_stop_and_emergency_is_recognised(outcomes: list[Outcome], intent: str) -> None:
    hit, expected = recall(outcomes, intent)
    missed = [o for o in outcomes if o.case.intent == intent and o.intent != intent]
    assert hit == expected, "\n".join(_misses(missed))


@pytest.mark.parametrize("intent", ["stop", "emergency"])
def test_nothing_else_is_taken_for_stop_or_emergency(outcomes: list[Outcome], intent: str) -> None:
    assert _misses(false_alarms(outcomes, intent)) == []


def test_a_row_is_right_only_when_both_intent_and_language_are() -> None:
    case = Case(1, "es", "risks", "+14155550123", "riesgos")
    right = evaluate([case], detect=no_detector, pages=lambda *_: 1)
    assert [o.correct for o in right] == [True]
    wrong_language = evaluate([Case(1, "fr", "risks", "+14155550123", "riesgos")], no_detector, lambda *_: 1)
    wrong_intent = evaluate([Case(1, "es", "trials", "+14155550123", "riesgos")], no_detector, lambda *_: 1)
    assert (wrong_language[0].intent_ok, wrong_language[0].language_ok) == (True, False)
    assert (wrong_intent[0].intent_ok, wrong_intent[0].language_ok) == (False, True)
    assert Score.of([*right, *wrong_language, *wrong_intent]).correct == 1


def test_stop_misses_and_false_alarms_are_counted() -> None:
    rows = evaluate([Case(1, "en", "stop", "+14155550123", "hello"),
                     Case(2, "en", "menu", "+14155550123", "STOP")], no_detector, lambda *_: 1)
    assert recall(rows, "stop") == (0, 1)
    assert [o.case.line for o in false_alarms(rows, "stop")] == [2]


def test_a_malformed_file_is_refused() -> None:
    with pytest.raises(ValueError, match="header"):
        parse(["lang\tintent\tfrom\ttext\n"])
    with pytest.raises(ValueError, match="line 3"):
        parse(["# comment\n", "language\tintent\tfrom\ttext\n", "en\tstop\tSTOP\n"])
    rows = parse(["language\tintent\tfrom\ttext\n", "\n", "# skipped\n", "en\tstop\t+14155550123\tStop!\n"])
    assert rows == [Case(4, "en", "stop", "+14155550123", "Stop!")]


def test_the_command_prints_the_tables_and_exits_zero(tmp_path: Path) -> None:
    small = tmp_path / "small.tsv"
    small.write_text("language\tintent\tfrom\ttext\nen\trisks\t+14155550123\tis it safe?\n"
                     "es\tstop\t+34612345678\tBAJA\nen\tmenu\t+14155550123\tSTOP\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "bot.evaluation", str(small)], cwd=ROOT,
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "By expected language" in out and "By expected intent" in out and "Overall" in out
    assert "stop       recall 1/1" in out
    assert "routed there by mistake: 1" in out
    assert "line    4" in out and "expected menu/en" in out and "got stop/en" in out
