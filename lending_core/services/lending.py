"""Credit line, drawdown, repayment and renewal rules (figures from LendingRules, docs/product_rules.md).

Interest follows lending_core.money: actual/360 on the outstanding principal, rounded to the fen
(ROUND_HALF_UP) when settled. Writers open with services.common.lock_for_writing, which locks the credit line row
first, then the loan row, so concurrent drawdowns and repayments on one line are serialised and can never exceed
the limit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.clock import Clock
from lending_core.config import LendingRules
from lending_core.errors import (
    AmountOutOfRange,
    DailyLimitExceeded,
    InsufficientLine,
    LineExpired,
    LineFrozen,
    NotEligible,
    Overpayment,
    ReviewOverdue,
    ValidationFailed,
)
from lending_core.models import CreditLine, Loan, OverdueEvent, Renewal, Repayment
from lending_core.money import ZERO, accrued_interest_exact, add_months, to_fen
from lending_core.schemas import (
    ChannelVerification,
    CreditLineOut,
    DrawdownOut,
    LineStatus,
    LoanOut,
    OtpVerification,
    RenewalEligibilityOut,
    RenewalOut,
    RepaymentOut,
    ReviewState,
)
from lending_core.services.common import get_credit_line, get_customer, get_loan, lock_for_writing, new_number

Verification = OtpVerification | ChannelVerification


# ---------------------------------------------------------------- credit line


def line_status(line: CreditLine, today: dt.date) -> LineStatus:
    """active | frozen | expired (a line past its expiry date is expired whatever its stored status)."""
    if line.status == "expired" or line.expiry_date < today:
        return "expired"
    return "frozen" if line.status == "frozen" else "active"


def review_state(line: CreditLine, today: dt.date, *, reminder_days: int = 0) -> ReviewState:
    """``overdue`` past the due date (the line stops drawing); ``due_soon`` within the reminder window before it
    (the customer is told and can book the review with the account manager; rules.review_reminder_days);
    ``current`` otherwise. Only ``overdue`` stops a drawdown or a renewal."""
    if line.review_due_date < today:
        return "overdue"
    return "due_soon" if (line.review_due_date - today).days <= reminder_days else "current"


def credit_line_view(line: CreditLine, today: dt.date, rules: LendingRules) -> CreditLineOut:
    return CreditLineOut(
        customer_id=line.customer_id,
        limit=line.limit_amount,
        used=line.used_amount,
        available=line.limit_amount - line.used_amount,
        annual_rate=line.annual_rate,
        start_date=line.start_date,
        expiry_date=line.expiry_date,
        review_due_date=line.review_due_date,
        review_state=review_state(line, today, reminder_days=rules.review_reminder_days),
        status=line_status(line, today),
    )


def check_line_usable(line: CreditLine, today: dt.date) -> None:
    """Refuse a drawdown on a frozen or expired line or one whose annual review is overdue."""
    status = line_status(line, today)
    if status == "frozen":
        raise LineFrozen(customer_id=line.customer_id)
    if status == "expired":
        raise LineExpired(customer_id=line.customer_id, expiry_date=line.expiry_date.isoformat())
    if review_state(line, today) == "overdue":
        raise ReviewOverdue(customer_id=line.customer_id, review_due_date=line.review_due_date.isoformat())


async def get_credit_line_view(
    *, session: AsyncSession, customer_id: str, today: dt.date, rules: LendingRules
) -> CreditLineOut:
    line = await get_credit_line(session=session, customer_id=customer_id)
    return credit_line_view(line, today, rules)


# ---------------------------------------------------------------- loans and interest


def interest_since_settlement(loan: Loan, today: dt.date, rules: LendingRules) -> Decimal:
    """Interest from the last settlement to `today` (exclusive), rounded to the fen."""
    exact = accrued_interest_exact(
        principal=loan.outstanding_principal,
        annual_rate=loan.annual_rate,
        start=loan.interest_accrued_through,
        end=today,
        maturity=loan.maturity_date,
        basis=rules.day_count_basis,
        penalty_multiplier=rules.penalty_rate_multiplier,
    )
    return to_fen(exact)


def accrued_interest(loan: Loan, today: dt.date, rules: LendingRules) -> Decimal:
    """Unpaid interest up to today: settled interest plus interest since the last settlement."""
    return loan.interest_accrued + interest_since_settlement(loan, today, rules)


def settle_interest(loan: Loan, today: dt.date, rules: LendingRules) -> None:
    """Move the interest accrued up to today into the loan's settled interest."""
    if today > loan.interest_accrued_through:
        loan.interest_accrued = accrued_interest(loan, today, rules)
        loan.interest_accrued_through = today


