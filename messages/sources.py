"""The five source documents: who wrote each one, what it is, and how far to trust it.

People see them as documents 1 to 5; they are the files ``messages/seeds/000_*`` to
``004_*`` in that order. ``SOURCES n`` renders
"Document n: <title>. By: <author>. <kind>. <summary>". Titles are the documents' own first
lines, exact and untranslated; ``sms_title`` is the same title in GSM-7 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from messages.i18n import N_
from messages.model import Evidence, ref, seed

# Characters of the documents' titles that GSM-7 lacks, and the plain ones sent instead.
_TO_GSM = str.maketrans(
    {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
)


@dataclass(frozen=True)
class Document:
    """One source document, as the SOURCES command describes it."""

    number: int
    seed: str
    title: str
    author: str
    kind: str
    sells_therapy: bool | None
    summary: str
    evidence: tuple[Evidence, ...]

    @property
    def sms_title(self) -> str:
        """The title with its dashes and curly quotes made plain, so an SMS stays GSM-7."""
        return self.title.translate(_TO_GSM)


# NOTE: Shown after "By:" when a document does not say who wrote it.
_NO_AUTHOR = N_("no author named")

DOCUMENTS: tuple[Document, ...] = (
    Document(
        number=1,
        seed="000",
        title="Understanding Multiple Sclerosis (MS)",
        author=_NO_AUTHOR,
        kind=N_("A promotional web article"),
        sells_therapy=None,
        summary=N_("Hopeful in tone; it cites no studies and mentions no risks."),
        evidence=(
            seed("000", "Potential of Stem Cell Treatment for MS"),
            seed("000", "Light Of Hope for Individuals with MS"),
            seed("000", "individuals with MS can approach the journey with optimism and hope"),
        ),
    ),
    Document(
        number=2,
        seed="001",
        title="The Potential of Stem Cell Therapy in the Treatment of Multiple Sclerosis",
        author=_NO_AUTHOR,
        kind=N_("A blog article"),
        sells_therapy=None,
        summary=N_(
            "Names three studies but misdescribes two of them; it does list some risks."
        ),
        evidence=(
            seed("001", "Sources: 1. Stem Cell Therapies for MS"),
            seed("001", "A study published in The Lancet showed"),
            seed("001", "Stem cell therapy carries risks, including infection, bleeding"),
            ref("connick2012"),
        ),
    ),
    Document(
        number=3,
        seed="002",
        title="Regenerative Medicine for Multiple Sclerosis",
        # NOTE: Stemedix Inc. is a company name; keep it as it is.
        author=N_("Stemedix Inc., a clinic that sells the therapy"),
        kind=N_("A clinic's marketing article"),
        sells_therapy=True,
        summary=N_("It mentions no risks, and some of its claims about stem cells are wrong."),
        evidence=(
            seed("002", "This post was written by a medical professional at Stemedix Inc."),
            seed(
                "002",
                "At Stemedix we provide access to Regenerative Medicine for multiple sclerosis",
            ),
            ref("ftc2020"),
        ),
    ),
    Document(
        number=4,
        seed="003",
        title="The Effectiveness of Stem Cell Therapy for Multiple Sclerosis",
        author=_NO_AUTHOR,
        kind=N_("A general health article"),
        sells_therapy=None,
        # NOTE: HSCT = haematopoietic stem cell transplantation.
        summary=N_(
            "The most balanced on HSCT and its risks, but it credits the wrong journal for its "
            "key study."
        ),
        evidence=(
            seed("003", "This article examines the effectiveness of stem cell therapy"),
            seed("003", "a study published in The Lancet found"),
            ref("atkins2016"),
            ref("burt2019"),
        ),
    ),
    Document(
        number=5,
        seed="004",
        title="MS and Treatment with Stem Cell Therapy \u2013 Things to Know",
        author=_NO_AUTHOR,
        kind=N_("A low-quality web article"),
        sells_therapy=None,
        summary=N_(
            "It contradicts itself, plays down side effects and is the least reliable of the five."
        ),
        evidence=(
            seed("004", "Image Credit:"),
            seed("004", "the chances of successful results are very low"),
            seed("004", "the experts noted not many side effects"),
        ),
    ),
)
