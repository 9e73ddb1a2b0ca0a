"""Entity normalisers for the SME lending assistant.

Pure functions: each takes the text of an extracted entity (or a short customer message) and returns a
typed value, or raises a :class:`NormalizationError` subclass whose ``code`` is stable, so that the actions
can turn it into a bilingual reply.  Nothing is read at import time; the OpenCC converter is created lazily
on first use.

Error codes (``NormalizationError.code``):

* amount: ``amount_unreadable``, ``amount_negative``, ``amount_zero``, ``amount_precision`` (more than
  2 decimals of a yuan), ``amount_ambiguous`` (two different amounts in one text), ``amount_currency``
  (a foreign currency such as USD or HKD)
* term: ``term_unreadable``, ``term_invalid`` (zero or not a whole number of months)
* mobile: ``mobile_format`` (no 11-digit number), ``mobile_invalid`` (11 digits, not a mainland mobile)
* credit code: ``credit_code_format`` (length or characters), ``credit_code_checksum``
* date: ``date_unreadable``, ``date_invalid`` (e.g. 2月30日)
* account number: ``account_number_invalid``
* references: ``application_number_invalid``, ``loan_number_invalid``, ``service_request_number_invalid``

Conventions chosen here (documented for the actions):

* ``下周一`` and ``next Monday`` both mean the Monday of the next calendar week (weeks start on Monday);
  ``这周五``/``本周五``/``this Friday`` mean the day of the current week (may be in the past); a bare
  weekday (``周五``, ``Friday``) means the next such day on or after ``today``.
* Month/day without a year (``12月5号``, ``Dec 5``, ``12/5`` read month first as in Chinese) and a bare
  day (``5号``) are future-leaning: the first
  such date on or after ``today``.
* Colloquial Chinese amounts: ``一万五`` is 15,000 and ``三千五`` is 3,500 (a single digit after a unit of
  at least 百 is one tenth of that unit).
* ``mask_id_number`` keeps only the first and the last character (``1****************X``): the first six
  digits are the region of birth and the last four include the sex digit, so logs and handoff packets get
  no more than is needed to tell two numbers apart.
* ``detect_language`` returns ``None`` for text with neither CJK characters nor Latin letters (empty,
  digits, punctuation); the caller keeps the conversation's current language.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Protocol

from textkit.masking import mask_account, mask_credit_code, mask_id_number, mask_mobile, mask_text

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "CREDIT_CODE_CHARSET",
    "AccountNumberError",
    "AmountError",
    "CreditCodeError",
    "DateError",
    "Language",
    "MobileError",
    "NormalizationError",
    "ReferenceNumberError",
    "TermError",
    "credit_code_check_character",
    "detect_language",
    "is_all_amount",
    "mask_account",
    "mask_credit_code",
    "mask_id_number",
    "mask_mobile",
    "mask_text",
    "normalize_account_number",
    "parse_amount",
    "parse_date",
    "parse_mobile",
    "parse_term_months",
    "to_simplified",
    "validate_application_number",
    "validate_credit_code",
    "validate_loan_number",
    "validate_service_request_number",
]

Language = Literal["zh", "en"]


# --------------------------------------------------------------------------------------------- errors
class NormalizationError(ValueError):
    """Base class: ``code`` is a stable machine-readable reason, ``text`` the input that was refused."""

    def __init__(self, code: str, text: str, detail: str = "") -> None:
        self.code = code
        self.text = text
        self.detail = detail
        super().__init__(f"{code}: {detail or text!r}")


class AmountError(NormalizationError):
    pass


class TermError(NormalizationError):
    pass


class MobileError(NormalizationError):
    pass


class CreditCodeError(NormalizationError):
    pass


class DateError(NormalizationError):
    pass


class AccountNumberError(NormalizationError):
    pass


class ReferenceNumberError(NormalizationError):
    pass


# ------------------------------------------------------------------------------------ text utilities
class _Converter(Protocol):
    def convert(self, string: str) -> str: ...


@functools.cache
def _t2s_converter() -> _Converter:
    from opencc import OpenCC  # imported lazily: building the converter reads its dictionaries

    converter: _Converter = OpenCC("t2s")
    return converter


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese (OpenCC ``t2s``); the converter is created once, lazily."""
    if not text:
        return text
    return _t2s_converter().convert(text)


