"""Marking strings for translation without translating them at import time.

``N_`` marks an English source string so that ``pybabel extract`` finds it; the string is
translated later, at render time, with the person's locale (never the process's).
"""


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Return ``message`` unchanged; its only job is to be found by ``pybabel extract``."""
    return message
