"""Loan terms in months: 6个月, 半年, 一年半, 三年期, 36期, 12 months, 2 years, half a year."""

from __future__ import annotations

import re
from decimal import Decimal

from actions.entities.errors import TermError
from actions.entities.numbers import CN_NUMBER_CHARS, parse_chinese_number, prepare

_EN_NUMBERS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
}  # fmt: skip
_EN_NUMBER_PATTERN = (
    r"(?:twenty|thirty|forty|fifty)[\s-]?(?:one|two|three|four|five|six|seven|eight|nine)"
    r"|" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True))
)
_ZH_TERM_RE = re.compile(
    rf"(?P<half_before>半)?(?P<num>\d+(?:\.\d+)?|[{CN_NUMBER_CHARS}]+)?\s*个?\s*"
    r"(?P<unit>月|季度|年|期)(?P<half_after>半)?"
)
_EN_TERM_RE = re.compile(
    rf"(?<![a-z0-9.])(?P<num>\d+(?:\.\d+)?|half\s+an?|{_EN_NUMBER_PATTERN})"
    r"(?P<and_half>\s+and\s+a\s+half)?[\s-]*"
    r"(?P<unit>months?|mos?|mths?|quarters?|years?|yrs?|y)(?![a-z])(?P<and_half_after>\s+and\s+a\s+half)?"
)
_TERM_UNIT_MONTHS: dict[str, int] = {"月": 1, "期": 1, "季度": 3, "年": 12}


def _en_number(word: str) -> Decimal | None:
    word = word.strip()
    if word[0].isdigit():
        return Decimal(word)
    if word.startswith("half"):
        return Decimal("0.5")
    parts = re.split(r"[\s-]+", word)
    if all(part in _EN_NUMBERS for part in parts):
        return Decimal(sum(_EN_NUMBERS[part] for part in parts))
    return None


def _term_months(text: str, count: Decimal, unit_months: int) -> int:
    months = count * unit_months
    if months <= 0 or months != months.to_integral_value():
        raise TermError("term_invalid", text, "the term must be a whole number of months")
    return int(months)


def parse_term_months(text: str) -> int:
    """Loan term in months: 6个月, 半年, 一年半, 三年期, 36期, 12 months, 2 years, half a year, a year..."""
    prepared = prepare(text)
    found = [zh for zh in _ZH_TERM_RE.finditer(prepared) if zh.group("num") or zh.group("half_before")]
    match = found[0] if found else None
    if match:
        unit_months = _TERM_UNIT_MONTHS[match.group("unit")]
        if match.group("half_before") and not match.group("num"):
            count = Decimal("0.5")  # 半年
        else:
            parsed = parse_chinese_number(match.group("num"))
            if parsed is None:
                raise TermError("term_unreadable", text, "unreadable number")
            count = parsed + (Decimal("0.5") if match.group("half_after") else 0)
        return _term_months(text, count, unit_months)
    en = _EN_TERM_RE.search(prepared)
    if en:
        count_or_none = _en_number(en.group("num"))
        if count_or_none is None:
            raise TermError("term_unreadable", text, "unreadable number")
        if en.group("and_half") or en.group("and_half_after"):
            count_or_none += Decimal("0.5")
        unit = en.group("unit")
        unit_months = 12 if unit.startswith("y") else 3 if unit.startswith("q") else 1
        return _term_months(text, count_or_none, unit_months)
    raise TermError("term_unreadable", text, "no readable term")
