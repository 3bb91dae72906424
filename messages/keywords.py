"""The words that reach each topic and control intent.

Keywords are data, not translations: each language lists the words its speakers type. The
router matches them after normalising case, accents and punctuation (see ``bot.text``).
"""

from __future__ import annotations

# Topic id -> English keywords (the topic id itself is always a keyword).
TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "about": ("about", "ms"),
    "how": ("how",),
    "msc": ("msc", "mscs", "mesenchymal"),
    "hsct": ("hsct", "ahsct", "haematopoietic", "hematopoietic"),
    "trials": ("trials", "trial", "studies", "study"),
    "results": ("results", "result"),
    "risks": ("risks", "risk"),
    "access": ("access", "cost", "eligibility"),
    "treatments": ("treatments", "treatment"),
    "clinics": ("clinics", "clinic"),
    "sources": ("sources", "source", "documents"),
}

# Carrier-reserved words (Twilio's defaults): they must work in any state, in any language.
STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt-out"}
)
START_WORDS = frozenset({"start", "yes", "unstop"})
HELP_WORDS = frozenset({"help", "info"})

MENU_WORDS = frozenset({"menu", "0", "topics", "options"})
MORE_WORDS = frozenset({"more", "next"})
GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "good morning", "good evening"})

# Phrases that mean someone may be in danger right now. Matched as whole words or phrases
# anywhere in the message; the emergency reply wins over everything else.
EMERGENCY_PHRASES: tuple[str, ...] = (
    "emergency",
    "suicide",
    "suicidal",
    "kill myself",
    "end my life",
    "want to die",
    "cant breathe",
    "can't breathe",
    "cannot breathe",
    "chest pain",
    "heart attack",
    "stroke",
    "overdose",
    "seizure",
    "unconscious",
    "sudden weakness",
    "lost my vision",
    "loss of vision",
    "cant see",
    "can't see",
)
