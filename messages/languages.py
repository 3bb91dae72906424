"""The ten languages the bot speaks, with their names as people write them."""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"

# Code -> the language's own name (shown in replies and accepted as a LANG choice).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "it": "Italiano",
    "pt": "Português",
    "ar": "العربية",
    "hi": "हिन्दी",
    "zh": "中文",
    "ru": "Русский",
}

# Scripts that write sentences without spaces between them.
NO_SPACE_BETWEEN_SENTENCES = frozenset({"zh"})
RIGHT_TO_LEFT = frozenset({"ar"})
