"""Loan terms in months (actions/entities/terms.py)."""

from __future__ import annotations

import pytest

from actions.entities import (
    TermError,
    parse_term_months,
)

TERMS = [
    ("6个月", 6),
    ("六个月", 6),
    ("3个月", 3),
    ("半年", 6),
    ("一年", 12),
    ("1年", 12),
    ("两年", 24),
    ("三年", 36),
    ("三年期", 36),
    ("36期", 36),
    ("十二期", 12),
    ("18个月", 18),
    ("十八个月", 18),
    ("三十六个月", 36),
    ("一年半", 18),
    ("1.5年", 18),
    ("一个季度", 3),
    ("期限一年", 12),
    ("兩年", 24),
    ("12 months", 12),
    ("18 months", 18),
    ("2 years", 24),
    ("1 yr", 12),
    ("6 mo", 6),
    ("2y", 24),
    ("half a year", 6),
    ("a year", 12),
    ("one year", 12),
    ("eighteen months", 18),
    ("twenty-four months", 24),
    ("a year and a half", 18),
    ("one and a half years", 18),
    ("12-month", 12),
]


@pytest.mark.parametrize(("text", "months"), TERMS)
def test_parse_term_months(text: str, months: int) -> None:
    assert parse_term_months(text) == months


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0个月", "term_invalid"),
        ("1.2年", "term_invalid"),
        ("半个月", "term_invalid"),
        ("forever", "term_unreadable"),
        ("", "term_unreadable"),
        ("50万", "term_unreadable"),
    ],
)
def test_parse_term_refusals(text: str, code: str) -> None:
    with pytest.raises(TermError) as caught:
        parse_term_months(text)
    assert caught.value.code == code


# ------------------------------------------------------------------------------------------------ mobile
