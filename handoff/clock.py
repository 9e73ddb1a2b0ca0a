"""The hub's one clock: aware datetimes (business hours are read in Asia/Shanghai).

Everything that depends on time (business hours, offer timeouts, heartbeats, waits) reads it from the clock the
application was built with, so tests move time instead of sleeping. ``HUB_CLOCK_START`` starts a process's clock
at a given instant (a demo at 23:00, a test of the night shift); it then runs at the wall clock's pace.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Source of the current time."""

    def now(self) -> dt.datetime:
        """The current instant, aware, in Asia/Shanghai."""
        ...


def epoch_ms(clock: Clock) -> int:
    """The clock's current instant in milliseconds since the epoch (what the queue in Redis stores)."""
    return int(clock.now().timestamp() * 1000)


class SystemClock:
    """The wall clock, optionally shifted so that it read ``start_at`` when the process started."""

    def __init__(self, *, start_at: dt.datetime | None = None) -> None:
        if start_at is not None and start_at.tzinfo is None:
            raise ValueError("start_at must be timezone-aware")
        self._offset = dt.timedelta(0)
        if start_at is not None:
            self._offset = start_at - dt.datetime.now(dt.UTC)

    def now(self) -> dt.datetime:
        return (dt.datetime.now(dt.UTC) + self._offset).astimezone(SHANGHAI)


class ManualClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, current: dt.datetime) -> None:
        if current.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._current = current.astimezone(SHANGHAI)

    def now(self) -> dt.datetime:
        return self._current

    def advance(self, seconds: float) -> None:
        self._current += dt.timedelta(seconds=seconds)

    def set(self, current: dt.datetime) -> None:
        self._current = current.astimezone(SHANGHAI)
