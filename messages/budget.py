"""The segment table: every SMS reply in every language, its encoding, segments and budget.

``python -m messages.budget [LANG ...]`` compiles the catalogs it needs, then prints one row
per reply (topic pages, fixed texts, menu, sources) with the character that forced UCS-2
where one did; the tests assert the same table. Exit status 1 when a reply is over budget.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

from messages import texts
from messages.catalog import LOCALES_DIR, translations
from messages.languages import LANGUAGES
from messages.model import Channel, Reply
from messages.render import SMS_MAX_SEGMENTS, SMS_SEGMENTS, page_count, render
from messages.segments import count_segments
from messages.sources import DOCUMENTS
from messages.topics import TOPICS

SAMPLE_PARAMS = {"language": "Español", "languages": ", ".join(LANGUAGES.values()), "author": "x"}


@dataclass(frozen=True)
class Row:
    language: str
    reply: str
    rendered_in: str
    encoding: str
    segments: int
    budget: int
    forced_by: str | None

    @property
    def over(self) -> bool:
        return self.segments > self.budget


def replies(language: str) -> Iterator[tuple[str, Reply]]:
    """Every reply the bot can send in ``language`` over SMS."""
    for topic in TOPICS:
        for page in range(1, page_count(topic, language, Channel.SMS) + 1):
            yield f"{topic} {page}", Reply.topic_page(topic, page)
    for name in texts.PLACEHOLDERS:
        if name not in {"SAFETY", "MENU_HEADER", "MENU_FOOTER", "MORE_FOOTER", "SOURCE_LABEL",
                        "SOURCE_AUTHOR", "FALLBACK_NOTE"}:
            yield name.lower(), Reply.text(name.lower())
    for page in range(1, page_count("menu", language, Channel.SMS) + 1):
        yield f"menu {page}", Reply.menu(page=page)
    yield "menu+not_understood", Reply.menu(lead="not_understood")
    for doc in DOCUMENTS:
        yield f"sources {doc.number}", Reply.source(doc.number)


def table(language: str) -> list[Row]:
    rows = []
    for label, reply in replies(language):
        rendered = render(reply, language, Channel.SMS, SAMPLE_PARAMS)
        count = count_segments(rendered.text)
        budget = SMS_SEGMENTS[count.encoding] if reply.kind == "topic" else SMS_MAX_SEGMENTS
        rows.append(Row(language, label, rendered.locale, count.encoding, count.segments, budget,
                        count.forced_by))
    return rows


def compile_catalogs(languages: list[str]) -> None:
    """Compile .po -> .mo (fuzzy entries left out), as make does, so the table is current."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for language in languages:
        po = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
    translations.cache_clear()


def main(argv: list[str]) -> int:
    languages = argv or list(LANGUAGES)
    compile_catalogs(languages)
    over = 0
    print(f"{'lang':4} {'reply':24} {'in':3} {'encoding':8} {'seg':>3} {'max':>3}  forced UCS-2 by")
    for language in languages:
        for row in table(language):
            flag = "  OVER BUDGET" if row.over else ""
            forced = f"{row.forced_by!r} U+{ord(row.forced_by):04X}" if row.forced_by else ""
            print(f"{row.language:4} {row.reply:24} {row.rendered_in:3} {row.encoding:8} "
                  f"{row.segments:>3} {row.budget:>3}  {forced}{flag}")
            over += row.over
    print(f"\n{over} replies over budget")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