_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]+")


def detect_language(text: str) -> Language | None:
    """``"zh"`` when CJK characters make up at least half of (CJK characters + Latin words), else ``"en"``.

    A tie goes to Chinese (the bank's default language).

    A Chinese character carries about as much as an English word, hence characters against words.
    Returns ``None`` when the text has neither (empty, digits only, punctuation).
    """
    normal = unicodedata.normalize("NFKC", text)
    cjk = len(_CJK_RE.findall(normal))
    words = len(_LATIN_WORD_RE.findall(normal))
    if cjk == 0 and words == 0:
        return None
    return "zh" if cjk >= words else "en"


def _prepare(text: str) -> str:
    """NFKC (full-width -> half-width), Traditional -> Simplified, lower case, trimmed."""
    normal = unicodedata.normalize("NFKC", text)
    if not normal.isascii():
        normal = to_simplified(normal)
    return normal.strip().lower()


# ----------------------------------------------------------------------------------- Chinese numbers
_CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
_CN_SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS: dict[str, int] = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CN_NUMBER_CHARS = "".join([*_CN_DIGITS, *_CN_SMALL_UNITS, *_CN_BIG_UNITS, "点"])
_NUMBER_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?|.", re.DOTALL)


def _parse_cn_number(text: str) -> Decimal | None:
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


# -------------------------------------------------------------------------------------------- amount
_CENT = Decimal("0.01")
_FOREIGN_CURRENCY_RE = re.compile(
    r"\$|€|£|美元|美金|港币|港元|欧元|英镑|日元|澳元|(?<![a-z])(?:usd|hkd|eur|gbp|jpy|dollars?|euros?)(?![a-z])"
)
_CURRENCY_RE = re.compile(r"人民币|块钱|元整|圆整|[元圆块¥￥整]|(?<![a-z])(?:rmb|cny|yuan|renminbi)(?![a-z])")
_LATIN_MULTIPLIERS: dict[str, Decimal] = {
    "k": Decimal(10**3), "thousand": Decimal(10**3), "w": Decimal(10**4), "m": Decimal(10**6),
    "mn": Decimal(10**6), "million": Decimal(10**6), "bn": Decimal(10**9), "billion": Decimal(10**9),
}  # fmt: skip
_AMOUNT_CANDIDATE_RE = re.compile(
    rf"(?<![0-9a-z.])(?P<sign>[-−负]|minus\s*|negative\s*)?"
    rf"(?P<core>(?:\d+(?:\.\d+)?|[{_CN_NUMBER_CHARS}])++)"
    r"(?:\s*(?P<unit>million|thousand|billion|mn|bn|k|w|m))?(?![a-z0-9])"
)
_AMOUNT_STRONG_RE = re.compile(r"\d|[十拾百佰千仟万萬亿億]")
_ALL_AMOUNT_RE = re.compile(
    r"全部|全额|还清|结清|全还|一次性还|所有|(?<![a-z])(?:all|everything|in full|full amount|pay off|payoff|"
    r"entire|the whole|whole amount|outstanding balance)(?![a-z])"
)
_PARTIAL_AMOUNT_RE = re.compile(
    r"部分|不全|不是全|(?<![a-z])(?:partial|part of|not all|not the full)(?![a-z])",
)


def mentions_foreign_currency(text: str) -> bool:
    """True when the text names a currency other than the yuan ($500, 1000美元, 200 euros): never read as yuan."""
    return bool(_FOREIGN_CURRENCY_RE.search(_prepare(text)))


def is_all_amount(text: str) -> bool:
    """True when the customer means the whole amount (全部/全额/还清/结清/all/in full/...)."""
    prepared = _prepare(text)
    return bool(_ALL_AMOUNT_RE.search(prepared)) and not _PARTIAL_AMOUNT_RE.search(prepared)


