"""Checks on the bot's health content: evidence, wording, characters and completeness.

Self-contained: no fixtures, no network, no Redis. It reads only the repository's own files
(``messages/`` and ``messages/seeds/``), plus the content notes in ``../shared/`` when they
are there, to check that the copied reference table is still in step with them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from messages import texts
from messages.glossary import GLOSSARY
from messages.model import Evidence, Sentence, Topic
from messages.references import REFERENCES
from messages.sources import DOCUMENTS
from messages.topics import TOPICS

ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = ROOT / "messages" / "seeds"
NOTES = ROOT.parent / "shared" / "content-notes.md"

TOPIC_IDS = [
    "about", "how", "msc", "hsct", "trials", "results",
    "risks", "access", "treatments", "clinics", "sources",
]
SEED_PREFIXES = ["000", "001", "002", "003", "004"]
LANGUAGES = {"en", "es", "fr", "de", "it", "pt", "ar", "hi", "zh", "ru"}
TERMS = {
    "ms", "relapse", "myelin", "stem_cell", "mesenchymal", "haematopoietic",
    "transplant", "chemotherapy", "clinical_trial", "neurologist",
}

# Fixed texts, the placeholders each must use (all and only these), and length limits.
FIXED_TEXTS: dict[str, tuple[set[str], int]] = {
    "SAFETY": (set(), 80),
    "EMERGENCY": (set(), 160),
    "OUT_OF_SCOPE": (set(), 300),
    "NOT_UNDERSTOOD": (set(), 300),
    "HELP": ({"service"}, 300),
    "STOP_CONFIRM": ({"service"}, 300),
    "START_CONFIRM": (set(), 300),
    "MENU_HEADER": ({"service"}, 60),
    "MENU_FOOTER": (set(), 60),
    "MORE_FOOTER": ({"page", "pages"}, 30),
    "END_OF_TOPIC": (set(), 100),
    "NO_TOPIC_FOR_MORE": (set(), 300),
    "SOURCE_LABEL": ({"number"}, 30),
    "SOURCE_UNKNOWN": ({"count"}, 300),
    "LANGUAGE_CHANGED": ({"language"}, 80),
    "TEXT_ONLY": (set(), 300),
    "RATE_LIMITED": (set(), 100),
}

# GSM 03.38: the basic character set (less the escape) and the extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"

# Twilio's reserved keywords: instructions only in the HELP, STOP and START texts.
RESERVED = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
            "START", "YES", "UNSTOP", "HELP", "INFO")
MAY_USE_RESERVED = {"HELP", "STOP_CONFIRM", "START_CONFIRM"}

FORBIDDEN = (
    "no side effects", "repairs myelin", "repair myelin", "restores function",
    "restore function", "restore lost function", "magic", "infinitely", "root cause",
    "cornerstones of all cells", "miracle", "guaranteed",
)
# Claims the notes mark WRONG: never repeated, even attributed.
WRONG_CLAIMS = (
    "cannot rebuild unless", "liver, blood vessels", "skeletal muscles",
    "multiplying as required", "not many side effects", "divide or differentiate",
)
# "cure" only where it is denied or named as a warning sign.
CURE_ALLOWED = re.compile(
    r"\b(?:no cure|not a cure|claims? of a cure|promis\w* a cure)\b", re.IGNORECASE
)
CURE = re.compile(r"\bcur(?:e|es|ed|ing|ative)\b", re.IGNORECASE)
PROVEN = re.compile(r"(\w*)proven\b", re.IGNORECASE)
# Topics where "stem cell" must come with the kind meant, or say the kind is not stated.
TYPED_TOPICS = ("msc", "hsct", "trials", "results", "risks", "access")
STEM_CELL = re.compile(r"stem[- ]cells?", re.IGNORECASE)
CELL_TYPE = re.compile(
    r"\b(?:MSCs?|HSCT|haematopoietic|mesenchymal)\b|kind not stated|which kind", re.IGNORECASE
)


STRAIGHTEN = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    """Collapse white space and make curly quotes straight, as the evidence rules say."""
    return " ".join(text.translate(STRAIGHTEN).split())


def seed_path(prefix: str) -> Path:
    matches = sorted(SEEDS_DIR.glob(f"{prefix}_*.txt"))
    assert len(matches) == 1, f"expected one seed file for {prefix}, found {matches}"
    return matches[0]


SEED_TEXT = {
    prefix: normalise(seed_path(prefix).read_text(encoding="utf-8")) for prefix in SEED_PREFIXES
}


def sentences() -> Iterator[tuple[Topic, Sentence]]:
    for topic in TOPICS.values():
        for sentence in topic.sentences:
            yield topic, sentence


def evidence() -> Iterator[tuple[str, Evidence]]:
    for topic, sentence in sentences():
        for item in sentence.evidence:
            yield f"{topic.id}: {sentence.text[:50]}", item
    for document in DOCUMENTS:
        for item in document.evidence:
            yield f"document {document.number}", item


def fixed_texts() -> dict[str, str]:
    return {name: getattr(texts, name) for name in FIXED_TEXTS}


def english_texts() -> Iterator[tuple[str, str]]:
    """Every English string the bot can send, with a label for messages."""
    yield "SERVICE_NAME", texts.SERVICE_NAME
    yield from fixed_texts().items()
    for topic in TOPICS.values():
        yield f"{topic.id} title", topic.title
    for topic, sentence in sentences():
        yield topic.id, sentence.text
    for document in DOCUMENTS:
        yield f"document {document.number}", document.sms_title
        yield f"document {document.number}", document.author
        yield f"document {document.number}", document.kind
        yield f"document {document.number}", document.summary


def topic_texts() -> Iterator[tuple[str, str]]:
    """Health content: topic titles and sentences, and the document descriptions."""
    for topic in TOPICS.values():
        yield f"{topic.id} title", topic.title
    for topic, sentence in sentences():
        yield topic.id, sentence.text
    for document in DOCUMENTS:
        described = f"{document.author}. {document.kind}. {document.summary}"
        yield f"document {document.number}", described


def non_gsm7(text: str) -> list[str]:
    return [char for char in text if char not in GSM7_BASIC and char not in GSM7_EXTENSION]


# --- topics and evidence -------------------------------------------------------------------


def test_all_eleven_topics_exist_in_order() -> None:
    assert list(TOPICS) == TOPIC_IDS
    for topic_id, topic in TOPICS.items():
        assert topic.id == topic_id


@pytest.mark.parametrize("topic_id", TOPIC_IDS)
def test_topic_has_a_reasonable_number_of_sentences(topic_id: str) -> None:
    assert 5 <= len(TOPICS[topic_id].sentences) <= 12


def test_every_sentence_has_evidence() -> None:
    for topic, sentence in sentences():
        assert sentence.evidence, f"{topic.id}: no evidence for {sentence.text!r}"
        for item in sentence.evidence:
            assert isinstance(item, Evidence)
            assert (item.seed and item.passage) or item.ref, f"{topic.id}: empty evidence"


def test_every_seed_passage_is_in_its_seed_file() -> None:
    missing = []
    for where, item in evidence():
        if item.seed is None:
            continue
        assert item.seed in SEED_TEXT, f"{where}: unknown seed {item.seed!r}"
        if normalise(item.passage or "") not in SEED_TEXT[item.seed]:
            missing.append(f"{where}: {item.seed} {item.passage!r}")
    assert not missing, "passages not found:\n" + "\n".join(missing)


def test_seed_passages_are_short_and_not_trivial() -> None:
    for where, item in evidence():
        if item.passage is not None:
            assert 10 <= len(item.passage) <= 250, f"{where}: passage of {len(item.passage)} chars"


def test_every_ref_id_is_in_the_reference_table() -> None:
    unknown = [
        f"{where}: {item.ref}"
        for where, item in evidence()
        if item.ref is not None and item.ref not in REFERENCES
    ]
    assert not unknown, unknown


def test_reference_table_has_the_notes_ids() -> None:
    expected = {
        "sormani2017", "burt2019", "nash2017", "fda2021", "isscr", "mstrust", "nmss2021",
        "ebmt2019", "uccelli2021", "connick2012", "petrou2021", "harris2021", "atkins2016",
        "burt2021", "muraro2017", "nash2015", "ftc2020",
    }
    assert set(REFERENCES) == expected
    assert all(len(description) > 20 for description in REFERENCES.values())


@pytest.mark.skipif(not NOTES.exists(), reason="content notes not beside the repository")
def test_reference_table_matches_the_content_notes() -> None:
    notes = NOTES.read_text(encoding="utf-8")
    table = notes[notes.index("## References"):]
    ids = set(re.findall(r"^\| ([a-z]+\d*) \|", table, flags=re.MULTILINE)) - {"id"}
    assert ids == set(REFERENCES)


def test_topic_sources_are_the_seeds_its_evidence_uses() -> None:
    for topic in TOPICS.values():
        used = sorted(
            {item.seed for sentence in topic.sentences for item in sentence.evidence if item.seed}
        )
        assert list(topic.sources) == used, f"{topic.id}: sources {topic.sources}, evidence {used}"


def test_a_topic_resting_on_one_document_says_which() -> None:
    for topic in TOPICS.values():
        if len(topic.sources) == 1:
            number = SEED_PREFIXES.index(topic.sources[0]) + 1
            assert any(f"ocument {number}" in s.text for s in topic.sentences), topic.id


def test_document_numbers_in_sentences_are_one_to_five() -> None:
    for topic, sentence in sentences():
        for number in re.findall(r"[Dd]ocuments? (\d+)", sentence.text):
            assert 1 <= int(number) <= 5, f"{topic.id}: {sentence.text!r}"


def test_a_sentence_naming_a_document_cites_it() -> None:
    """A sentence saying "Document 3 says..." rests on a passage of seed 002 (or on a reference)."""
    for topic, sentence in sentences():
        numbers = re.findall(r"\b[Dd]ocument (\d)\b", sentence.text)
        named = {SEED_PREFIXES[int(number) - 1] for number in numbers}
        cited = {item.seed for item in sentence.evidence if item.seed}
        if named and not any(item.ref for item in sentence.evidence):
            assert named <= cited, f"{topic.id}: {sentence.text!r} names {named}, cites {cited}"


def test_titles_are_short() -> None:
    for topic in TOPICS.values():
        assert 0 < len(topic.title) <= 22, topic.title


def test_review_dates() -> None:
    for topic in TOPICS.values():
        assert topic.reviewed < topic.review_due, topic.id
        assert not topic.is_overdue(topic.reviewed)


# --- wording -------------------------------------------------------------------------------


def test_english_text_is_gsm7() -> None:
    bad = {f"{where}: {text[:40]!r}": non_gsm7(text) for where, text in english_texts()}
    bad = {where: chars for where, chars in bad.items() if chars}
    assert not bad, bad


def test_no_euro_sign_or_typographic_characters() -> None:
    typographic = set("€\u2013\u2014\u2018\u2019\u201c\u201d\u2026")
    for where, text in english_texts():
        assert not set(text) & typographic, f"{where}: {text!r}"


def test_gsm7_check_catches_common_slips() -> None:
    assert non_gsm7("plain - 'quote' \"double\" {x}") == []
    slips = "curly \u2019 dash \u2013 dots \u2026 emoji \U0001f600"
    assert non_gsm7(slips) == ["\u2019", "\u2013", "\u2026", "\U0001f600"]


def test_sentences_are_at_most_130_characters() -> None:
    too_long = [f"{t.id} ({len(s.text)}): {s.text}" for t, s in sentences() if len(s.text) > 130]
    assert not too_long, too_long


def test_sentences_are_single_trimmed_lines() -> None:
    for topic, sentence in sentences():
        text = sentence.text
        assert text == text.strip() and "\n" not in text and "  " not in text, (topic.id, text)
        assert text[-1] in ".)'", (topic.id, text)


def test_no_forbidden_phrases() -> None:
    for where, text in topic_texts():
        lowered = text.lower()
        for phrase in FORBIDDEN + WRONG_CLAIMS:
            assert phrase not in lowered, f"{where}: {phrase!r} in {text!r}"


def test_cure_only_denied_or_as_a_warning_sign() -> None:
    for where, text in topic_texts():
        remainder = CURE_ALLOWED.sub("", text)
        assert not CURE.search(remainder), f"{where}: {text!r}"


def test_cure_rule_is_not_vacuous() -> None:
    assert CURE.search(CURE_ALLOWED.sub("", "HSCT can cure MS."))
    assert not CURE.search(CURE_ALLOWED.sub("", "There is no cure for MS."))


def test_proven_only_negated() -> None:
    for where, text in topic_texts():
        for match in PROVEN.finditer(text):
            before = text[: match.start()].lower()
            ok = match.group(1).lower() == "un" or before.endswith("not ")
            assert ok, f"{where}: {text!r}"


def test_stem_cell_sentences_name_the_kind() -> None:
    vague = [
        f"{topic.id}: {s.text}"
        for topic, s in sentences()
        if topic.id in TYPED_TOPICS
        and STEM_CELL.search(s.text)
        and not CELL_TYPE.search(s.text)
    ]
    assert not vague, vague


def test_stemedix_is_only_named_as_a_clinic_that_sells() -> None:
    for where, text in topic_texts():
        if "Stemedix" in text:
            assert "clinic" in text and "sells" in text, f"{where}: {text!r}"


def test_no_questions() -> None:
    for where, text in english_texts():
        assert "?" not in text, f"{where}: {text!r}"


def test_reserved_keywords_only_in_help_stop_start() -> None:
    pattern = re.compile(r"\b(?:" + "|".join(RESERVED) + r")\b")
    for where, text in english_texts():
        if where not in MAY_USE_RESERVED:
            assert not pattern.search(text), f"{where}: {text!r}"
    assert "STOP" in texts.HELP and "START" in texts.STOP_CONFIRM


# --- fixed texts ---------------------------------------------------------------------------


def test_fixed_texts_use_only_their_placeholders() -> None:
    for name, text in fixed_texts().items():
        fields = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
        expected, _ = FIXED_TEXTS[name]
        assert fields == expected, f"{name}: {fields} != {expected}"
        assert texts.PLACEHOLDERS[name] == expected


def test_fixed_texts_fit_their_limits() -> None:
    for name, text in fixed_texts().items():
        expected, limit = FIXED_TEXTS[name]
        sample = text.format(**dict.fromkeys(expected, "xx"))
        assert 0 < len(sample) <= limit, f"{name}: {len(sample)} > {limit}"


def test_fixed_texts_say_what_they_must() -> None:
    assert texts.SERVICE_NAME == "MS Stem Cell Info"
    assert "neurologist" in texts.SAFETY and "not medical advice" in texts.SAFETY
    assert "emergency number" in texts.EMERGENCY and "MS team" in texts.EMERGENCY
    assert "MENU" in texts.OUT_OF_SCOPE and "neurologist" in texts.OUT_OF_SCOPE
    for word in ("MENU", "MORE", "LANG", "Msg & data rates may apply.", "Reply STOP to stop."):
        assert word in texts.HELP, word
    assert "START" in texts.STOP_CONFIRM
    assert "MENU" in texts.START_CONFIRM and "MENU" in texts.END_OF_TOPIC
    assert "MORE" in texts.MORE_FOOTER


# --- glossary and documents ----------------------------------------------------------------


def test_glossary_has_every_term_in_every_language() -> None:
    assert set(GLOSSARY) == TERMS
    for term, translations in GLOSSARY.items():
        assert set(translations) == LANGUAGES, term
        assert all(value.strip() == value and value for value in translations.values()), term


@pytest.mark.parametrize(
    ("language", "script"),
    [
        ("ar", r"[\u0600-\u06ff]"),
        ("hi", r"[\u0900-\u097f]"),
        ("zh", r"[\u4e00-\u9fff]"),
        ("ru", r"[\u0400-\u04ff]"),
    ],
)
def test_glossary_terms_are_in_the_languages_script(language: str, script: str) -> None:
    for term, translations in GLOSSARY.items():
        assert re.search(script, translations[language]), (term, language)
        assert not re.search(r"[A-Za-z]", translations[language]), (term, language)


def test_documents_one_to_five() -> None:
    assert [d.number for d in DOCUMENTS] == [1, 2, 3, 4, 5]
    assert [d.seed for d in DOCUMENTS] == SEED_PREFIXES
    assert [d.seed for d in DOCUMENTS if d.sells_therapy] == ["002"]
    assert all(d.sells_therapy is None for d in DOCUMENTS if d.seed != "002")
    assert "Stemedix" in DOCUMENTS[2].author


def test_document_titles_are_their_first_lines() -> None:
    for document in DOCUMENTS:
        first_line = seed_path(document.seed).read_text(encoding="utf-8").splitlines()[0]
        assert document.title == first_line.strip()


def test_document_evidence_is_from_its_own_seed() -> None:
    for document in DOCUMENTS:
        seeds = {item.seed for item in document.evidence if item.seed}
        assert seeds == {document.seed}, document.number


# --- extraction ----------------------------------------------------------------------------


def test_every_english_string_is_marked_for_extraction() -> None:
    extract = pytest.importorskip("babel.messages.extract")
    found: dict[str, list[str]] = {}
    for name in ("topics.py", "texts.py", "sources.py"):
        with open(ROOT / "messages" / name, "rb") as fileobj:
            for _, message, comments, _ in extract.extract(
                "python", fileobj, keywords={"N_": None}, comment_tags=("NOTE:",)
            ):
                found.setdefault(message, []).extend(comments)
    wanted = [topic.title for topic in TOPICS.values()]
    wanted += [sentence.text for _, sentence in sentences()]
    wanted += list(fixed_texts().values())
    wanted += [text for d in DOCUMENTS for text in (d.author, d.kind, d.summary)]
    missing = [text for text in wanted if text not in found]
    assert not missing, missing
    assert texts.SERVICE_NAME not in found, "the service name is a brand, not translated"
    assert not {d.title for d in DOCUMENTS} & set(found), "document titles are not translated"
    # Translator notes reach the catalog: the abbreviation HSCT is explained where it first appears.
    first_hsct = TOPICS["hsct"].sentences[0].text
    assert any("haematopoietic" in comment for comment in found[first_hsct])
