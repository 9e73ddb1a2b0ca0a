"""Callback and visit dates (actions/entities/dates.py)."""

from __future__ import annotations

from datetime import date

import pytest

from actions.entities import (
    DateError,
    parse_date,
)

SUNDAY = date(2026, 11, 29)  # a Sunday
WEDNESDAY = date(2026, 12, 2)

DATES = [
    ("今天", SUNDAY, date(2026, 11, 29)),
    ("明天", SUNDAY, date(2026, 11, 30)),
    ("后天", SUNDAY, date(2026, 12, 1)),
    ("大后天", SUNDAY, date(2026, 12, 2)),
    ("12月5号", SUNDAY, date(2026, 12, 5)),
    ("12月5日", SUNDAY, date(2026, 12, 5)),
    ("十二月五号", SUNDAY, date(2026, 12, 5)),
    ("11月29日", SUNDAY, date(2026, 11, 29)),  # today is not the past
    ("11月1日", SUNDAY, date(2027, 11, 1)),  # future-leaning
    ("1月15号", SUNDAY, date(2027, 1, 15)),
    ("12/5", SUNDAY, date(2026, 12, 5)),
    ("5号", SUNDAY, date(2026, 12, 5)),
    ("30号", SUNDAY, date(2026, 11, 30)),
    ("2026-12-05", SUNDAY, date(2026, 12, 5)),
    ("2026/12/5", SUNDAY, date(2026, 12, 5)),
    ("2026.12.5", SUNDAY, date(2026, 12, 5)),
    ("2026年12月5日", SUNDAY, date(2026, 12, 5)),
    ("20261205", SUNDAY, date(2026, 12, 5)),
    ("下周一", SUNDAY, date(2026, 11, 30)),  # weeks start on Monday
    ("下周一", WEDNESDAY, date(2026, 12, 7)),
    ("下星期三", WEDNESDAY, date(2026, 12, 9)),
    ("这周五", WEDNESDAY, date(2026, 12, 4)),
    ("周五", WEDNESDAY, date(2026, 12, 4)),
    ("周三", WEDNESDAY, date(2026, 12, 2)),
    ("星期天", WEDNESDAY, date(2026, 12, 6)),
    ("禮拜一", WEDNESDAY, date(2026, 12, 7)),
    ("3天后", SUNDAY, date(2026, 12, 2)),
    ("today", SUNDAY, date(2026, 11, 29)),
    ("Tomorrow", SUNDAY, date(2026, 11, 30)),
    ("the day after tomorrow", SUNDAY, date(2026, 12, 1)),
    ("next Monday", SUNDAY, date(2026, 11, 30)),
    ("next Monday", WEDNESDAY, date(2026, 12, 7)),
    ("on Friday", WEDNESDAY, date(2026, 12, 4)),
    ("in 3 days", SUNDAY, date(2026, 12, 2)),
    ("Dec 5", SUNDAY, date(2026, 12, 5)),
    ("December 5th", SUNDAY, date(2026, 12, 5)),
    ("Nov 1", SUNDAY, date(2027, 11, 1)),
    ("5 December 2026", SUNDAY, date(2026, 12, 5)),
    ("5 Dec", SUNDAY, date(2026, 12, 5)),
    ("Dec 5, 2027", SUNDAY, date(2027, 12, 5)),
    ("2月29日", SUNDAY, date(2028, 2, 29)),  # next leap year
]


@pytest.mark.parametrize(("text", "today", "expected"), DATES)
def test_parse_date(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today=today) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-02-30", "date_invalid"),
        ("2026-13-01", "date_invalid"),
        ("2月30日", "date_invalid"),
        ("13月1日", "date_invalid"),
        ("32号", "date_invalid"),
        ("next week", "date_unreadable"),
        ("asap", "date_unreadable"),
        ("", "date_unreadable"),
    ],
)
def test_parse_date_refusals(text: str, code: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, today=SUNDAY)
    assert caught.value.code == code


# --------------------------------------------------------------------------------- accounts and masking
