"""Contact windows: the account managers' next working ranges, at least an hour ahead, and what a customer's words
mean among the windows offered."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from actions.contact_windows import Window, contact_windows, match_window, read_window_words
from businesshours import BANK_HOURS, BusinessHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = BusinessHours.from_file(BANK_HOURS)
FRIDAY_EVENING = dt.datetime(2026, 12, 4, 20, 0, tzinfo=SHANGHAI)
SUNDAY_MORNING = dt.datetime(2026, 12, 6, 10, 0, tzinfo=SHANGHAI)
MONDAY_MORNING = dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)


def values(windows: list[Window]) -> list[str]:
    return [window.value for window in windows]


NEXT_WORKING_WEEK = [
    "2026-12-07T09:00:00+08:00/2026-12-07T12:00:00+08:00",
    "2026-12-07T13:30:00+08:00/2026-12-07T18:00:00+08:00",
    "2026-12-08T09:00:00+08:00/2026-12-08T12:00:00+08:00",
    "2026-12-08T13:30:00+08:00/2026-12-08T18:00:00+08:00",
]


@pytest.mark.parametrize("now", [FRIDAY_EVENING, SUNDAY_MORNING, FRIDAY_EVENING.astimezone(dt.UTC)])
def test_after_hours_and_at_the_weekend_the_next_working_windows(now: dt.datetime) -> None:
    assert values(contact_windows(HOURS, now)) == NEXT_WORKING_WEEK


def test_a_holiday_is_skipped() -> None:
    new_years_eve = dt.datetime(2026, 12, 31, 20, 0, tzinfo=SHANGHAI)  # 2027-01-01 is a holiday in bank.yaml
    windows = contact_windows(HOURS, new_years_eve)
    assert [w.start.date().isoformat() for w in windows] == ["2027-01-04"] * 2 + ["2027-01-05"] * 2


@pytest.mark.parametrize(
    ("now", "first"),
    [
        (dt.datetime(2026, 12, 7, 8, 30, tzinfo=SHANGHAI), "2026-12-07T13:30:00+08:00"),  # 09:00 is 30 minutes away
        (dt.datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI), "2026-12-07T09:00:00+08:00"),  # exactly an hour
        (dt.datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI), "2026-12-07T13:30:00+08:00"),  # the morning has begun
        (dt.datetime(2026, 12, 7, 13, 0, tzinfo=SHANGHAI), "2026-12-08T09:00:00+08:00"),
    ],
)
def test_windows_start_at_least_an_hour_from_now(now: dt.datetime, first: str) -> None:
    windows = contact_windows(HOURS, now)
    assert len(windows) == 4 and windows[0].start.isoformat() == first
    assert all(w.start >= now + dt.timedelta(hours=1) for w in windows)


def test_each_window_is_one_working_range_in_shanghai_time() -> None:
    for window in contact_windows(HOURS, MONDAY_MORNING):
        assert window.start.date() == window.end.date()
        assert (f"{window.start:%H:%M}", f"{window.end:%H:%M}") in {("09:00", "12:00"), ("13:30", "18:00")}
        assert window.value.count("+08:00") == 2


def test_labels_in_both_languages() -> None:
    window = contact_windows(HOURS, FRIDAY_EVENING)[0]
    assert window.label("zh") == "12月7日（周一）上午 09:00-12:00"
    assert window.label("en") == "Mon 7 Dec, morning 09:00-12:00"


def test_a_window_is_read_back_from_its_value() -> None:
    window = contact_windows(HOURS, FRIDAY_EVENING)[1]
    assert Window.parse(window.value, SHANGHAI) == window
    assert Window.parse(f'/inform{{"contact_window": "{window.value}"}}', SHANGHAI) == window
    assert Window.parse("明天上午", SHANGHAI) is None
    assert Window.parse("2026-12-07T12:00:00+08:00/2026-12-07T09:00:00+08:00", SHANGHAI) is None


OPTIONS = contact_windows(HOURS, MONDAY_MORNING)  # Mon pm, Tue am, Tue pm, Wed am


def choose(text: str, near: Window | None = None) -> str | None:
    words = read_window_words(text, today=MONDAY_MORNING.date(), tz=SHANGHAI)
    window = match_window(words, OPTIONS, near=near)
    return window.value if window else None


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("明天上午", 1),
        ("明天下午吧", 2),
        ("tomorrow afternoon", 2),
        ("Tomorrow morning please", 1),
        ("2", 1),
        ("第二个", 1),
        ("选第三个", 2),
        ("the first one", 0),
        ("option 4", 3),
        ("下午", 0),  # the nearest afternoon
        ("this afternoon", 0),
        ("下午3点", 0),
        ("周三上午", 3),
        ("明天上午10点", 1),
        (OPTIONS[2].value, 2),
    ],
)
def test_words_that_point_at_one_offered_window(text: str, index: int) -> None:
    assert choose(text) == OPTIONS[index].value


@pytest.mark.parametrize(
    "text",
    ["明天", "周四下午", "晚上8点", "随便", "asap", "5", "周六上午", NEXT_WORKING_WEEK[0], "13812345678"],
)
def test_words_that_point_at_none_or_several(text: str) -> None:
    assert choose(text) is None


def test_a_correction_keeps_the_day_already_chosen() -> None:
    tuesday_morning = OPTIONS[1]
    assert choose("不对，换成下午", near=tuesday_morning) == OPTIONS[2].value
    assert choose("actually make it the afternoon", near=tuesday_morning) == OPTIONS[2].value
    assert choose("换成下午") == OPTIONS[0].value


def test_words_that_name_no_time() -> None:
    words = read_window_words("确认", today=MONDAY_MORNING.date(), tz=SHANGHAI)
    assert not words.says_when and words.index is None
    assert read_window_words("不对，换成下午", today=MONDAY_MORNING.date(), tz=SHANGHAI).says_when
