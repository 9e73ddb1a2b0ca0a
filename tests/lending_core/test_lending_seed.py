"""The demo seed is idempotent and covers every path it promises in DEMO_DATA.md."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.clock import FixedClock
from lending_core.config import LendingRules
from lending_core.models import Customer, Loan, SettlementAccount
from lending_core.seed import DEMO_CUSTOMERS, seed_demo
from tests.utils.lending import CHANNEL_VERIFICATION


async def counts(session: AsyncSession) -> tuple[int, int, int]:
    result = []
    for model in (Customer, Loan, SettlementAccount):
        result.append(int((await session.execute(select(func.count()).select_from(model))).scalar_one()))
    return result[0], result[1], result[2]


async def test_seed_is_idempotent_and_covers_every_path(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, rules: LendingRules
) -> None:
    created = await seed_demo(session=session, today=clock.today(), now=clock.now(), rules=rules)
    assert created == [demo.id for demo in DEMO_CUSTOMERS]
    first = await counts(session)
    assert await seed_demo(session=session, today=clock.today(), now=clock.now(), rules=rules) == []
    assert await counts(session) == first

    async def draw(customer: str) -> str:
        body = {
            "amount": "10000",
            "account_id": f"SA{customer[1:]}01",
            "term_months": 6,
            "verification": CHANNEL_VERIFICATION,
        }
        response = await client.post(
            f"/api/v1/customers/{customer}/drawdowns", json=body, headers={"Idempotency-Key": f"seed-check-{customer}"}
        )
        return "ok" if response.status_code == 201 else str(response.json()["error"]["code"])

    async def renewal(customer: str, loan: str) -> str:
        url = f"/api/v1/customers/{customer}/loans/{loan}/renewal-eligibility"
        return str((await client.get(url)).json()["decision"])

    assert await draw("C1001") == "ok"
    assert await draw("C1002") == "line_frozen"
    assert await draw("C1006") == "review_overdue"
    assert await draw("C1008") == "line_expired"
    overdue = (await client.get("/api/v1/customers/C1003/loans/LN1003000001")).json()
    assert overdue["overdue_days"] == 15
    assert await renewal("C1004", "LN1004000001") == "approved"
    assert await renewal("C1005", "LN1005000001") == "manual_review"
    assert await renewal("C1006", "LN1006000001") == "declined"
    assert await renewal("C1007", "LN1007000001") == "declined"
    assert await renewal("C1003", "LN1003000001") == "declined"
