"""The date range and filters every figure takes, and the SQL for Asia/Shanghai days and hours on both databases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, cast, func
from sqlalchemy.sql.elements import ColumnElement

from handoff.clock import SHANGHAI

# A longer range would make one dashboard request scan too much of the transcript.
MAX_RANGE_DAYS = 93


class InvalidRange(ValueError):
    """The date range or a filter cannot be used."""


@dataclass(frozen=True)
class Filters:
    """Days ``start`` to ``end`` inclusive, in Asia/Shanghai; the other fields narrow the figures when set."""

    start: dt.date
    end: dt.date
    channel: str | None = None
    language: str | None = None
    skill: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidRange("the end date is before the start date")
        if (self.end - self.start).days + 1 > MAX_RANGE_DAYS:
            raise InvalidRange(f"the range may cover at most {MAX_RANGE_DAYS} days")

    @property
    def since(self) -> dt.datetime:
        """The first instant of the range (aware)."""
        return dt.datetime.combine(self.start, dt.time(), tzinfo=SHANGHAI)

    @property
    def until(self) -> dt.datetime:
        """The instant after the range (aware, exclusive)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "channel": self.channel,
            "language": self.language,
            "skill": self.skill,
            "timezone": "Asia/Shanghai",
        }


def local_day(column: Any, dialect: str) -> ColumnElement[str]:
    """``YYYY-MM-DD`` of a stored UTC time in Asia/Shanghai (no daylight saving since 1991: SQLite adds 8 hours)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, "+8 hours")


def local_hour(column: Any, dialect: str) -> ColumnElement[int]:
    """The hour (0-23) of a stored UTC time in Asia/Shanghai."""
    if dialect == "postgresql":
        return cast(func.extract("hour", func.timezone("Asia/Shanghai", column)), Integer)
    return cast(func.strftime("%H", column, "+8 hours"), Integer)
