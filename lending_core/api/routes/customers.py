"""Credit line, settlement accounts, loans, drawdowns, repayments and renewals of a customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from sqlalchemy import select

from lending_core.api.deps import CallerDep, ClockDep, IdempotentDep, RulesDep, SessionDep
from lending_core.api.responses import errors
from lending_core.models import SettlementAccount
from lending_core.schemas import (
    AccountManagerOut,
    AccountOut,
    AccountsOut,
    CreditLineOut,
    CustomerProfileOut,
    DrawdownIn,
    DrawdownOut,
    LoanOut,
    LoansOut,
    RenewalEligibilityOut,
    RenewalIn,
    RenewalOut,
    RepaymentIn,
    RepaymentOut,
)
from lending_core.services import lending
from lending_core.services.common import get_customer

router = APIRouter(prefix="/customers/{customer_id}", tags=["customers"])

CustomerId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]
LoanNumber = Annotated[str, Path(pattern=r"^LN\d{10}$")]


def _mask(number: str) -> str:
    return "*" * max(len(number) - 4, 0) + number[-4:]


@router.get("/profile", response_model=CustomerProfileOut, responses=errors(401, 404))
async def read_profile(customer_id: CustomerId, session: SessionDep, _caller: CallerDep) -> CustomerProfileOut:
    """The registered mobile (for a call back) and the account manager and branch (for service requests)."""
    customer = await get_customer(session=session, customer_id=customer_id)
    return CustomerProfileOut(
        customer_id=customer.id,
        company_name=customer.company_name,
        legal_representative=customer.legal_representative,
        mobile=customer.mobile,
        branch=customer.branch,
        account_manager=AccountManagerOut(id=customer.account_manager_id, name=customer.account_manager_name),
    )


@router.get("/credit-line", response_model=CreditLineOut, responses=errors(401, 404))
async def read_credit_line(
    customer_id: CustomerId, session: SessionDep, clock: ClockDep, rules: RulesDep, _caller: CallerDep
) -> CreditLineOut:
    return await lending.get_credit_line_view(
        session=session, customer_id=customer_id, today=clock.today(), rules=rules
    )


@router.get("/accounts", response_model=AccountsOut, responses=errors(401, 404))
async def read_accounts(customer_id: CustomerId, session: SessionDep, _caller: CallerDep) -> AccountsOut:
    await get_customer(session=session, customer_id=customer_id)
    rows = await session.execute(
        select(SettlementAccount).where(SettlementAccount.customer_id == customer_id).order_by(SettlementAccount.id)
    )
    return AccountsOut(
        customer_id=customer_id,
        accounts=[
            AccountOut(
                account_id=row.id,
                masked_number=_mask(row.account_number),
                bank_name=row.bank_name,
                currency=row.currency,
            )
            for row in rows.scalars()
        ],
    )


@router.get("/loans", response_model=LoansOut, responses=errors(401, 404))
async def read_loans(
    customer_id: CustomerId, session: SessionDep, clock: ClockDep, rules: RulesDep, _caller: CallerDep
) -> LoansOut:
    loans = await lending.list_loans(session=session, customer_id=customer_id, today=clock.today(), rules=rules)
    return LoansOut(customer_id=customer_id, loans=loans)


@router.get("/loans/{loan_number}", response_model=LoanOut, responses=errors(401, 404))
async def read_loan(
    customer_id: CustomerId,
    loan_number: LoanNumber,
    session: SessionDep,
    clock: ClockDep,
    rules: RulesDep,
    _caller: CallerDep,
) -> LoanOut:
    return await lending.get_loan_view(
        session=session, customer_id=customer_id, loan_number=loan_number, today=clock.today(), rules=rules
    )


@router.post(
    "/drawdowns",
    status_code=201,
    response_model=DrawdownOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Draw from the credit line into a new loan (Idempotency-Key and verification required)",
)
async def post_drawdown(
    customer_id: CustomerId,
    body: DrawdownIn,
    session: SessionDep,
    clock: ClockDep,
    rules: RulesDep,
    idempotent: IdempotentDep,
) -> JSONResponse:
    return await idempotent.respond(
        endpoint=f"POST /customers/{customer_id}/drawdowns",
        body=body,
        operation=lambda: lending.drawdown(
            session=session,
            customer_id=customer_id,
            amount=body.amount,
            account_id=body.account_id,
            term_months=body.term_months,
            verification=body.verification,
            rules=rules,
            clock=clock,
        ),
    )


@router.post(
    "/loans/{loan_number}/repayments",
    status_code=201,
    response_model=RepaymentOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Repay a loan, interest first (Idempotency-Key and verification required)",
)
async def post_repayment(
    customer_id: CustomerId,
    loan_number: LoanNumber,
    body: RepaymentIn,
    session: SessionDep,
    clock: ClockDep,
    rules: RulesDep,
    idempotent: IdempotentDep,
) -> JSONResponse:
    return await idempotent.respond(
        endpoint=f"POST /customers/{customer_id}/loans/{loan_number}/repayments",
        body=body,
        operation=lambda: lending.repay(
            session=session,
            customer_id=customer_id,
            loan_number=loan_number,
            amount=body.amount,
            pay_all=body.all,
            account_id=body.account_id,
            verification=body.verification,
            rules=rules,
            clock=clock,
        ),
    )


@router.get(
    "/loans/{loan_number}/renewal-eligibility",
    response_model=RenewalEligibilityOut,
    responses=errors(401, 404),
)
async def read_renewal_eligibility(
    customer_id: CustomerId,
    loan_number: LoanNumber,
    session: SessionDep,
    clock: ClockDep,
    rules: RulesDep,
    _caller: CallerDep,
) -> RenewalEligibilityOut:
    return await lending.renewal_eligibility(
        session=session, customer_id=customer_id, loan_number=loan_number, today=clock.today(), rules=rules
    )


@router.post(
    "/loans/{loan_number}/renewals",
    status_code=201,
    response_model=RenewalOut,
    responses=errors(400, 401, 403, 404, 409, 422),
    summary="Renew without repaying principal (declined -> 409 not_eligible with the reasons)",
)
async def post_renewal(
    customer_id: CustomerId,
    loan_number: LoanNumber,
    body: RenewalIn,
    session: SessionDep,
    clock: ClockDep,
    rules: RulesDep,
    idempotent: IdempotentDep,
) -> JSONResponse:
    return await idempotent.respond(
        endpoint=f"POST /customers/{customer_id}/loans/{loan_number}/renewals",
        body=body,
        operation=lambda: lending.renew(
            session=session,
            customer_id=customer_id,
            loan_number=loan_number,
            verification=body.verification,
            rules=rules,
            clock=clock,
        ),
    )
