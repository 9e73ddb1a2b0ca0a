"""Look-ups, number generation, the verification check and the opening steps shared by the services.

Concurrency: every writer on a customer's lending rows opens with `lock_for_writing`, which takes the row locks
(SELECT ... FOR UPDATE, held until the transaction ends) in one order: the credit line, then the loan. Two
writers on one line therefore queue on the line's row (a drawdown and a repayment can never both read the same
used amount, so the limit holds) and never wait on each other in opposite orders (no deadlock).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any, overload

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.errors import AccountNotFound, CustomerNotFound, CustomerNotVerified, LoanNotFound
from lending_core.models import CreditLine, Customer, Loan, SettlementAccount, Verification
from lending_core.schemas import ChannelVerification, OtpVerification


async def get_customer(*, session: AsyncSession, customer_id: str) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id=customer_id)
    return customer


async def get_credit_line(*, session: AsyncSession, customer_id: str, lock: bool = False) -> CreditLine:
    """The customer's credit line; with `lock` the row is locked (SELECT ... FOR UPDATE) until commit."""
    stmt = select(CreditLine).where(CreditLine.customer_id == customer_id)
    if lock:
        stmt = stmt.with_for_update()
    line = (await session.execute(stmt)).scalar_one_or_none()
    if line is None:
        await get_customer(session=session, customer_id=customer_id)
        raise CustomerNotFound("the customer has no credit line", customer_id=customer_id)
    return line


async def get_account(*, session: AsyncSession, customer_id: str, account_id: str) -> SettlementAccount:
    account = await session.get(SettlementAccount, account_id)
    if account is None or account.customer_id != customer_id:
        raise AccountNotFound(account_id=account_id)
    return account


async def get_loan(*, session: AsyncSession, customer_id: str, loan_number: str, lock: bool = False) -> Loan:
    stmt = select(Loan).where(Loan.number == loan_number, Loan.customer_id == customer_id)
    if lock:
        stmt = stmt.with_for_update()
    loan = (await session.execute(stmt)).scalar_one_or_none()
    if loan is None:
        await get_customer(session=session, customer_id=customer_id)
        raise LoanNotFound(loan_number=loan_number)
    return loan


async def new_number(*, session: AsyncSession, prefix: str, model: Any) -> str:
    """A fresh number: prefix + 10 random digits, checked against the table."""
    for _ in range(20):
        number = f"{prefix}{secrets.randbelow(10**10):010d}"
        if await session.get(model, number) is None:
            return number
    raise RuntimeError(f"could not allocate a {prefix} number")


async def require_verified(
    *,
    session: AsyncSession,
    customer_id: str,
    verification: OtpVerification | ChannelVerification | None,
    now: dt.datetime,
) -> None:
    """Refuse (customer_not_verified) unless the request carries a valid verification for this customer."""
    if verification is None:
        raise CustomerNotVerified("this request needs a verified customer")
    if isinstance(verification, ChannelVerification):
        return
    record = await session.get(Verification, verification.verification_id)
    if (
        record is None
        or record.customer_id != customer_id
        or record.status != "confirmed"
        or record.verified_until is None
        or record.verified_until <= now
    ):
        raise CustomerNotVerified("the verification is missing, expired or not for this customer")


@overload
async def lock_for_writing(
    *,
    session: AsyncSession,
    customer_id: str,
    verification: OtpVerification | ChannelVerification | None,
    now: dt.datetime,
    loan_number: str,
    account_id: str | None = None,
    check_request: Callable[[], None] | None = None,
) -> tuple[CreditLine, Loan]: ...


@overload
async def lock_for_writing(
    *,
    session: AsyncSession,
    customer_id: str,
    verification: OtpVerification | ChannelVerification | None,
    now: dt.datetime,
    loan_number: None = None,
    account_id: str | None = None,
    check_request: Callable[[], None] | None = None,
) -> tuple[CreditLine, None]: ...


async def lock_for_writing(
    *,
    session: AsyncSession,
    customer_id: str,
    verification: OtpVerification | ChannelVerification | None,
    now: dt.datetime,
    loan_number: str | None = None,
    account_id: str | None = None,
    check_request: Callable[[], None] | None = None,
) -> tuple[CreditLine, Loan | None]:
    """The opening steps of a writer, in this order (so the first failing step names the error): the customer
    (customer_not_found), its verification (customer_not_verified), `check_request` (the request's own rules,
    refused before any lock is taken), the settlement account `account_id` (account_not_found), then the credit
    line and the loan `loan_number`, each locked until the transaction ends (line first, see the module)."""
    await get_customer(session=session, customer_id=customer_id)
    await require_verified(session=session, customer_id=customer_id, verification=verification, now=now)
    if check_request is not None:
        check_request()
    if account_id is not None:
        await get_account(session=session, customer_id=customer_id, account_id=account_id)
    line = await get_credit_line(session=session, customer_id=customer_id, lock=True)
    if loan_number is None:
        return line, None
    return line, await get_loan(session=session, customer_id=customer_id, loan_number=loan_number, lock=True)
