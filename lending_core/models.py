"""SQLAlchemy 2 models of the lending core. Money is Numeric(18, 2) / Decimal; times are timezone-aware."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from lending_core.clock import SHANGHAI

Money = Numeric(18, 2)
Rate = Numeric(8, 6)


class AwareDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetime: stored in UTC (SQLite has no time zones), read back in Asia/Shanghai."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(SHANGHAI)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention for constraints."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: AwareDateTime(),
        Decimal: Money,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Customer(Base):
    """An SME customer (company)."""

    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20), unique=True)
    branch: Mapped[str] = mapped_column(String(100))
    account_manager_id: Mapped[str] = mapped_column(String(32))
    account_manager_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime]

    accounts: Mapped[list[SettlementAccount]] = relationship(back_populates="customer")
    credit_line: Mapped[CreditLine | None] = relationship(back_populates="customer")


class SettlementAccount(Base):
    """A settlement account into which drawdowns are paid and from which repayments are taken."""

    __tablename__ = "settlement_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    account_number: Mapped[str] = mapped_column(String(32), unique=True)
    bank_name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")

    customer: Mapped[Customer] = relationship(back_populates="accounts")


class CreditLine(Base):
    """A revolving three-year credit line with an annual review."""

    __tablename__ = "credit_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), unique=True)
    limit_amount: Mapped[Decimal]
    used_amount: Mapped[Decimal]
    annual_rate: Mapped[Decimal] = mapped_column(Rate)
    start_date: Mapped[dt.date]
    expiry_date: Mapped[dt.date]
    review_due_date: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(16))  # active | frozen | expired
    updated_at: Mapped[dt.datetime]

    customer: Mapped[Customer] = relationship(back_populates="credit_line")


class Application(Base):
    """A loan application (may come from a prospect without a customer id)."""

    __tablename__ = "applications"

    number: Mapped[str] = mapped_column(String(12), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    company_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    contact_name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal]
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # submitted | under_review | approved | declined
    reasons: Mapped[list[str]]
    decision_status: Mapped[str] = mapped_column(String(16))
    decision_reasons: Mapped[list[str]]
    decision_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime]


class Loan(Base):
    """A loan created by a drawdown on the credit line."""

    __tablename__ = "loans"

    number: Mapped[str] = mapped_column(String(12), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    credit_line_id: Mapped[int] = mapped_column(ForeignKey("credit_lines.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("settlement_accounts.id"))
    principal: Mapped[Decimal]
    annual_rate: Mapped[Decimal] = mapped_column(Rate)
    start_date: Mapped[dt.date] = mapped_column(index=True)
    maturity_date: Mapped[dt.date]
    outstanding_principal: Mapped[Decimal]
    # Interest settled (rounded to the fen) and not yet paid, accrued up to (excluding) this date.
    interest_accrued: Mapped[Decimal]
    interest_accrued_through: Mapped[dt.date]
    renewal_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))  # active | repaid
    created_at: Mapped[dt.datetime]


class OverdueEvent(Base):
    """A past overdue episode of a customer's loan (repayment history used by renewal rules)."""

    __tablename__ = "overdue_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    loan_number: Mapped[str | None] = mapped_column(String(12))
    start_date: Mapped[dt.date]
    days: Mapped[int]


class Repayment(Base):
    """A repayment on a loan: interest first, then principal."""

    __tablename__ = "repayments"

    number: Mapped[str] = mapped_column(String(12), primary_key=True)
    loan_number: Mapped[str] = mapped_column(ForeignKey("loans.number"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("settlement_accounts.id"))
    amount: Mapped[Decimal]
    interest_paid: Mapped[Decimal]
    principal_paid: Mapped[Decimal]
    outstanding_after: Mapped[Decimal]
    value_date: Mapped[dt.date]
    created_at: Mapped[dt.datetime]


class Renewal(Base):
    """A renewal (无还本续贷) request and its decision."""

    __tablename__ = "renewals"

    number: Mapped[str] = mapped_column(String(12), primary_key=True)
    loan_number: Mapped[str] = mapped_column(ForeignKey("loans.number"), index=True)
    decision: Mapped[str] = mapped_column(String(16))  # approved | manual_review
    reasons: Mapped[list[str]]
    old_maturity_date: Mapped[dt.date]
    new_maturity_date: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime]


class IdempotencyRecord(Base):
    """The first response to an Idempotency-Key, per caller and endpoint."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("caller", "endpoint", "key", name="uq_idempotency_caller_endpoint_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    caller: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]


class Verification(Base):
    """A one-time-code verification (step-up). Codes are stored as HMAC-SHA256 hashes."""

    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_mobile_created", "mobile", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    mobile: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))  # pending | confirmed | locked
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    confirmed_at: Mapped[dt.datetime | None]
    verified_until: Mapped[dt.datetime | None]


class SmsOutbox(Base):
    """Text messages waiting for the SMS gateway (the reference core only stores them)."""

    __tablename__ = "sms_outbox"
    __table_args__ = (Index("ix_sms_outbox_mobile_created", "mobile", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mobile: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime]