def overdue_days(loan: Loan, today: dt.date) -> int:
    if loan.status != "active" or loan.outstanding_principal <= 0 or today <= loan.maturity_date:
        return 0
    return (today - loan.maturity_date).days


def loan_view(loan: Loan, today: dt.date, rules: LendingRules) -> LoanOut:
    interest = accrued_interest(loan, today, rules)
    return LoanOut(
        loan_number=loan.number,
        status="active" if loan.status == "active" else "repaid",
        principal=loan.principal,
        outstanding_principal=loan.outstanding_principal,
        annual_rate=loan.annual_rate,
        start_date=loan.start_date,
        maturity_date=loan.maturity_date,
        accrued_interest=interest,
        payoff_amount=loan.outstanding_principal + interest,
        as_of=today,
        overdue_days=overdue_days(loan, today),
        renewal_count=loan.renewal_count,
        account_id=loan.account_id,
    )


async def list_loans(*, session: AsyncSession, customer_id: str, today: dt.date, rules: LendingRules) -> list[LoanOut]:
    await get_customer(session=session, customer_id=customer_id)
    stmt = select(Loan).where(Loan.customer_id == customer_id).order_by(Loan.start_date, Loan.number)
    return [loan_view(loan, today, rules) for loan in (await session.execute(stmt)).scalars()]


async def get_loan_view(
    *, session: AsyncSession, customer_id: str, loan_number: str, today: dt.date, rules: LendingRules
) -> LoanOut:
    loan = await get_loan(session=session, customer_id=customer_id, loan_number=loan_number)
    return loan_view(loan, today, rules)


# ---------------------------------------------------------------- drawdown


async def drawdown(
    *,
    session: AsyncSession,
    customer_id: str,
    amount: Decimal,
    account_id: str,
    term_months: int,
    verification: Verification | None,
    rules: LendingRules,
    clock: Clock,
) -> DrawdownOut:
    """Draw `amount` from the line into a new loan (the line row stays locked until commit)."""
    now, today = clock.now(), clock.today()

    def check_request() -> None:
        if term_months not in rules.loan_terms_months:
            raise ValidationFailed("term_months is not offered", allowed=list(rules.loan_terms_months))
        if amount < rules.drawdown_min:
            raise AmountOutOfRange(f"the minimum drawdown is {rules.drawdown_min}", minimum=f"{rules.drawdown_min:.2f}")

    line, _ = await lock_for_writing(
        session=session,
        customer_id=customer_id,
        verification=verification,
        now=now,
        account_id=account_id,
        check_request=check_request,
    )
    check_line_usable(line, today)
    available = line.limit_amount - line.used_amount
    if amount > available:
        raise InsufficientLine(available=f"{available:.2f}", requested=f"{amount:.2f}")
    drawn_today = (
        await session.execute(
            select(func.coalesce(func.sum(Loan.principal), 0)).where(
                Loan.customer_id == customer_id, Loan.start_date == today
            )
        )
    ).scalar_one()
    drawn_today = Decimal(drawn_today)
    if drawn_today + amount > rules.drawdown_daily_max:
        raise DailyLimitExceeded(
            daily_max=f"{rules.drawdown_daily_max:.2f}",
            drawn_today=f"{drawn_today:.2f}",
            remaining_today=f"{max(rules.drawdown_daily_max - drawn_today, ZERO):.2f}",
        )
    loan = Loan(
        number=await new_number(session=session, prefix="LN", model=Loan),
        customer_id=customer_id,
        credit_line_id=line.id,
        account_id=account_id,
        principal=amount,
        annual_rate=line.annual_rate,
        start_date=today,
        maturity_date=add_months(today, term_months),
        outstanding_principal=amount,
        interest_accrued=ZERO,
        interest_accrued_through=today,
        renewal_count=0,
        status="active",
        created_at=now,
    )
    line.used_amount = line.used_amount + amount
    line.updated_at = now
    session.add(loan)
    await session.flush()
    return DrawdownOut(
        loan_number=loan.number,
        amount=amount,
        annual_rate=loan.annual_rate,
        start_date=loan.start_date,
        maturity_date=loan.maturity_date,
        account_id=account_id,
        available_after=line.limit_amount - line.used_amount,
    )


