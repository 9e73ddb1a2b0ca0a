"""Business clock: aware datetimes in Asia/Shanghai; business dates are Beijing dates."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Source of the current time (aware, Asia/Shanghai)."""

    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


class SystemClock:
    """Wall clock; with `fixed_today` the date is pinned while the time of day runs (demos)."""

    def __init__(self, *, tz: ZoneInfo = SHANGHAI, fixed_today: dt.date | None = None) -> None:
        self._tz = tz
        self._fixed_today = fixed_today

    def now(self) -> dt.datetime:
        current = dt.datetime.now(self._tz)
        if self._fixed_today is None:
            return current
        return dt.datetime.combine(self._fixed_today, current.timetz())

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, current: dt.datetime) -> None:
        if current.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._current = current.astimezone(SHANGHAI)

    def now(self) -> dt.datetime:
        return self._current

    def today(self) -> dt.date:
        return self._current.date()

    def set(self, current: dt.datetime) -> None:
        self._current = current.astimezone(SHANGHAI)

    def advance(self, delta: dt.timedelta) -> None:
        self._current = self._current + delta
