"""Amounts in yuan: 50万, 伍拾万圆整, ￥500,000.00, RMB 500k, 1.2 million, 50w; "all of it"; a foreign currency."""

from __future__ import annotations

import re
from decimal import Decimal

from actions.entities.errors import AmountError
from actions.entities.numbers import CN_NUMBER_CHARS, parse_chinese_number, prepare

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
    rf"(?P<core>(?:\d+(?:\.\d+)?|[{CN_NUMBER_CHARS}])++)"
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
    return bool(_FOREIGN_CURRENCY_RE.search(prepare(text)))


def is_all_amount(text: str) -> bool:
    """True when the customer means the whole amount (全部/全额/还清/结清/all/in full/...)."""
    prepared = prepare(text)
    return bool(_ALL_AMOUNT_RE.search(prepared)) and not _PARTIAL_AMOUNT_RE.search(prepared)


def parse_amount(text: str) -> Decimal:
    """Amount in yuan, exact, quantized to 0.01: 50万, 伍拾万圆整, ￥500,000.00, RMB 500k, 1.2 million, 50w.

    A text with several different amounts is refused (``amount_ambiguous``); one amount inside a sentence
    (我要提款50万) is accepted.
    """
    prepared = prepare(text)
    if _FOREIGN_CURRENCY_RE.search(prepared):
        raise AmountError("amount_currency", text, "only amounts in yuan (RMB) are accepted")
    had_currency = bool(_CURRENCY_RE.search(prepared))
    cleaned = _CURRENCY_RE.sub(" ", prepared)
    cleaned = re.sub(r"(?<=\d)[,，](?=\d)", "", cleaned)  # thousands separators
    cleaned = re.sub(r"(?<=\d)[ \u00a0'](?=\d{3}(?!\d))", "", cleaned)  # 500 000
    cleaned = re.sub(rf"(?<=[\d{CN_NUMBER_CHARS}])\s+(?=[{CN_NUMBER_CHARS}])", "", cleaned)  # 50 万
    cleaned = cleaned.strip()

    matches = list(_AMOUNT_CANDIDATE_RE.finditer(cleaned))
    whole = len(matches) == 1 and matches[0].group(0).strip() == cleaned
    values: list[tuple[Decimal, bool]] = []
    for match in matches:
        core, unit = match.group("core"), match.group("unit")
        if not (whole or had_currency or unit or _AMOUNT_STRONG_RE.search(core)):
            continue  # a lone 一 in 一笔贷款 is not an amount
        value = parse_chinese_number(core)
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
