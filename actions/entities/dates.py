"""Dates as customers write them, for a callback or a visit: 明天, 下周一, 12月5号, 2026-12-05, Dec 5, next Monday.

Conventions: ``下周一`` and ``next Monday`` both mean the Monday of the next calendar week (weeks start on Monday);
``这周五``/``本周五``/``this Friday`` mean the day of the current week (may be in the past); a bare weekday
(``周五``, ``Friday``) means the next such day on or after ``today``. Month/day without a year (``12月5号``,
``Dec 5``, ``12/5`` read month first as in Chinese) and a bare day (``5号``) are future-leaning: the first such
date on or after ``today``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from actions.entities.errors import DateError
from actions.entities.numbers import CN_NUMBER_CHARS, parse_chinese_number, prepare

_RELATIVE_DAYS: dict[str, int] = {
    "大后天": 3, "后天": 2, "明天": 1, "明日": 1, "今天": 0, "今日": 0, "day after tomorrow": 2,
    "tomorrow": 1, "tmr": 1, "today": 0,
}  # fmt: skip
_RELATIVE_RE = re.compile(
    "|".join(
        re.escape(word) if not word.isascii() else rf"(?<![a-z]){word}(?![a-z])"
        for word in sorted(_RELATIVE_DAYS, key=len, reverse=True)
    )
)
_IN_DAYS_RE = re.compile(rf"(?P<n>\d+|[{CN_NUMBER_CHARS}]+)\s*天(?:后|以后|之后)|in\s+(?P<en>\d+)\s+days?")
_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*[日号]?")
_COMPACT_DATE_RE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_ZH_MONTH_DAY_RE = re.compile(
    rf"(?<![\d{CN_NUMBER_CHARS}])(?P<m>\d{{1,2}}|[{CN_NUMBER_CHARS}]{{1,3}})\s*月\s*"
    rf"(?P<d>\d{{1,2}}|[{CN_NUMBER_CHARS}]{{1,4}})\s*[日号]?"
)
_SLASH_MONTH_DAY_RE = re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])")
_ZH_DAY_RE = re.compile(
    rf"(?<![\d{CN_NUMBER_CHARS}月])(?P<d>\d{{1,2}}|[{CN_NUMBER_CHARS}]{{1,4}})\s*[日号]",
)
_EN_MONTHS: dict[str, int] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_EN_MONTH_PATTERN = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_EN_MONTH_DAY_RE = re.compile(
    rf"(?<![a-z])(?P<mon>{_EN_MONTH_PATTERN})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s*(?P<y>\d{{4}}))?"
)
_EN_DAY_MONTH_RE = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_EN_MONTH_PATTERN})(?![a-z])\.?"
    r"(?:,?\s*(?P<y>\d{4}))?"
)
_ZH_WEEKDAYS: dict[str, int] = {
    "一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
}  # fmt: skip
_ZH_WEEKDAY_RE = re.compile(
    r"(?P<rel>下下|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天末1-7])",
)
_EN_WEEKDAYS: dict[str, int] = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_EN_WEEKDAY_RE = re.compile(
    r"(?<![a-z])(?:(?P<rel>next|this|coming|on)\s+)?"
    r"(?P<d>mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|rsday)?(?![a-z])"
)


def _make_date(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError("date_invalid", text, f"no such date {year}-{month}-{day}") from None


def _small_int(text: str, value: str) -> int:
    parsed = parse_chinese_number(value)
    if parsed is None or parsed != parsed.to_integral_value():
        raise DateError("date_unreadable", text, f"unreadable number {value!r}")
    return int(parsed)


def _future_month_day(text: str, today: date, month: int, day: int) -> date:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise DateError("date_invalid", text, f"no such date {month}-{day}")
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise DateError("date_invalid", text, f"no such date {month}-{day}")


def _future_day(text: str, today: date, day: int) -> date:
    if not 1 <= day <= 31:
        raise DateError("date_invalid", text, f"no such day {day}")
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise DateError("date_invalid", text, f"no such day {day}")


def _weekday_date(today: date, weekday: int, relation: str) -> date:
    monday = today - timedelta(days=today.weekday())
    if relation in ("下", "下个", "next"):
        return monday + timedelta(days=7 + weekday)
    if relation == "下下":
        return monday + timedelta(days=14 + weekday)
    if relation in ("上", "上个"):
        return monday + timedelta(days=weekday - 7)
    if relation in ("这", "这个", "本", "this"):
        return monday + timedelta(days=weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7)  # bare, "on", "coming"


def _date_from_year_month_day(text: str, today: date, match: re.Match[str]) -> date:
    return _make_date(text, int(match.group(1)), int(match.group(2)), int(match.group(3)))


def _date_from_en(text: str, today: date, match: re.Match[str]) -> date:
    month, day = _EN_MONTHS[match.group("mon")[:3]], int(match.group("d"))
    if match.group("y"):
        return _make_date(text, int(match.group("y")), month, day)
    return _future_month_day(text, today, month, day)


def _date_from_zh_month_day(text: str, today: date, match: re.Match[str]) -> date:
    month, day = _small_int(text, match.group("m")), _small_int(text, match.group("d"))
    return _future_month_day(text, today, month, day)


def _date_from_zh_weekday(text: str, today: date, match: re.Match[str]) -> date:
    char = match.group("d")
    weekday = int(char) - 1 if char.isdigit() else _ZH_WEEKDAYS[char]
    return _weekday_date(today, weekday, match.group("rel") or "")


def _date_from_en_weekday(text: str, today: date, match: re.Match[str]) -> date:
    return _weekday_date(today, _EN_WEEKDAYS[match.group("d")[:3]], match.group("rel") or "")


def _date_from_relative(text: str, today: date, match: re.Match[str]) -> date:
    return today + timedelta(days=_RELATIVE_DAYS[match.group(0)])


def _date_from_in_days(text: str, today: date, match: re.Match[str]) -> date:
    return today + timedelta(days=_small_int(text, match.group("n") or match.group("en")))


def _date_from_zh_day(text: str, today: date, match: re.Match[str]) -> date:
    return _future_day(text, today, _small_int(text, match.group("d")))


_DATE_RULES: tuple[tuple[re.Pattern[str], Callable[[str, date, re.Match[str]], date]], ...] = (
    (_ISO_DATE_RE, _date_from_year_month_day),
    (_COMPACT_DATE_RE, _date_from_year_month_day),
    (_EN_MONTH_DAY_RE, _date_from_en),
    (_EN_DAY_MONTH_RE, _date_from_en),
    (_ZH_MONTH_DAY_RE, _date_from_zh_month_day),
    (_SLASH_MONTH_DAY_RE, _date_from_zh_month_day),
    (_ZH_WEEKDAY_RE, _date_from_zh_weekday),
    (_EN_WEEKDAY_RE, _date_from_en_weekday),
    (_IN_DAYS_RE, _date_from_in_days),
    (_RELATIVE_RE, _date_from_relative),
    (_ZH_DAY_RE, _date_from_zh_day),
)


def parse_date(text: str, *, today: date) -> date:
    """A date from 今天/明天/后天, 12月5号, 2026-12-05, 2026/12/5, 下周一, tomorrow, next Monday, Dec 5...

    Dates without a year lean to the future (see the module docstring for the weekday conventions).
    """
    prepared = prepare(text)
    for pattern, build in _DATE_RULES:
        match = pattern.search(prepared)
        if match:
            return build(text, today, match)
    raise DateError("date_unreadable", text, "no readable date")
