"""The staff console at ``/console``: dashboard, broadcasts, audit log and queues.

``bot.console.views`` holds the blueprint and its pages, ``auth`` the sign-in, sessions,
CSRF and roles, ``dashboard`` the charts' numbers and ``queues`` the RQ queue page.
"""

from __future__ import annotations

from bot.console.views import blueprint

__all__ = ["blueprint"]