def parse_amount(text: str) -> Decimal:
    """Amount in yuan, exact, quantized to 0.01: 50万, 伍拾万圆整, ￥500,000.00, RMB 500k, 1.2 million, 50w.

    A text with several different amounts is refused (``amount_ambiguous``); one amount inside a sentence
    (我要提款50万) is accepted.
    """
    prepared = _prepare(text)
    if _FOREIGN_CURRENCY_RE.search(prepared):
        raise AmountError("amount_currency", text, "only amounts in yuan (RMB) are accepted")
    had_currency = bool(_CURRENCY_RE.search(prepared))
    cleaned = _CURRENCY_RE.sub(" ", prepared)
    cleaned = re.sub(r"(?<=\d)[,，](?=\d)", "", cleaned)  # thousands separators
    cleaned = re.sub(r"(?<=\d)[ \u00a0'](?=\d{3}(?!\d))", "", cleaned)  # 500 000
    cleaned = re.sub(rf"(?<=[\d{_CN_NUMBER_CHARS}])\s+(?=[{_CN_NUMBER_CHARS}])", "", cleaned)  # 50 万
    cleaned = cleaned.strip()

    matches = list(_AMOUNT_CANDIDATE_RE.finditer(cleaned))
    whole = len(matches) == 1 and matches[0].group(0).strip() == cleaned
    values: list[tuple[Decimal, bool]] = []
    for match in matches:
        core, unit = match.group("core"), match.group("unit")
        if not (whole or had_currency or unit or _AMOUNT_STRONG_RE.search(core)):
            continue  # a lone 一 in 一笔贷款 is not an amount
        value = _parse_cn_number(core)
        if value is None:
            continue
        if unit:
            value *= _LATIN_MULTIPLIERS[unit]
        values.append((value, match.group("sign") is not None))
    if not values:
        raise AmountError("amount_unreadable", text, "no readable amount")
    if len({value for value, _ in values}) > 1:
        raise AmountError("amount_ambiguous", text, "more than one amount")
    value, negative = values[0]
    if value == 0:
        raise AmountError("amount_zero", text, "the amount is zero")
    if negative:
        raise AmountError("amount_negative", text, "the amount is negative")
    if value != value.quantize(_CENT):
        raise AmountError("amount_precision", text, "more than 2 decimals of a yuan")
    return value.quantize(_CENT)


# ---------------------------------------------------------------------------------------------- term
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
    rf"(?P<half_before>半)?(?P<num>\d+(?:\.\d+)?|[{_CN_NUMBER_CHARS}]+)?\s*个?\s*"
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
    prepared = _prepare(text)
    found = [zh for zh in _ZH_TERM_RE.finditer(prepared) if zh.group("num") or zh.group("half_before")]
    match = found[0] if found else None
    if match:
        unit_months = _TERM_UNIT_MONTHS[match.group("unit")]
        if match.group("half_before") and not match.group("num"):
            count = Decimal("0.5")  # 半年
        else:
            parsed = _parse_cn_number(match.group("num"))
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


# -------------------------------------------------------------------------------------------- mobile
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-()（）.·/]")


def parse_mobile(text: str) -> str:
    """Mainland mobile number as 11 digits; spaces, dashes and a +86/0086/86 prefix are accepted."""
    compact = _PHONE_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", text))
    runs = re.findall(r"\d+", compact)
    candidates: list[str] = []
    for run in runs:
        if len(run) == 13 and run.startswith("86"):
            run = run[2:]
        elif len(run) == 15 and run.startswith("0086"):
            run = run[4:]
        if len(run) == 11:
            candidates.append(run)
    mobiles = {candidate for candidate in candidates if _MOBILE_RE.fullmatch(candidate)}
    if len(mobiles) == 1:
        return mobiles.pop()
    if candidates and not mobiles:
        raise MobileError("mobile_invalid", text, "not a mainland mobile number")
    raise MobileError("mobile_format", text, "expected one 11-digit mobile number")


