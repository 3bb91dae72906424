"""Turning what Redis answers into text, in one place.

The client answers ``bytes`` (or ``str`` when a connection decodes responses); the bot's
code wants ``str``. These helpers accept either, so nothing depends on how a client was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def text(value: Any, default: str = "") -> str:
    """One stored value as text (``default`` when missing)."""
    if value is None:
        return default
    return value.decode() if isinstance(value, bytes) else str(value)


def texts(mapping: Mapping[Any, Any]) -> dict[str, str]:
    """A stored hash as a dict of text."""
    return {text(key): text(value) for key, value in mapping.items()}


def text_list(values: Iterable[Any]) -> list[str]:
    """Stored values (a script's answer, say) as a list of text."""
    return [text(value) for value in values]
