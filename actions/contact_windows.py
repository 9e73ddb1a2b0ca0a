"""When an account manager can contact a customer: windows of the account managers' working hours, offered as
buttons, and what a customer's words ("明天上午", "tomorrow afternoon", "2") mean among the windows offered.

Pure functions of the hours, the instant and the text; the actions give them the clock (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from actions.entities import NormalizationError, parse_date
from businesshours import LOOKAHEAD_DAYS, BusinessHours
from textkit.chinese import to_simplified

SKILL = "account_manager"
WINDOWS_OFFERED = 4
# A window starts at least this long after the request, so the account manager has time to see it.
LEAD_TIME = dt.timedelta(hours=1)
NOON = 12 * 60

_ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)"
_INTERVAL_RE = re.compile(rf"({_ISO})\s*/\s*({_ISO})")
_WEEKDAYS_ZH = "一二三四五六日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, order=True)
class Window:
    """One working range of one day, e.g. 2026-12-07 09:00-12:00 (Asia/Shanghai)."""

    start: dt.datetime
    end: dt.datetime

    @property
    def value(self) -> str:
        """The slot value: ``<start ISO>/<end ISO>`` with the +08:00 offset."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def is_morning(self) -> bool:
        return self.start.hour * 60 + self.start.minute < NOON

    @classmethod
    def parse(cls, text: str, tz: dt.tzinfo) -> Window | None:
        """A window written as ``<start ISO>/<end ISO>`` anywhere in the text (a button's payload), else None."""
        found = _INTERVAL_RE.search(text)
        if not found:
            return None
        try:
            start, end = (dt.datetime.fromisoformat(part.replace("Z", "+00:00")) for part in found.groups())
        except ValueError:
            return None
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            return None
        return cls(start.astimezone(tz), end.astimezone(tz))

    def label(self, language: str) -> str:
        """``12月7日（周一）上午 09:00-12:00`` / ``Mon 7 Dec, morning 09:00-12:00``."""
        hours = f"{self.start:%H:%M}-{self.end:%H:%M}"
        day = self.start
        if language == "en":
            part = "morning" if self.is_morning else "afternoon"
            return f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]}, {part} {hours}"
        part = "上午" if self.is_morning else "下午"
        return f"{day.month}月{day.day}日（周{_WEEKDAYS_ZH[day.weekday()]}）{part} {hours}"


def contact_windows(
    hours: BusinessHours, now: dt.datetime, *, count: int = WINDOWS_OFFERED, skill: str = SKILL
) -> list[Window]:
    """The next ``count`` working ranges of the skill, each starting at least ``LEAD_TIME`` after ``now``."""
    earliest = now.astimezone(hours.tz) + LEAD_TIME
    windows: list[Window] = []
    for offset in range(LOOKAHEAD_DAYS):
        day = earliest.date() + dt.timedelta(days=offset)
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=hours.tz)
        for time_range in sorted(hours.ranges(skill, day), key=lambda r: r.start):
            window = Window(
                midnight + dt.timedelta(minutes=time_range.start), midnight + dt.timedelta(minutes=time_range.end)
            )
            if window.start >= earliest:
                windows.append(window)
                if len(windows) == count:
                    return windows
    return windows


# ------------------------------------------------------------------------------- what the customer said

_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_EN_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_INDEX_ZH_RE = re.compile(r"^(?:选|选择|就|要)?\s*第?\s*([1-4一二两三四])\s*(?:个|号时段|个时段)?\s*(?:吧|时段)?$")
_INDEX_EN_RE = re.compile(
    r"^(?:(?:option|number|no\.?|#|choice)\s*)?([1-4])$|^(?:the\s+)?(first|second|third|fourth|1st|2nd|3rd|4th)"
    r"(?:\s+(?:one|option|window|slot))?$"
)
_MORNING_RE = re.compile(r"上午|早上|早晨|上半天|(?<![a-z])(?:morning|am|a\.m\.)(?![a-z])")
_AFTERNOON_RE = re.compile(r"下午|午后|下半天|(?<![a-z])(?:afternoon|pm|p\.m\.)(?![a-z])")
_HOUR_ZH_RE = re.compile(r"(?<!\d)(\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:点|时|:|：)(?:\s*(\d{2})|半)?")
_HOUR_EN_RE = re.compile(r"(?<![\d:])(\d{1,2})(?::(\d{2}))?\s*(am|pm|o'?clock)(?![a-z])")
_CN_HOURS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CN_HOURS.update({"十一": 11, "十二": 12})


