"""WhatsApp content templates, read from a file the staff can edit (reread when it changes).

Outside WhatsApp's 24-hour customer-service window only approved templates may be sent
(error 63016 otherwise), so the sender asks here for the template of a purpose ('broadcast',
'reply', 'menu') in the person's language, and refuses to send when there is none.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("workers.templates")

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "messages" / "whatsapp_templates.json"
PURPOSES = ("broadcast", "reply", "menu")


@dataclass(frozen=True)
class Template:
    """One approved template; ``text_variable`` names where the message text goes, if anywhere."""

    content_sid: str
    text_variable: str | None = "1"

    def variables(self, text: str) -> dict[str, str]:
        return {self.text_variable: text} if self.text_variable else {}


class Templates:
    """The templates file, reloaded when its modification time changes."""

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path else DEFAULT_PATH
        self._mtime: float | None = None
        self._table: dict[str, dict[str, Template]] = {}

    def _load(self) -> None:
        try:
            mtime = os.stat(self.path).st_mtime
        except FileNotFoundError:
            self._table, self._mtime = {}, None
            return
        if mtime == self._mtime:
            return
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            table: dict[str, dict[str, Template]] = {}
            for purpose in PURPOSES:
                for language, entry in (raw.get(purpose) or {}).items():
                    if isinstance(entry, str):
                        entry = {"content_sid": entry}
                    table.setdefault(purpose, {})[language] = Template(
                        content_sid=str(entry["content_sid"]),
                        text_variable=entry.get("text_variable", "1" if purpose != "menu" else None),
                    )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            log.error("WhatsApp templates file is invalid, keeping the previous one: %s", error)
            return
        self._table, self._mtime = table, mtime

    def find(self, purpose: str, language: str) -> Template | None:
        """The template for ``purpose`` in ``language``; None when the staff configured none."""
        self._load()
        return self._table.get(purpose, {}).get(language)
