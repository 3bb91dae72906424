"""Right-to-left text that phones display correctly, with Latin words and numbers intact.

Each line of an Arabic reply begins with a RIGHT-TO-LEFT MARK, so a line that starts with
"MS" or "MENU" is still laid out right to left; each run of Latin letters and digits (with
the spaces, brackets and slashes between them, as in "MORE (1/3)") is wrapped in a
LEFT-TO-RIGHT ISOLATE, so the bidi algorithm cannot reorder its parts.
"""

from __future__ import annotations

import re

RLM = "\u200f"
LRI = "\u2066"
PDI = "\u2069"

# A Latin/digit run: starts and ends with a Latin letter or digit (or a closing bracket).
_LATIN_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ()/&.,:'\-+]*[A-Za-z0-9)]|[A-Za-z0-9]")


def isolate_latin(line: str) -> str:
    return _LATIN_RUN.sub(lambda match: f"{LRI}{match.group(0)}{PDI}", line)


def right_to_left(text: str) -> str:
    """Mark every line of ``text`` as right-to-left and isolate its Latin runs."""
    return "\n".join(RLM + isolate_latin(line) if line else line for line in text.split("\n"))
