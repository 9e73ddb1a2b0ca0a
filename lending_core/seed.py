"""Demo data (idempotent): companies covering every path of the assistant. Listed in DEMO_DATA.md.

Dates are relative to the business date of the seeding run; a customer that already exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.config import LendingRules
from lending_core.models import CreditLine, Customer, Loan, OverdueEvent, SettlementAccount
from lending_core.money import ZERO, add_months
from textkit.creditcode import complete_credit_code


@dataclass(frozen=True)
class DemoLoan:
    number: str
    principal: Decimal
    outstanding: Decimal
    start_offset_days: int
    maturity_offset_days: int
    renewal_count: int = 0


@dataclass(frozen=True)
class DemoCustomer:
    id: str
    company_name: str
    credit_code_body: str
    legal_representative: str
    mobile: str
    limit: Decimal
    line_status: str = "active"
    line_start_offset_days: int = -200
    review_due_offset_days: int = 165
    loans: tuple[DemoLoan, ...] = ()
    overdue_events: tuple[tuple[int, int], ...] = ()  # (start offset in days, days overdue)
    branch: str = "上海浦东支行 Shanghai Pudong Branch"
    manager: tuple[str, str] = ("AM001", "王芳 Wang Fang")
    extra: dict[str, str] = field(default_factory=dict)


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        "C1001",
        "上海东方贸易有限公司",
        "91310115MA1K0000",
        "张伟",
        "13800000001",
        Decimal("5000000"),
        loans=(DemoLoan("LN1001000001", Decimal("1200000"), Decimal("1200000"), -60, 305),),
    ),
    DemoCustomer(
        "C1002",
        "杭州小蜜蜂餐饮管理有限公司",
        "91330106MA2B0000",
        "李娜",
        "13800000002",
        Decimal("2000000"),
        line_status="frozen",
    ),
    DemoCustomer(
        "C1003",
        "苏州顺达物流有限公司",
        "91320505MA1C0000",
        "王强",
        "13800000003",
        Decimal("3000000"),
        loans=(DemoLoan("LN1003000001", Decimal("500000"), Decimal("300000"), -380, -15),),
    ),
    DemoCustomer(
        "C1004",
        "南京明辉电子科技有限公司",
        "91320106MA1D0000",
        "陈静",
        "13800000004",
        Decimal("4000000"),
        review_due_offset_days=20,
        loans=(DemoLoan("LN1004000001", Decimal("800000"), Decimal("800000"), -355, 10),),
    ),
    DemoCustomer(
        "C1005",
        "宁波海丰包装材料有限公司",
        "91330205MA2E0000",
        "刘洋",
        "13800000005",
        Decimal("3000000"),
        loans=(DemoLoan("LN1005000001", Decimal("600000"), Decimal("600000"), -355, 10),),
        overdue_events=((-240, 2),),
    ),
    DemoCustomer(
        "C1006",
        "合肥绿源农业发展有限公司",
        "91340100MA2F0000",
        "赵敏",
        "13800000006",
        Decimal("2000000"),
        review_due_offset_days=-20,
        loans=(DemoLoan("LN1006000001", Decimal("400000"), Decimal("400000"), -350, 15),),
    ),
    DemoCustomer(
        "C1007",
        "无锡恒通机械制造有限公司",
        "91320200MA1G0000",
        "孙磊",
        "13800000007",
        Decimal("3000000"),
        loans=(DemoLoan("LN1007000001", Decimal("700000"), Decimal("700000"), -700, 20, renewal_count=1),),
    ),
    DemoCustomer(
        "C1008",
        "厦门蓝海进出口有限公司",
        "91350200MA2H0000",
        "周杰",
        "13800000008",
        Decimal("1000000"),
        line_start_offset_days=-1100,
        review_due_offset_days=10,
    ),
)


def demo_credit_code(customer: DemoCustomer) -> str:
    """17 characters (body padded with a digit from the id) plus the GB 32100-2015 check character."""
    return complete_credit_code((customer.credit_code_body + customer.id[-1])[:17])


async def seed_demo(*, session: AsyncSession, today: dt.date, now: dt.datetime, rules: LendingRules) -> list[str]:
    """Create the demo customers that do not exist yet; return the ids created."""
    created: list[str] = []
    for demo in DEMO_CUSTOMERS:
        if await session.get(Customer, demo.id) is not None:
            continue
        created.append(demo.id)
        session.add(
            Customer(
                id=demo.id,
                company_name=demo.company_name,
                credit_code=demo_credit_code(demo),
                legal_representative=demo.legal_representative,
                mobile=demo.mobile,
                branch=demo.branch,
                account_manager_id=demo.manager[0],
                account_manager_name=demo.manager[1],
                created_at=now,
            )
        )
        account_id = f"SA{demo.id[1:]}01"
        session.add(
            SettlementAccount(
                id=account_id,
                customer_id=demo.id,
                account_number=f"62220210{demo.id[1:]}0000{demo.id[-1]}01",
                bank_name="示范银行 Demo Bank",
                currency="CNY",
            )
        )
        start = today + dt.timedelta(days=demo.line_start_offset_days)
        used = sum((loan.outstanding for loan in demo.loans), ZERO)
        line = CreditLine(
            customer_id=demo.id,
            limit_amount=demo.limit,
            used_amount=used,
            annual_rate=rules.default_annual_rate,
            start_date=start,
            expiry_date=add_months(start, rules.line_term_months),
            review_due_date=today + dt.timedelta(days=demo.review_due_offset_days),
            status=demo.line_status,
            updated_at=now,
        )
        session.add(line)
        await session.flush()
        for demo_loan in demo.loans:
            loan_start = today + dt.timedelta(days=demo_loan.start_offset_days)
            session.add(
                Loan(
                    number=demo_loan.number,
                    customer_id=demo.id,
                    credit_line_id=line.id,
                    account_id=account_id,
                    principal=demo_loan.principal,
                    annual_rate=rules.default_annual_rate,
                    start_date=loan_start,
                    maturity_date=today + dt.timedelta(days=demo_loan.maturity_offset_days),
                    outstanding_principal=demo_loan.outstanding,
                    interest_accrued=ZERO,
                    interest_accrued_through=max(loan_start, today - dt.timedelta(days=20)),
                    renewal_count=demo_loan.renewal_count,
                    status="active",
                    created_at=now,
                )
            )
        for offset, days in demo.overdue_events:
            session.add(
                OverdueEvent(
                    customer_id=demo.id,
                    loan_number=demo.loans[0].number if demo.loans else None,
                    start_date=today + dt.timedelta(days=offset),
                    days=days,
                )
            )
    await session.commit()
    return created