# ---------------------------------------------------------------- repayment


async def repay(
    *,
    session: AsyncSession,
    customer_id: str,
    loan_number: str,
    amount: Decimal | None,
    pay_all: bool,
    account_id: str,
    verification: Verification | None,
    rules: LendingRules,
    clock: Clock,
) -> RepaymentOut:
    """Repay interest first, then principal; `pay_all` pays the payoff amount of today."""
    now, today = clock.now(), clock.today()
    line, loan = await lock_for_writing(
        session=session,
        customer_id=customer_id,
        verification=verification,
        now=now,
        account_id=account_id,
        loan_number=loan_number,
    )
    settle_interest(loan, today, rules)
    owed = loan.outstanding_principal + loan.interest_accrued
    pay = owed if pay_all else amount
    if pay is None or pay <= 0 or pay > owed:
        raise Overpayment(payoff_amount=f"{owed:.2f}", requested=None if pay is None else f"{pay:.2f}")
    interest_paid = min(pay, loan.interest_accrued)
    principal_paid = pay - interest_paid
    loan.interest_accrued -= interest_paid
    loan.outstanding_principal -= principal_paid
    if loan.outstanding_principal == 0 and loan.interest_accrued == 0:
        loan.status = "repaid"
    line.used_amount = max(line.used_amount - principal_paid, ZERO)
    line.updated_at = now
    repayment = Repayment(
        number=await new_number(session=session, prefix="RP", model=Repayment),
        loan_number=loan.number,
        account_id=account_id,
        amount=pay,
        interest_paid=interest_paid,
        principal_paid=principal_paid,
        outstanding_after=loan.outstanding_principal,
        value_date=today,
        created_at=now,
    )
    session.add(repayment)
    await session.flush()
    return RepaymentOut(
        repayment_number=repayment.number,
        loan_number=loan.number,
        amount=pay,
        interest_paid=interest_paid,
        principal_paid=principal_paid,
        outstanding_after=loan.outstanding_principal,
        loan_status="repaid" if loan.status == "repaid" else "active",
        value_date=today,
    )


# ---------------------------------------------------------------- renewal


async def overdue_days_in_window(*, session: AsyncSession, customer_id: str, today: dt.date, months: int) -> int:
    """Total overdue days of the customer within the last `months` months (past episodes and current)."""
    window_start = add_months(today, -months)
    total = 0
    events = await session.execute(select(OverdueEvent).where(OverdueEvent.customer_id == customer_id))
    for event in events.scalars():
        end = event.start_date + dt.timedelta(days=event.days)
        overlap = (min(end, today) - max(event.start_date, window_start)).days
        total += max(overlap, 0)
    loans = await session.execute(select(Loan).where(Loan.customer_id == customer_id, Loan.status == "active"))
    for loan in loans.scalars():
        total += min(overdue_days(loan, today), (today - window_start).days)
    return total


