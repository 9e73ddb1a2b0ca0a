"""Business hours per skill: weekdays, rest days, holidays and make-up working days, in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from businesshours import AROUND_THE_CLOCK, BANK_HOURS, BusinessHours, HoursFile, TimeRange
from handoff.clock import SHANGHAI


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def hours() -> BusinessHours:
    return BusinessHours(
        HoursFile.model_validate(
            {
                "default": {"workdays": ["09:00-12:00", "13:00-18:00"], "rest_days": []},
                "skills": {"security": {"workdays": ["00:00-24:00"], "rest_days": ["00:00-24:00"]}},
                "holidays": ["2026-12-02"],
                "make_up_workdays": ["2026-12-05"],
            }
        )
    )


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        ("2026-12-01 09:00", True),  # Tuesday, opening minute
        ("2026-12-01 08:59", False),
        ("2026-12-01 12:30", False),  # lunch
        ("2026-12-01 17:59", True),
        ("2026-12-01 18:00", False),  # the end is exclusive
        ("2026-12-02 10:00", False),  # a holiday on a Wednesday
        ("2026-12-05 10:00", True),  # a make-up working Saturday
        ("2026-12-06 10:00", False),  # Sunday
    ],
)
def test_opening_hours(hours: BusinessHours, when: str, is_open: bool) -> None:
    assert hours.is_open("general", at(when)) is is_open


def test_a_skill_open_around_the_clock(hours: BusinessHours) -> None:
    assert hours.is_open("security", at("2026-12-06 03:00"))


@pytest.mark.parametrize(
    ("when", "back"),
    [
        ("2026-12-01 07:00", "2026-12-01 09:00"),
        ("2026-12-01 12:15", "2026-12-01 13:00"),
        ("2026-12-01 23:00", "2026-12-03 09:00"),  # the next day is a holiday
        ("2026-12-04 20:00", "2026-12-05 09:00"),  # Friday night: the make-up Saturday
        ("2026-12-05 19:00", "2026-12-07 09:00"),  # Saturday night: Monday
    ],
)
def test_when_agents_are_back(hours: BusinessHours, when: str, back: str) -> None:
    assert hours.next_open("general", at(when)) == at(back)


def test_the_time_zone_is_beijing_time_whatever_the_instant_says(hours: BusinessHours) -> None:
    utc_morning = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Beijing
    assert hours.is_open("general", utc_morning)


def test_a_closed_skill_has_no_next_opening() -> None:
    closed = BusinessHours(HoursFile.model_validate({"default": {"workdays": [], "rest_days": []}}))
    assert closed.next_open("general", at("2026-12-01 10:00")) is None


@pytest.mark.parametrize("text", ["9-18", "18:00-09:00", "09:00-25:00", "09:0-18:00", "nine to five"])
def test_unreadable_ranges_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        TimeRange.parse(text)


@pytest.mark.parametrize("path", [BANK_HOURS, AROUND_THE_CLOCK])
def test_the_shipped_files_load(path: Path) -> None:
    loaded = BusinessHours.from_file(path)
    assert loaded.is_open("security", at("2026-12-06 03:00"))


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        ("2026-12-01 10:00", 120, "2026-12-01 12:00"),  # within the morning
        ("2026-12-01 11:00", 120, "2026-12-01 14:00"),  # across lunch (13:00 reopens)
        ("2026-12-01 17:30", 120, "2026-12-03 10:30"),  # the 2nd is a holiday
        ("2026-12-04 20:00", 60, "2026-12-05 10:00"),  # Friday night: the make-up Saturday
        ("2026-12-06 10:00", 30, "2026-12-07 09:30"),  # Sunday: Monday morning
    ],
)
def test_working_minutes_are_counted_in_opening_hours(hours: BusinessHours, start: str, minutes: int, due: str) -> None:
    assert hours.add_working_minutes("general", at(start), minutes) == at(due)
