"""The reference lending core in tests and benchmarks: its PostgreSQL database created on demand, migrated and
cleaned; customers and loans built row by row; a real core served as a uvicorn subprocess on a free port, business
date fixed to ``TEST_NOW``, the demo data seeded on demand."""

from __future__ import annotations

import datetime as dt
import os
import sys
import zlib
from decimal import Decimal

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lending_core.clock import SHANGHAI, FixedClock, SystemClock
from lending_core.config import LendingRules, Settings
from lending_core.db import create_engine_for, create_sessionmaker
from lending_core.migrate import upgrade
from lending_core.models import Base, CreditLine, Customer, Loan, SettlementAccount
from lending_core.money import ZERO, add_months
from lending_core.seed import seed_demo
from tests.utils.services import Service, answers_200, free_port, start_service

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lending_test"
TEST_API_KEY = "test-lending-core-key"
TEST_OTP_SECRET = "test-lending-core-otp-secret"


def database_url_for_tests() -> str:
    return os.environ.get("LENDING_CORE_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` if it does not exist."""
    parsed = make_url(url)
    name = parsed.database
    if not name:
        raise ValueError("the URL names no database")
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare_database(url: str) -> Settings:
    """Create and migrate the database; return test settings pointing at it."""
    ensure_database(url)
    settings = Settings(environment="test", database_url=url, api_key=TEST_API_KEY, otp_secret=TEST_OTP_SECRET)
    upgrade(settings)
    return settings


async def truncate_all(engine: AsyncEngine) -> None:
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


async def add_customer(
    *,
    session: AsyncSession,
    customer_id: str,
    mobile: str,
    today: dt.date,
    now: dt.datetime,
    rules: LendingRules,
    limit: Decimal = Decimal("5000000"),
    used: Decimal = ZERO,
    status: str = "active",
    line_start: dt.date | None = None,
    review_due: dt.date | None = None,
) -> CreditLine:
    """A customer with one settlement account (`SA<id>`) and a credit line; committed."""
    from textkit.creditcode import complete_credit_code

    session.add(
        Customer(
            id=customer_id,
            company_name=f"Test Company {customer_id}",
            credit_code=complete_credit_code(f"91310000MA{zlib.crc32(customer_id.encode()) % 10**7:07d}"),
            legal_representative="Test Person",
            mobile=mobile,
            branch="Test Branch",
            account_manager_id="AM900",
            account_manager_name="Test Manager",
            created_at=now,
        )
    )
    session.add(
        SettlementAccount(
            id=f"SA{customer_id}",
            customer_id=customer_id,
            account_number=f"6222{mobile}",
            bank_name="Test Bank",
            currency="CNY",
        )
    )
    start = line_start or today - dt.timedelta(days=100)
    line = CreditLine(
        customer_id=customer_id,
        limit_amount=limit,
        used_amount=used,
        annual_rate=rules.default_annual_rate,
        start_date=start,
        expiry_date=add_months(start, rules.line_term_months),
        review_due_date=review_due or today + dt.timedelta(days=200),
        status=status,
        updated_at=now,
    )
    session.add(line)
    await session.commit()
    return line


async def add_loan(
    *,
    session: AsyncSession,
    line: CreditLine,
    number: str,
    principal: Decimal,
    start: dt.date,
    maturity: dt.date,
    now: dt.datetime,
    rate: Decimal = Decimal("0.0385"),
    outstanding: Decimal | None = None,
    renewal_count: int = 0,
) -> Loan:
    """A loan on `line` (the line's used amount grows by the outstanding principal); committed."""
    outstanding = principal if outstanding is None else outstanding
    loan = Loan(
        number=number,
        customer_id=line.customer_id,
        credit_line_id=line.id,
        account_id=f"SA{line.customer_id}",
        principal=principal,
        annual_rate=rate,
        start_date=start,
        maturity_date=maturity,
        outstanding_principal=outstanding,
        interest_accrued=ZERO,
        interest_accrued_through=start,
        renewal_count=renewal_count,
        status="active",
        created_at=now,
    )
    session.add(loan)
    merged = await session.merge(line)
    merged.used_amount = merged.used_amount + outstanding
    await session.commit()
    return loan


# Business "now" of the tests: Monday 2 March 2026, 10:00 Beijing time.
TEST_NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
CHANNEL_VERIFICATION: dict[str, str] = {"method": "channel", "verified_by": "bank_token"}


def lending_core_settings() -> Settings:
    """Settings of a migrated test database (created when missing)."""
    return prepare_database(database_url_for_tests())


async def reset_and_seed(settings: Settings, engine: AsyncEngine | None = None, *, today_is_real: bool = False) -> None:
    """Empty every table and seed the demo customers as of the tests' business date (or of today)."""
    own_engine = engine is None
    engine = engine or create_engine_for(settings)
    try:
        await truncate_all(engine)
        clock = SystemClock() if today_is_real else FixedClock(TEST_NOW)
        async with create_sessionmaker(engine)() as session:
            await seed_demo(session=session, today=clock.today(), now=clock.now(), rules=settings.rules)
    finally:
        if own_engine:
            await engine.dispose()


def start_lending_core(
    settings: Settings, *, name: str = "lending-core", today_is_real: bool = False, port: int | None = None
) -> Service:
    """Serve the core on a free port (no migration: ``prepare_database`` did it) and wait for /healthz.

    The business date is fixed to ``TEST_NOW`` unless ``today_is_real`` (journeys through the assistant, whose
    verification windows run on the real clock)."""
    port = port or free_port()
    fixed_today = {} if today_is_real else {"LENDING_CORE_FIXED_TODAY": TEST_NOW.date().isoformat()}
    url = f"http://127.0.0.1:{port}"
    return start_service(
        name,
        [sys.executable, "-m", "lending_core", "serve", "--port", str(port), "--no-migrate"],
        url=url,
        ready=answers_200("/healthz", url),
        env={
            "LENDING_CORE_ENVIRONMENT": "test",
            "LENDING_CORE_DATABASE_URL": settings.database_url,
            "LENDING_CORE_API_KEY": TEST_API_KEY,
            "LENDING_CORE_OTP_SECRET": TEST_OTP_SECRET,
            **fixed_today,
        },
        timeout_seconds=60,
    )
