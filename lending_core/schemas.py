"""Request and response bodies. Amounts travel as decimal strings ("500000.00"), never as JSON numbers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from lending_core.money import format_amount, parse_amount
from textkit.creditcode import is_valid_credit_code

_AMOUNT_SCHEMA = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["500000.00"]}
LineStatus = Literal["active", "frozen", "expired"]
ReviewState = Literal["current", "due_soon", "overdue"]
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")

AmountIn = Annotated[Decimal, BeforeValidator(parse_amount), WithJsonSchema(_AMOUNT_SCHEMA)]
AmountOut = Annotated[Decimal, PlainSerializer(format_amount, return_type=str), WithJsonSchema(_AMOUNT_SCHEMA)]
RateOut = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.4f}", return_type=str),
    WithJsonSchema({"type": "string", "examples": ["0.0385"], "description": "annual rate, 0.0385 = 3.85%"}),
]


def normalise_mobile(value: str) -> str:
    """Strip spaces, dashes and a +86 prefix; require a mainland mobile number."""
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not MOBILE_RE.match(digits):
        raise ValueError("mobile must be a mainland mobile number (11 digits starting with 1)")
    return digits


def _credit_code(value: str) -> str:
    code = value.strip().upper()
    if not is_valid_credit_code(code):
        raise ValueError("credit_code is not a valid unified social credit code (GB 32100-2015)")
    return code


Mobile = Annotated[str, AfterValidator(normalise_mobile)]
CreditCode = Annotated[str, AfterValidator(_credit_code)]


class StrictIn(BaseModel):
    """Base of request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OtpVerification(StrictIn):
    """The customer confirmed a one-time code (`verification_id` from POST /verifications)."""

    method: Literal["otp"]
    verification_id: str = Field(min_length=1, max_length=64)


class ChannelVerification(StrictIn):
    """The hub verified a signed token from the bank's page; the core trusts the authenticated caller."""

    method: Literal["channel"]
    verified_by: Literal["bank_token"]


VerificationIn = Annotated[OtpVerification | ChannelVerification, Field(discriminator="method")]


class ApplicationIn(StrictIn):
    company_name: str = Field(min_length=1, max_length=200)
    credit_code: CreditCode
    contact_name: str = Field(min_length=1, max_length=100)
    mobile: Mobile
    amount: AmountIn
    term_months: int
    purpose: str = Field(min_length=1, max_length=500)
    credit_check_consent: Literal[True]
    customer_id: str | None = Field(default=None, max_length=16)
    channel: str = Field(default="assistant", min_length=1, max_length=32)


class ApplicationCreated(BaseModel):
    application_number: str
    status: str
    submitted_at: dt.datetime


class ApplicationOut(BaseModel):
    application_number: str
    status: Literal["submitted", "under_review", "approved", "declined"]
    reasons: list[str]
    amount: AmountOut
    term_months: int
    company_name: str
    customer_id: str | None
    submitted_at: dt.datetime


class AccountManagerOut(BaseModel):
    id: str
    name: str


class CustomerProfileOut(BaseModel):
    """Who the customer is and who looks after them (for trusted internal callers: the actions and the hub)."""

    customer_id: str
    company_name: str
    legal_representative: str
    mobile: str
    branch: str
    account_manager: AccountManagerOut


class CreditLineOut(BaseModel):
    customer_id: str
    limit: AmountOut
    used: AmountOut
    available: AmountOut
    annual_rate: RateOut
    currency: str = "CNY"
    start_date: dt.date
    expiry_date: dt.date
    review_due_date: dt.date
    review_state: ReviewState
    status: LineStatus


class AccountOut(BaseModel):
    account_id: str
    masked_number: str
    bank_name: str
    currency: str


class AccountsOut(BaseModel):
    customer_id: str
    accounts: list[AccountOut]


class LoanOut(BaseModel):
    loan_number: str
    status: Literal["active", "repaid"]
    principal: AmountOut
    outstanding_principal: AmountOut
    annual_rate: RateOut
    start_date: dt.date
    maturity_date: dt.date
    accrued_interest: AmountOut
    payoff_amount: AmountOut
    as_of: dt.date
    overdue_days: int
    renewal_count: int
    account_id: str


class LoansOut(BaseModel):
    customer_id: str
    loans: list[LoanOut]


class DrawdownIn(StrictIn):
    amount: AmountIn
    account_id: str = Field(min_length=1, max_length=32)
    term_months: int
    verification: VerificationIn | None = None


class DrawdownOut(BaseModel):
    loan_number: str
    amount: AmountOut
    annual_rate: RateOut
    start_date: dt.date
    maturity_date: dt.date
    account_id: str
    available_after: AmountOut


class RepaymentIn(StrictIn):
    amount: AmountIn | None = None
    all: bool = False
    account_id: str = Field(min_length=1, max_length=32)
    verification: VerificationIn | None = None

    @model_validator(mode="after")
    def _amount_or_all(self) -> RepaymentIn:
        if self.all == (self.amount is not None):
            raise ValueError('give either "amount" or "all": true')
        if self.amount is not None and self.amount <= 0:
            raise ValueError("amount must be positive")
        return self


class RepaymentOut(BaseModel):
    repayment_number: str
    loan_number: str
    amount: AmountOut
    interest_paid: AmountOut
    principal_paid: AmountOut
    outstanding_after: AmountOut
    loan_status: Literal["active", "repaid"]
    value_date: dt.date


class RenewalEligibilityOut(BaseModel):
    loan_number: str
    decision: Literal["approved", "declined", "manual_review"]
    reasons: list[str]
    current_maturity_date: dt.date
    proposed_maturity_date: dt.date | None


class RenewalIn(StrictIn):
    verification: VerificationIn | None = None


class RenewalOut(BaseModel):
    renewal_number: str
    loan_number: str
    decision: Literal["approved", "manual_review"]
    reasons: list[str]
    new_maturity_date: dt.date | None


class VerificationStartIn(StrictIn):
    mobile: Mobile


class VerificationStarted(BaseModel):
    verification_id: str
    masked_mobile: str
    expires_at: dt.datetime


class VerificationConfirmIn(StrictIn):
    code: str = Field(pattern=r"^\d{6}$")


class VerificationConfirmed(BaseModel):
    verification_id: str
    customer_id: str
    verified_until: dt.datetime


class SmsOut(BaseModel):
    mobile: str
    body: str
    created_at: dt.datetime


class SmsOutboxOut(BaseModel):
    messages: list[SmsOut]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, object] = {}


class ErrorResponse(BaseModel):
    """The one error shape of the API."""

    error: ErrorDetail
