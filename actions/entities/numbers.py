"""Numbers as customers write them (一百二十万, 伍拾万, 1.5亿, 1万5千, 一点五, 二〇二六), and the text the parsers read.

Convention: ``一万五`` is 15,000 and ``三千五`` is 3,500 (a single digit after a unit of at least 百 is one tenth of
that unit).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from textkit.chinese import to_simplified


def prepare(text: str) -> str:
    """What the parsers read: NFKC (full-width -> half-width), Traditional -> Simplified, lower case, trimmed."""
    return to_simplified(unicodedata.normalize("NFKC", text)).strip().lower()


_CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
_CN_SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS: dict[str, int] = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
CN_NUMBER_CHARS = "".join([*_CN_DIGITS, *_CN_SMALL_UNITS, *_CN_BIG_UNITS, "点"])
_NUMBER_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?|.", re.DOTALL)


def parse_chinese_number(text: str) -> Decimal | None:
    """Value of a Chinese, Arabic or mixed numeral (一百二十万, 伍拾万, 1.5亿, 1万5千, 一点五, 二〇二六).

    Returns ``None`` when the text is not a well-formed numeral.
    """
    if not text:
        return None
    total = Decimal(0)  # completed 亿 groups
    wan = Decimal(0)  # completed 万 group below the current 亿
    small = Decimal(0)  # 十/百/千 part of the current group
    number: Decimal | None = None
    frac_scale: Decimal | None = None
    prev: str = "start"  # start | arabic | digit | point | unit
    last_small_unit: int | None = None
    last_unit: int | None = None
    number_after_unit = False
    number_tokens = 0
    zero_after_unit = False

    for token in _NUMBER_TOKEN_RE.findall(text):
        if token[0].isdigit():
            if prev in ("arabic", "digit", "point"):
                return None
            number = Decimal(token)
            number_after_unit = prev == "unit"
            number_tokens = 1
            prev = "arabic"
        elif token in _CN_DIGITS:
            value = _CN_DIGITS[token]
            if frac_scale is not None:
                assert number is not None
                number += value * frac_scale
                frac_scale /= 10
            elif prev == "digit":
                assert number is not None
                number = number * 10 + value  # read digit by digit: 二〇二六
                number_tokens += 1
            elif prev == "arabic":
                return None
            else:
                number = Decimal(value)
                number_after_unit = prev == "unit"
                number_tokens = 1
                if value == 0 and prev == "unit":
                    zero_after_unit = True
            prev = "digit"
        elif token == "点":
            if prev not in ("digit", "arabic") or frac_scale is not None:
                return None
            frac_scale = Decimal("0.1")
            prev = "point"
        elif token in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[token]
            if prev == "point" or (last_small_unit is not None and unit >= last_small_unit):
                return None
            small += (number if number is not None else Decimal(1)) * unit
            number, frac_scale = None, None
            last_small_unit = last_unit = unit
            zero_after_unit = False
            prev = "unit"
        elif token in _CN_BIG_UNITS:
            unit = _CN_BIG_UNITS[token]
            if prev == "point":
                return None
            group = small + (number if number is not None else Decimal(0))
            if group == 0 and number is None:
                if prev == "start":
                    group = Decimal(1)  # 万 alone
                elif not (unit == 10**8 and prev == "unit" and last_unit == 10**4):
                    return None
            if unit == 10**4:
                if wan:
                    return None
                wan = group * unit
            else:
                total = (total + wan + group) * unit
                wan = Decimal(0)
            small, number, frac_scale = Decimal(0), None, None
            last_small_unit = None
            last_unit = unit
            zero_after_unit = False
            prev = "unit"
        else:
            return None

    if prev in ("start", "point"):
        return None
    if number is not None:
        colloquial = (
            number_after_unit
            and not zero_after_unit
            and number_tokens == 1
            and last_unit is not None
            and last_unit >= 100
            and number == number.to_integral_value()
            and 1 <= number <= 9
        )
        if colloquial:
            assert last_unit is not None
            number = number * last_unit / 10  # 一万五 = 15000, 三千五 = 3500
    return total + wan + small + (number if number is not None else Decimal(0))
