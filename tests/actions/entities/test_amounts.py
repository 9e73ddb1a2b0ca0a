"""Amounts in yuan as customers write them (actions/entities/amounts.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.entities import (
    AmountError,
    NormalizationError,
    is_all_amount,
    parse_amount,
)

AMOUNTS = [
    ("50万", "500000"),
    ("五十万", "500000"),
    ("伍拾万元", "500000"),
    ("伍拾万圆整", "500000"),
    ("伍拾萬圓整", "500000"),
    ("500,000元", "500000"),
    ("500000", "500000"),
    ("￥500,000.00", "500000"),
    ("¥500,000.00", "500000"),
    ("RMB 500k", "500000"),
    ("rmb500000", "500000"),
    ("CNY 500,000", "500000"),
    ("500000 yuan", "500000"),
    ("0.5 million", "500000"),
    ("1.2 million", "1200000"),
    ("1.2m", "1200000"),
    ("50w", "500000"),
    ("50W", "500000"),
    ("200k", "200000"),
    ("200K", "200000"),
    ("3000块", "3000"),
    ("三千块钱", "3000"),
    ("一百二十万", "1200000"),
    ("1.5亿", "150000000"),
    ("两百万", "2000000"),
    ("八十万整", "800000"),
    ("1,000,000.50", "1000000.50"),
    ("100万元人民币", "1000000"),
    ("50 万", "500000"),
    ("500 000", "500000"),
    ("５０万", "500000"),
    ("十万", "100000"),
    ("一万五", "15000"),
    ("三千五", "3500"),
    ("一百零五", "105"),
    ("一万零五百", "10500"),
    ("1万5千", "15000"),
    ("五千万", "50000000"),
    ("一亿五千万", "150000000"),
    ("一点五万", "15000"),
    ("0.001万", "10"),
    ("0.0001万", "1"),
    ("1.23456k", "1234.56"),
    ("99.99", "99.99"),
    ("我要提款50万", "500000"),
    ("申请100万经营贷", "1000000"),
    ("repay 10,000", "10000"),
    ("withdraw 200k from my line", "200000"),
    ("50万，期限一年", "500000"),
    ("五", "5"),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_parse_amount(text: str, expected: str) -> None:
    value = parse_amount(text)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2  # quantized to fen


AMOUNT_REFUSALS = [
    ("0", "amount_zero"),
    ("0.00元", "amount_zero"),
    ("零元", "amount_zero"),
    ("0万", "amount_zero"),
    ("-500", "amount_negative"),
    ("-50万", "amount_negative"),
    ("负五十万", "amount_negative"),
    ("minus 200", "amount_negative"),
    ("1.234", "amount_precision"),
    ("1.234567k", "amount_precision"),
    ("0.0000001万", "amount_precision"),
    ("abc", "amount_unreadable"),
    ("", "amount_unreadable"),
    ("很多钱", "amount_unreadable"),
    ("一笔贷款", "amount_unreadable"),
    ("全部", "amount_unreadable"),
    ("50-80万", "amount_ambiguous"),
    ("从50万改成80万", "amount_ambiguous"),
    ("$500", "amount_currency"),
    ("100美元", "amount_currency"),
    ("500 USD", "amount_currency"),
    ("1000港币", "amount_currency"),
]


@pytest.mark.parametrize(("text", "code"), AMOUNT_REFUSALS)
def test_parse_amount_refusals(text: str, code: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert caught.value.code == code
    assert isinstance(caught.value, NormalizationError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全部", True),
        ("全额还款", True),
        ("全部还清", True),
        ("还清", True),
        ("结清", True),
        ("all", True),
        ("All of it", True),
        ("everything", True),
        ("in full", True),
        ("repay the full amount", True),
        ("部分还款", False),
        ("not all of it", False),
        ("50万", False),
        ("small", False),
        ("call me", False),
        ("", False),
    ],
)
def test_is_all_amount(text: str, expected: bool) -> None:
    assert is_all_amount(text) is expected


# -------------------------------------------------------------------------------------------------- term
