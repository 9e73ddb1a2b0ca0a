"""Money and interest arithmetic.

Convention (docs/product_rules.md): interest accrues daily on the outstanding principal, day count
actual/360. The daily interest is ``outstanding principal x annual rate / 360``; it is not rounded per day.
For a period in which the principal does not change, the interest is ``principal x rate x days / 360``
(days = actual calendar days from the accrual start date, inclusive, to the end date, exclusive). After
maturity an unpaid principal accrues penalty interest at ``penalty multiplier (1.5) x the contract rate``.
The amount is rounded to the fen (0.01 yuan) with ROUND_HALF_UP when it is settled: stored on the loan
at a repayment or renewal, or shown as "accrued interest to today".

Example: 500,000.00 at 3.85% for 30 days = 500000 x 0.0385 x 30 / 360 = 1604.1666... -> 1604.17.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
_AMOUNT_RE = re.compile(r"^(0|[1-9]\d{0,15})(\.\d{1,2})?$")


def to_fen(value: Decimal) -> Decimal:
    """Round to the fen, half up."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def parse_amount(value: object) -> Decimal:
    """Parse a JSON amount: a decimal string with at most 2 decimals (never a float)."""
    if isinstance(value, Decimal) and value.is_finite():
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError('amount must be a decimal string such as "500000.00"')
    if not _AMOUNT_RE.match(text):
        raise ValueError("amount must be a non-negative decimal string with at most 2 decimals")
    return Decimal(text).quantize(FEN)


def format_amount(value: Decimal) -> str:
    """Format an amount as a string with exactly 2 decimals."""
    return f"{to_fen(value):.2f}"


def accrued_interest_exact(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    start: dt.date,
    end: dt.date,
    maturity: dt.date,
    basis: int = 360,
    penalty_multiplier: Decimal = Decimal("1.5"),
) -> Decimal:
    """Unrounded interest on a constant principal from `start` (inclusive) to `end` (exclusive)."""
    if end <= start or principal <= 0:
        return Decimal(0)
    normal_end = min(end, maturity)
    normal_days = max((normal_end - start).days, 0)
    penalty_start = max(start, maturity)
    penalty_days = max((end - penalty_start).days, 0)
    normal = principal * annual_rate * normal_days / basis
    penalty = principal * annual_rate * penalty_multiplier * penalty_days / basis
    return normal + penalty


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the end of the month (Jan 31 + 1 month = Feb 28/29)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")