@dataclass(frozen=True)
class WindowWords:
    """What a message says about a window: a position in the list, a day, morning or afternoon, an hour."""

    index: int | None = None
    day: dt.date | None = None
    morning: bool | None = None
    minute: int | None = None
    window: Window | None = None

    @property
    def says_when(self) -> bool:
        """The message names a time (not only a position in the list)."""
        return self.window is not None or self.day is not None or self.morning is not None or self.minute is not None


def read_window_words(text: str, *, today: dt.date, tz: dt.tzinfo) -> WindowWords:
    cleaned = to_simplified(text).strip().lower().strip(" 。.!！,，")
    explicit = Window.parse(text, tz)
    if explicit is not None:
        return WindowWords(window=explicit)
    zh_index = _INDEX_ZH_RE.match(cleaned)
    if zh_index:
        return WindowWords(index=_ORDINALS[zh_index.group(1)])
    en_index = _INDEX_EN_RE.match(cleaned)
    if en_index:
        return WindowWords(index=int(en_index.group(1)) if en_index.group(1) else _EN_ORDINALS[en_index.group(2)])
    morning: bool | None = None
    if _MORNING_RE.search(cleaned):
        morning = True
    if _AFTERNOON_RE.search(cleaned):
        morning = None if morning else False
    minute = _minute_of(cleaned, morning)
    if minute is not None and morning is None:
        morning = minute < NOON
    try:
        day: dt.date | None = parse_date(cleaned, today=today)
    except NormalizationError:
        day = None
    return WindowWords(day=day, morning=morning, minute=minute)


def _minute_of(text: str, morning: bool | None) -> int | None:
    """The time of day a message names (下午3点, 10:30, 3pm), in minutes after midnight."""
    zh = _HOUR_ZH_RE.search(text)
    en = _HOUR_EN_RE.search(text)
    if en:
        hour, minutes = int(en.group(1)), int(en.group(2) or 0)
        if en.group(3) == "pm" and hour < 12:
            hour += 12
        elif en.group(3) != "am" and morning is False and hour < 12:
            hour += 12
    elif zh:
        raw = zh.group(1)
        hour = int(raw) if raw.isdigit() else _CN_HOURS.get(raw, -1)
        minutes = 30 if zh.group(0).endswith("半") else int(zh.group(2) or 0)
        if morning is False and hour < 12:
            hour += 12
        elif morning is None and 1 <= hour <= 6:
            hour += 12  # 3点 with no 上午/下午 is an office hour: 15:00
    else:
        return None
    if not (0 <= hour <= 23 and 0 <= minutes < 60):
        return None
    return hour * 60 + minutes


def match_window(words: WindowWords, options: list[Window], *, near: Window | None = None) -> Window | None:
    """The one offered window the words point at, or None when they point at none or at several.

    ``near`` is the window chosen before (a correction such as 换成下午 keeps its day when it can).
    """
    if words.window is not None:
        return words.window if words.window in options else None
    if words.index is not None:
        return options[words.index - 1] if words.index <= len(options) else None
    if not words.says_when:
        return None
    candidates = [
        w
        for w in options
        if (words.day is None or w.start.date() == words.day)
        and (words.morning is None or w.is_morning == words.morning)
        and (words.minute is None or _contains(w, words.minute))
    ]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    if words.day is None and (words.morning is not None or words.minute is not None):
        # "下午" alone: the afternoon of the day already chosen, else the nearest one.
        same_day = [w for w in candidates if near is not None and w.start.date() == near.start.date()]
        return same_day[0] if same_day else candidates[0]
    return None  # "明天" with a morning and an afternoon: ask which


def _contains(window: Window, minute: int) -> bool:
    start = window.start.hour * 60 + window.start.minute
    end = window.end.hour * 60 + window.end.minute or 24 * 60
    return start <= minute < end
