"""Interest, dates, amounts and credit codes against hand-computed examples."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from lending_core.config import LendingRules
from lending_core.money import accrued_interest_exact, add_months, parse_amount, to_fen
from textkit.creditcode import check_character, is_valid_credit_code

D = Decimal


def interest(principal: str, rate: str, start: dt.date, end: dt.date, maturity: dt.date) -> Decimal:
    return to_fen(
        accrued_interest_exact(principal=D(principal), annual_rate=D(rate), start=start, end=end, maturity=maturity)
    )


def test_actual_360_hand_computed() -> None:
    start, maturity = dt.date(2026, 1, 1), dt.date(2027, 1, 1)
    # 500000 x 0.0385 x 30 / 360 = 1604.1666... -> 1604.17
    assert interest("500000", "0.0385", start, dt.date(2026, 1, 31), maturity) == D("1604.17")
    # one day on 1,000,000: 1000000 x 0.0385 / 360 = 106.9444... -> 106.94
    assert interest("1000000", "0.0385", start, dt.date(2026, 1, 2), maturity) == D("106.94")
    # February 2026 has 28 actual days: 360000 x 0.045 x 28 / 360 = 1260.00
    assert interest("360000", "0.045", dt.date(2026, 2, 1), dt.date(2026, 3, 1), maturity) == D("1260.00")
    # a full year of 365 days under actual/360: 100000 x 0.0385 x 365 / 360 = 3903.4722 -> 3903.47
    assert interest("100000", "0.0385", start, dt.date(2027, 1, 1), maturity) == D("3903.47")
    # the day of drawdown accrues nothing
    assert interest("100000", "0.0385", start, start, maturity) == D("0.00")


def test_half_up_rounding_at_settlement() -> None:
    # 1000 x 0.0360 x 5 / 360 = 0.5 exactly; 1500 x 0.0360 x 1 / 360 = 0.15; 125 x 0.0360 x 1 / 360 = 0.0125
    start, maturity = dt.date(2026, 1, 1), dt.date(2027, 1, 1)
    assert interest("1000", "0.036", start, dt.date(2026, 1, 6), maturity) == D("0.50")
    assert interest("125", "0.036", start, dt.date(2026, 1, 2), maturity) == D("0.01")
    assert interest("375", "0.036", start, dt.date(2026, 1, 2), maturity) == D("0.04")  # 0.0375 -> 0.04


def test_penalty_interest_after_maturity() -> None:
    # 300000 at 3.85%: 5 days before maturity plus 15 days after at 1.5 x the rate
    # 300000 x 0.0385 x 5 / 360 = 160.4166..., 300000 x 0.05775 x 15 / 360 = 721.875 -> total 882.29
    maturity = dt.date(2026, 2, 15)
    assert interest("300000", "0.0385", dt.date(2026, 2, 10), dt.date(2026, 3, 2), maturity) == D("882.29")


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 3, 2), 36) == dt.date(2029, 3, 2)
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)


@pytest.mark.parametrize("text", ["500000", "500000.5", "500000.50", "0.01"])
def test_parse_amount_accepts_decimal_strings(text: str) -> None:
    assert parse_amount(text) == D(text)


@pytest.mark.parametrize("value", [500000.0, 1.5, "1.234", "NaN", "Infinity", "-5", "1e5", "", True, None])
def test_parse_amount_refuses_floats_and_bad_strings(value: object) -> None:
    with pytest.raises(ValueError):
        parse_amount(value)


def test_credit_code_check_character() -> None:
    assert is_valid_credit_code("914403001922038216")
    assert check_character("91350100M000100Y4") == "3"
    assert not is_valid_credit_code("914403001922038217")
    assert not is_valid_credit_code("91440300192203821")  # 17 characters
    assert not is_valid_credit_code("9144030019220382I6")  # I is not in the alphabet


def test_rules_match_product_rules_document() -> None:
    """Every `config field` in docs/product_rules.md with a plain figure matches LendingRules."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "product_rules.md").read_text(encoding="utf-8")
    rules = LendingRules()
    assert f"`{'application_amount_min'}`" in doc and rules.application_amount_min == D("10000")
    assert rules.application_amount_max == D("10000000") and rules.online_amount_limit == D("3000000")
    assert rules.loan_terms_months == (3, 6, 12, 24, 36)
    assert rules.drawdown_min == D("1000") and rules.drawdown_daily_max == D("5000000")
    assert (rules.rate_min, rules.rate_max, rules.default_annual_rate) == (D("0.0345"), D("0.06"), D("0.0385"))
    assert rules.day_count_basis == 360 and rules.penalty_rate_multiplier == D("1.5")
    assert (rules.renewal_window_days, rules.renewal_extension_months, rules.max_renewals) == (30, 12, 1)
    assert rules.renewal_manual_review_max_overdue_days == 3
    assert (rules.otp_length, rules.otp_valid_minutes, rules.otp_max_attempts) == (6, 5, 5)
    assert (rules.otp_max_per_minute, rules.otp_max_per_hour, rules.verified_session_minutes) == (1, 5, 30)
    for field in re.findall(r"\| `([a-z_]+)` \|", doc):
        if not field.endswith("_"):
            assert field in LendingRules.model_fields, field
