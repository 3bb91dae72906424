"""Quiet hours: no broadcast reaches a person at night in the time zone of their number.

Pure functions of (now, zone, window), so the rule is tested without waiting for night.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A nightly window such as 21:00-08:00 (it may cross midnight); equal ends mean none."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        from bot.config import ConfigError

        match = _WINDOW.match(text)
        if not match:
            raise ConfigError(f"QUIET_HOURS must look like 21:00-08:00, not {text!r}")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ConfigError(f"QUIET_HOURS has an impossible time: {text!r}")
        return cls(time(h1, m1), time(h2, m2))

    def _contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def wait(self, now: float, zone: str) -> float:
        """Seconds until a message may go to someone in ``zone`` (0 when it may go now)."""
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        local = datetime.fromtimestamp(now, tz)
        if not self._contains(local.time()):
            return 0.0
        ends = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if ends <= local:
            ends += timedelta(days=1)
        return (ends - local).total_seconds()

    def wait_everywhere(self, now: float, zones: list[str]) -> float:
        """Seconds until it is outside quiet hours in every one of ``zones`` at once."""
        waited = 0.0
        for _ in range(len(zones) + 2):  # each step clears at least one zone's night
            longest = max((self.wait(now + waited, zone) for zone in zones), default=0.0)
            if longest == 0:
                return waited
            waited += longest
        return waited
