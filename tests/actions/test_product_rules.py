"""The assistant checks answers against the same product rules the reference lending core enforces."""

from __future__ import annotations

from actions.products import (
    APPLICATION_AMOUNT_MAX,
    APPLICATION_AMOUNT_MIN,
    DRAWDOWN_MIN,
    LOAN_TERMS_MONTHS,
    ONLINE_AMOUNT_LIMIT,
)
from lending_core.config import LendingRules


def test_the_assistant_and_the_core_share_the_product_rules() -> None:
    rules = LendingRules()
    assert APPLICATION_AMOUNT_MIN == rules.application_amount_min
    assert APPLICATION_AMOUNT_MAX == rules.application_amount_max
    assert ONLINE_AMOUNT_LIMIT == rules.online_amount_limit
    assert LOAN_TERMS_MONTHS == rules.loan_terms_months
    assert DRAWDOWN_MIN == rules.drawdown_min