async def assess_renewal(
    *, session: AsyncSession, loan: Loan, line: CreditLine, today: dt.date, rules: LendingRules
) -> RenewalEligibilityOut:
    """Decide approved / manual_review / declined (with reason codes) for renewing `loan` today."""
    reasons: list[str] = []
    if loan.status != "active":
        reasons.append("loan_not_active")
    days_to_maturity = (loan.maturity_date - today).days
    if not 0 <= days_to_maturity <= rules.renewal_window_days:
        reasons.append("outside_window")
    overdue_total = await overdue_days_in_window(
        session=session, customer_id=loan.customer_id, today=today, months=rules.renewal_clean_history_months
    )
    if overdue_total > rules.renewal_manual_review_max_overdue_days:
        reasons.append("overdue_history")
    if review_state(line, today) == "overdue":
        reasons.append("review_overdue")
    if line_status(line, today) != "active":
        reasons.append("line_not_active")
    if loan.renewal_count >= rules.max_renewals:
        reasons.append("max_renewals_reached")
    proposed = add_months(loan.maturity_date, rules.renewal_extension_months)
    if reasons:
        return RenewalEligibilityOut(
            loan_number=loan.number,
            decision="declined",
            reasons=reasons,
            current_maturity_date=loan.maturity_date,
            proposed_maturity_date=None,
        )
    if overdue_total > 0:
        return RenewalEligibilityOut(
            loan_number=loan.number,
            decision="manual_review",
            reasons=["minor_overdue_history"],
            current_maturity_date=loan.maturity_date,
            proposed_maturity_date=proposed,
        )
    return RenewalEligibilityOut(
        loan_number=loan.number,
        decision="approved",
        reasons=[],
        current_maturity_date=loan.maturity_date,
        proposed_maturity_date=proposed,
    )


async def renewal_eligibility(
    *, session: AsyncSession, customer_id: str, loan_number: str, today: dt.date, rules: LendingRules
) -> RenewalEligibilityOut:
    loan = await get_loan(session=session, customer_id=customer_id, loan_number=loan_number)
    line = await get_credit_line(session=session, customer_id=customer_id)
    return await assess_renewal(session=session, loan=loan, line=line, today=today, rules=rules)


async def renew(
    *,
    session: AsyncSession,
    customer_id: str,
    loan_number: str,
    verification: Verification | None,
    rules: LendingRules,
    clock: Clock,
) -> RenewalOut:
    """Renew without repaying principal: extend the maturity, or record a manual review; refuse if declined."""
    now, today = clock.now(), clock.today()
    line, loan = await lock_for_writing(
        session=session, customer_id=customer_id, verification=verification, now=now, loan_number=loan_number
    )
    assessment = await assess_renewal(session=session, loan=loan, line=line, today=today, rules=rules)
    if assessment.decision == "declined":
        raise NotEligible(decision="declined", reasons=assessment.reasons, loan_number=loan.number)
    old_maturity = loan.maturity_date
    new_maturity: dt.date | None = None
    if assessment.decision == "approved":
        settle_interest(loan, today, rules)
        new_maturity = assessment.proposed_maturity_date
        assert new_maturity is not None
        loan.maturity_date = new_maturity
        loan.renewal_count += 1
    renewal = Renewal(
        number=await new_number(session=session, prefix="RN", model=Renewal),
        loan_number=loan.number,
        decision=assessment.decision,
        reasons=assessment.reasons,
        old_maturity_date=old_maturity,
        new_maturity_date=new_maturity,
        created_at=now,
    )
    session.add(renewal)
    await session.flush()
    return RenewalOut(
        renewal_number=renewal.number,
        loan_number=loan.number,
        decision="approved" if assessment.decision == "approved" else "manual_review",
        reasons=assessment.reasons,
        new_maturity_date=new_maturity,
    )