# --------------------------------------------------------------------------------------- credit code
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CREDIT_CODE_RE = re.compile(rf"[{CREDIT_CODE_CHARSET}]{{18}}")


def credit_code_check_character(first17: str) -> str:
    """Check character of a unified social credit code (GB 32100-2015) from its first 17 characters."""
    body = first17.strip().upper()
    if len(body) != 17 or any(char not in CREDIT_CODE_CHARSET for char in body):
        raise CreditCodeError("credit_code_format", first17, "17 characters from the code charset expected")
    pairs = zip(body, _CREDIT_CODE_WEIGHTS, strict=True)
    total = sum(CREDIT_CODE_CHARSET.index(char) * weight for char, weight in pairs)
    check = 31 - total % 31
    return CREDIT_CODE_CHARSET[0 if check == 31 else check]


def validate_credit_code(text: str) -> str:
    """Canonical (upper-case, no spaces) unified social credit code, check character verified."""
    code = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
    if not _CREDIT_CODE_RE.fullmatch(code):
        raise CreditCodeError("credit_code_format", text, "18 characters from 0-9 and A-Y without I O S V Z")
    if credit_code_check_character(code[:17]) != code[17]:
        raise CreditCodeError("credit_code_checksum", text, "wrong check character")
    return code


# ---------------------------------------------------------------------------------------------- date
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
_IN_DAYS_RE = re.compile(rf"(?P<n>\d+|[{_CN_NUMBER_CHARS}]+)\s*天(?:后|以后|之后)|in\s+(?P<en>\d+)\s+days?")
_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*[日号]?")
_COMPACT_DATE_RE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_ZH_MONTH_DAY_RE = re.compile(
    rf"(?<![\d{_CN_NUMBER_CHARS}])(?P<m>\d{{1,2}}|[{_CN_NUMBER_CHARS}]{{1,3}})\s*月\s*"
    rf"(?P<d>\d{{1,2}}|[{_CN_NUMBER_CHARS}]{{1,4}})\s*[日号]?"
)
_SLASH_MONTH_DAY_RE = re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])")
_ZH_DAY_RE = re.compile(
    rf"(?<![\d{_CN_NUMBER_CHARS}月])(?P<d>\d{{1,2}}|[{_CN_NUMBER_CHARS}]{{1,4}})\s*[日号]",
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
    parsed = _parse_cn_number(value)
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
    prepared = _prepare(text)
    for pattern, build in _DATE_RULES:
        match = pattern.search(prepared)
        if match:
            return build(text, today, match)
    raise DateError("date_unreadable", text, "no readable date")


# ------------------------------------------------------------------------------- account and masking
def normalize_account_number(text: str) -> str:
    """Bank account or card number: digits only, 12 to 19 digits (spaces and dashes tolerated)."""
    digits = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text))
    if not re.fullmatch(r"\d{12,19}", digits):
        raise AccountNumberError("account_number_invalid", text, "12 to 19 digits expected")
    return digits


# ------------------------------------------------------------------------------- reference numbers
def _reference_number(text: str, prefix: str, code: str) -> str:
    compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
    if not re.fullmatch(rf"{prefix}\d{{10}}", compact):
        raise ReferenceNumberError(code, text, f"{prefix} followed by 10 digits expected")
    return compact


def validate_application_number(text: str) -> str:
    """``AP`` + 10 digits, case-insensitive, spaces tolerated -> ``AP2026112901``."""
    return _reference_number(text, "AP", "application_number_invalid")


def validate_loan_number(text: str) -> str:
    """``LN`` + 10 digits, case-insensitive, spaces tolerated -> ``LN2026112903``."""
    return _reference_number(text, "LN", "loan_number_invalid")


def validate_service_request_number(text: str) -> str:
    """``SR`` + 10 digits, case-insensitive, spaces tolerated -> ``SR2026112907``."""
    return _reference_number(text, "SR", "service_request_number_invalid")
