"""Ten languages: complete catalogs, kept placeholders, budgets, glossary, routing, negotiation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.language import COUNTRY, DEFAULT, DETECTED, EXPLICIT, LinguaDetector, country_language, negotiate
from bot.models import Conversation, Inbound
from bot.router import route
from bot.text import normalize, strip_accents
from bot.vocabulary import vocabulary
from messages import budget
from messages.bidi import LRI, PDI, RLM
from messages.catalog import LOCALES_DIR
from messages.glossary import GLOSSARY
from messages.languages import LANGUAGES
from messages.lexicon import lexicon
from messages.model import Channel, Reply
from messages.render import page_count, render, topic_pages
from messages.topics import TOPICS

TRANSLATED = [code for code in LANGUAGES if code != "en"]
ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def catalog(language: str):
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def messages_of(cat) -> dict[str, str]:
    return {m.id: m.string for m in cat if m.id}


@pytest.fixture(scope="module")
def pot_ids() -> set[str]:
    with (LOCALES_DIR / "messages.pot").open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_is_complete_with_no_fuzzy_entry(language: str, pot_ids: set[str]) -> None:
    cat = catalog(language)
    entries = {m.id: m for m in cat if m.id}
    assert set(entries) == pot_ids, "catalog out of step with messages.pot: run make catalogs"
    assert [i for i, m in entries.items() if not m.string] == []
    assert [i for i, m in entries.items() if m.fuzzy] == []
    mo = LOCALES_DIR / language / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), "catalogs are compiled by the project's own set-up (make)"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_placeholder_is_kept(language: str) -> None:
    for msgid, msgstr in messages_of(catalog(language)).items():
        assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_the_pot_is_up_to_date_with_the_code(tmp_path: Path, pot_ids: set[str]) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
         "-c", "NOTE:", "--no-location", "--sort-output", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with fresh.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    assert extracted == pot_ids, "locales/messages.pot is stale: run make catalogs"


@pytest.fixture(scope="module")
def detector() -> LinguaDetector:
    return LinguaDetector()


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_translated_summary_is_recognised_as_its_language(language: str, detector) -> None:
    for topic in TOPICS:
        pages, used = topic_pages(topic, language, Channel.WHATSAPP)
        assert used == language
        text = re.sub(r"\b[A-Z]{2,}\b", " ", " ".join(pages))  # drop MS, HSCT, MORE...
        assert detector(text) == language, topic


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_every_reply_fits_its_segment_budget_in_its_own_language(language: str) -> None:
    rows = budget.table(language)
    assert [r.reply for r in rows if r.over] == []
    assert [r.reply for r in rows if r.rendered_in != language] == []


def test_the_budget_command_prints_the_table_and_names_the_ucs2_character() -> None:
    result = subprocess.run([sys.executable, "-m", "messages.budget", "es", "en"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "0 replies over budget" in result.stdout
    ucs2 = [line for line in result.stdout.splitlines() if line.startswith("es ") and "UCS-2" in line]
    assert ucs2 and all("U+" in line for line in ucs2)


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_use_the_approved_glossary_terms(language: str) -> None:
    forms = lexicon(language).term_forms
    titles = {topic.title for topic in TOPICS.values()}  # menu labels may be shortened
    problems = []
    for msgid, msgstr in messages_of(catalog(language)).items():
        if msgid in titles:
            continue
        for term, names in GLOSSARY.items():
            english = names["en"].lower()
            if not re.search(rf"\b{re.escape(english)}", msgid.lower()):
                continue
            accepted = {names[language], *forms.get(term, ())}
            found = strip_accents(msgstr.casefold())
            if not any(strip_accents(form.casefold()) in found for form in accepted):
                problems.append((term, msgid[:50]))
    assert problems == []


def decide(text: str, number: str = "+14155550100", state: Conversation | None = None,
           opted_out: bool = False):
    inbound = Inbound("SM" + "1" * 32, number, Channel.SMS, text, received_at=1.0)
    return route(inbound, state or Conversation(), opted_out, page_count)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_topic_keyword_routes_in_every_language_with_or_without_accents(language: str) -> None:
    lex = lexicon(language)
    for topic, words in lex.topics.items():
        keyword = words[0]
        for typed in {keyword, keyword.upper(), strip_accents(keyword)}:
            decision = decide(typed)
            assert decision.intent == topic, (language, typed)
        if vocabulary().topics[normalize(keyword)][1] == {language}:  # unique: evidence of it
            assert decide(keyword).language == language, (language, keyword)


@pytest.mark.parametrize("language", TRANSLATED)
def test_stop_start_help_and_emergency_work_in_every_language(language: str) -> None:
    lex = lexicon(language)
    for word in lex.stop:
        assert decide(word).opt_out is True, (language, word)
    for word in lex.start:
        assert decide(word, opted_out=True).opt_out is False, (language, word)
    for word in lex.help:
        assert decide(word).intent == "help", (language, word)
    for phrase in lex.emergency:
        assert decide(phrase).intent == "emergency", (language, phrase)


@pytest.mark.parametrize("language", TRANSLATED)
def test_english_keywords_and_menu_numbers_work_whatever_the_language(language: str) -> None:
    state = Conversation(language=language, language_source=EXPLICIT)
    assert decide("RISKS", state=state).intent == "risks"
    assert decide("RISKS", state=state).language == language
    assert decide("7", state=state).intent == list(TOPICS)[6]


@pytest.mark.parametrize(
    ("text", "language"),
    [("LANG es", "es"), ("LANGUAGE fr", "fr"), ("ESPAÑOL", "es"), ("espanol", "es"),
     ("Français", "fr"), ("Deutsch", "de"), ("italiano", "it"), ("Português", "pt"),
     ("العربية", "ar"), ("हिन्दी", "hi"), ("中文", "zh"), ("Русский", "ru"), ("lang EN", "en"), ("LANG hi", "hi")],
)
def test_a_language_is_chosen_by_command_or_by_its_own_name(text: str, language: str) -> None:
    decision = decide(text, state=Conversation(language="de", language_source=EXPLICIT))
    assert decision.intent == "language"
    assert decision.language == language
    assert decision.conversation.language_source == EXPLICIT
    assert decision.replies == (Reply.text("language_changed"),)


@pytest.mark.parametrize(
    ("explicit", "stored", "source", "detected", "number", "expected"),
    [
        ("fr", "es", EXPLICIT, "de", "+34600000001", ("fr", EXPLICIT)),
        (None, "es", EXPLICIT, "de", "+33600000001", ("es", EXPLICIT)),
        (None, "es", DETECTED, "de", "+33600000001", ("es", DETECTED)),
        (None, None, None, "de", "+33600000001", ("de", DETECTED)),
        (None, "it", COUNTRY, "de", "+33600000001", ("de", DETECTED)),
        (None, None, None, None, "+33600000001", ("fr", COUNTRY)),
        (None, None, None, None, "+8613812345678", ("zh", COUNTRY)),
        (None, None, None, None, "+971501234567", ("ar", COUNTRY)),
        (None, None, None, None, "+919812345678", ("hi", COUNTRY)),
        (None, None, None, None, "+81312345678", ("en", DEFAULT)),
    ],
    ids=["explicit>stored", "stored>detected", "stored-detected>detected", "detected>country",
         "country-guess-is-not-stored", "country", "china", "uae", "india", "japan->english"],
)
def test_negotiation_order(explicit, stored, source, detected, number, expected) -> None:
    choice = negotiate(explicit, stored, source, detected, number)
    assert (choice.language, choice.source) == expected


def test_a_person_writing_another_language_is_answered_in_it_and_told_how_to_switch() -> None:
    keyword = lexicon("es").topics["risks"][0]
    decision = decide(keyword, number="+14155550100")
    assert decision.language == "es"
    assert decision.conversation.language == "es"
    assert decision.replies[-1] == Reply.text("language_changed")
    later = decide("MORE", state=decision.conversation)
    assert later.language == "es"


def test_a_spanish_number_is_answered_in_spanish_without_a_notice() -> None:
    decision = decide("MENU", number="+34600000001")
    assert decision.language == "es"
    assert decision.replies == (Reply.menu(),)
    assert country_language("+34600000001") == "es"


def test_arabic_replies_read_right_to_left_with_latin_runs_isolated() -> None:
    for reply in (Reply.topic_page("risks"), Reply.menu(), Reply.text("help")):
        text = render(reply, "ar", Channel.SMS).text
        for line in text.split("\n"):
            assert line.startswith(RLM)
            bare = re.sub(f"{LRI}[^{PDI}]*{PDI}", "", line)
            assert not re.search("[A-Za-z0-9]", bare), line


def test_a_missing_health_string_falls_back_to_english_and_says_so(monkeypatch) -> None:
    from messages import catalog
    from messages import render as render_module

    real = catalog.translate
    first = TOPICS["risks"].sentences[0].text
    monkeypatch.setattr(render_module, "translate",
                        lambda m, loc: None if (m == first and loc == "es") else real(m, loc))
    render_module._topic_pages_in.cache_clear()
    render_module.topic_pages.cache_clear()
    try:
        result = render(Reply.topic_page("risks"), "es", Channel.SMS)
        assert result.fell_back and result.locale == "en"
        note = real(__import__("messages.texts", fromlist=["x"]).FALLBACK_NOTE, "es")
        assert result.text.startswith(note)
        assert first in result.text
    finally:
        render_module._topic_pages_in.cache_clear()
        render_module.topic_pages.cache_clear()


def test_accents_are_ignored_when_matching() -> None:
    assert normalize("RIÉSGÖS!") == "riesgos"


@pytest.mark.parametrize("text", ["我移植后发烧了", "我真的不想活了", "我爸晕倒了"])
def test_emergencies_are_found_in_languages_written_without_spaces(text: str) -> None:
    assert decide(text, number="+8613812345678").intent == "emergency"


@pytest.mark.parametrize("language", TRANSLATED)
def test_sources_n_works_with_each_languages_sources_keyword(language: str) -> None:
    keyword = lexicon(language).topics["sources"][0]
    decision = decide(f"{keyword} 3")
    assert decision.replies == (Reply.source(3),), (language, keyword)
