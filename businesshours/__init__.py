"""Business hours per skill: weekly hours, holidays and make-up working days (调休), read from a YAML file. Shared by
the hub (whether agents can take a chat now) and the actions (the contact windows an account manager offers).

``BusinessHours.is_open(skill, at)`` and ``next_open(skill, at)`` answer "can an agent of this skill take a chat
now, and if not, when again"; the time comes from the hub's clock, so tests pick any instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

HOURS_DIR = Path(__file__).resolve().parent
BANK_HOURS = HOURS_DIR / "bank.yaml"
AROUND_THE_CLOCK = HOURS_DIR / "around_the_clock.yaml"
# How far ahead next_open looks (a closed skill has no next opening).
LOOKAHEAD_DAYS = 60


@dataclass(frozen=True)
class TimeRange:
    """Minutes after midnight, start inclusive, end exclusive (24:00 is 1440)."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        try:
            first, second = (part.strip() for part in text.split("-"))
            start, end = _minutes(first), _minutes(second)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a range like 09:00-18:00") from exc
        if not 0 <= start < end <= 24 * 60:
            raise ValueError(f"{text!r}: the start must come before the end, within one day")
        return cls(start, end)

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end


def _minutes(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(hhmm)
    return int(hours) * 60 + int(minutes)


class SkillHours(BaseModel):
    """One skill's opening hours on working days and on rest days (weekends and holidays)."""

    model_config = ConfigDict(extra="forbid")

    workdays: list[TimeRange] = Field(default_factory=list)
    rest_days: list[TimeRange] = Field(default_factory=list)

    @field_validator("workdays", "rest_days", mode="before")
    @classmethod
    def _parse_ranges(cls, value: object) -> list[TimeRange]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("a list of ranges like 09:00-18:00")
        return [v if isinstance(v, TimeRange) else TimeRange.parse(str(v)) for v in value]


class HoursFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = "Asia/Shanghai"
    default: SkillHours
    skills: dict[str, SkillHours] = Field(default_factory=dict)
    holidays: list[dt.date] = Field(default_factory=list)
    make_up_workdays: list[dt.date] = Field(default_factory=list)


class BusinessHours:
    """Opening hours of the live-agent desk, per skill."""

    def __init__(self, spec: HoursFile) -> None:
        self.spec = spec
        self.tz = ZoneInfo(spec.timezone)
        self._holidays = frozenset(spec.holidays)
        self._make_up = frozenset(spec.make_up_workdays)

    @classmethod
    def from_file(cls, path: Path) -> BusinessHours:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a mapping")
        return cls(HoursFile.model_validate(raw))

    def is_workday(self, day: dt.date) -> bool:
        if day in self._make_up:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def ranges(self, skill: str, day: dt.date) -> list[TimeRange]:
        hours = self.spec.skills.get(skill, self.spec.default)
        return hours.workdays if self.is_workday(day) else hours.rest_days

    def is_open(self, skill: str, at: dt.datetime) -> bool:
        local = at.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        return any(r.contains(minute) for r in self.ranges(skill, local.date()))

    def next_open(self, skill: str, at: dt.datetime) -> dt.datetime | None:
        """The next instant at or after ``at`` when the skill is open (``at`` itself when open now)."""
        local = at.astimezone(self.tz)
        if self.is_open(skill, local):
            return local
        minute = local.hour * 60 + local.minute
        for offset in range(LOOKAHEAD_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            starts = sorted(r.start for r in self.ranges(skill, day) if offset > 0 or r.start > minute)
            if starts:
                midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.tz)
                return midnight + dt.timedelta(minutes=starts[0])
        return None

    def closes_at(self, skill: str, at: dt.datetime) -> dt.datetime | None:
        """When the current opening ends (None when closed now)."""
        local = at.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        for r in self.ranges(skill, local.date()):
            if r.contains(minute):
                midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=self.tz)
                return midnight + dt.timedelta(minutes=r.end)
        return None

    def add_working_minutes(self, skill: str, start: dt.datetime, minutes: int) -> dt.datetime:
        """The instant ``minutes`` of the skill's opening hours after ``start`` (an SLA counted in working time:
        a request made on Friday evening with two working hours to accept is due on Monday 11:00)."""
        local = start.astimezone(self.tz)
        remaining = minutes
        for offset in range(LOOKAHEAD_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.tz)
            for time_range in sorted(self.ranges(skill, day), key=lambda r: r.start):
                range_start = midnight + dt.timedelta(minutes=time_range.start)
                range_end = midnight + dt.timedelta(minutes=time_range.end)
                begin = max(range_start, local)
                if begin >= range_end:
                    continue
                available = int((range_end - begin).total_seconds() // 60)
                if remaining <= available:
                    return begin + dt.timedelta(minutes=remaining)
                remaining -= available
        raise ValueError(f"no opening hours for {skill!r} in the next {LOOKAHEAD_DAYS} days")
