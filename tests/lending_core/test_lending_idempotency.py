"""Idempotency (replay, mismatch, concurrency) and the credit line under concurrent drawdowns."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.config import LendingRules
from lending_core.models import CreditLine, IdempotencyRecord, Loan
from tests.utils.lending import CHANNEL_VERIFICATION, TEST_NOW, add_customer

URL = "/api/v1/customers/C4001/drawdowns"


def body(amount: str = "10000.00") -> dict[str, Any]:
    return {"amount": amount, "account_id": "SAC4001", "term_months": 6, "verification": CHANNEL_VERIFICATION}


async def setup_line(session: AsyncSession, rules: LendingRules, limit: str = "100000") -> None:
    await add_customer(
        session=session,
        customer_id="C4001",
        mobile="13800004001",
        today=TEST_NOW.date(),
        now=TEST_NOW,
        rules=rules,
        limit=Decimal(limit),
    )


async def count_loans(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Loan))).scalar_one())


async def test_replay_returns_first_response(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    await setup_line(session, rules)
    headers = {"Idempotency-Key": "drawdown-key-0001"}
    first = await client.post(URL, json=body(), headers=headers)
    second = await client.post(URL, json=body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert first.headers["Idempotent-Replayed"] == "false" and second.headers["Idempotent-Replayed"] == "true"
    assert await count_loans(session) == 1
    line = (await client.get("/api/v1/customers/C4001/credit-line")).json()
    assert line["used"] == "10000.00"


async def test_same_key_different_body_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    await setup_line(session, rules)
    headers = {"Idempotency-Key": "drawdown-key-0002"}
    assert (await client.post(URL, json=body("10000.00"), headers=headers)).status_code == 201
    mismatch = await client.post(URL, json=body("20000.00"), headers=headers)
    assert mismatch.status_code == 422
    assert mismatch.json()["error"]["code"] == "idempotency_key_mismatch"
    assert await count_loans(session) == 1


async def test_refused_request_is_not_stored(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    await setup_line(session, rules)
    headers = {"Idempotency-Key": "drawdown-key-0003"}
    unverified = {k: v for k, v in body().items() if k != "verification"}
    assert (await client.post(URL, json=unverified, headers=headers)).status_code == 403
    assert (await session.execute(select(func.count()).select_from(IdempotencyRecord))).scalar_one() == 0
    retried = await client.post(URL, json=body(), headers=headers)  # the customer verified, same key
    assert retried.status_code == 201


async def test_keys_are_scoped_per_endpoint(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    await setup_line(session, rules)
    headers = {"Idempotency-Key": "shared-key-0004"}
    loan = (await client.post(URL, json=body(), headers=headers)).json()["loan_number"]
    repay = {"amount": "100.00", "account_id": "SAC4001", "verification": CHANNEL_VERIFICATION}
    response = await client.post(f"/api/v1/customers/C4001/loans/{loan}/repayments", json=repay, headers=headers)
    assert response.status_code == 201 and response.json()["principal_paid"] == "100.00"


async def test_fifty_concurrent_requests_with_one_key_make_one_loan(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    await setup_line(session, rules)
    headers = {"Idempotency-Key": "concurrent-key-0005"}
    responses = await asyncio.gather(*(client.post(URL, json=body(), headers=headers) for _ in range(50)))
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["loan_number"] for response in responses}) == 1
    assert await count_loans(session) == 1
    line = (await session.execute(select(CreditLine))).scalar_one()
    assert line.used_amount == Decimal("10000.00")


async def test_fifty_concurrent_drawdowns_never_exceed_the_line(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    await setup_line(session, rules, limit="100000")
    responses = await asyncio.gather(
        *(client.post(URL, json=body("7000.00"), headers={"Idempotency-Key": f"many-keys-{i:04d}"}) for i in range(50))
    )
    created = [response for response in responses if response.status_code == 201]
    refused = [response for response in responses if response.status_code != 201]
    assert len(created) == 14  # 14 x 7000 = 98000 <= 100000 < 15 x 7000
    assert {response.json()["error"]["code"] for response in refused} == {"insufficient_line"}
    line = (await session.execute(select(CreditLine))).scalar_one()
    assert line.used_amount == Decimal("98000.00") <= line.limit_amount
    assert await count_loans(session) == 14
    available_after = sorted(Decimal(response.json()["available_after"]) for response in created)
    assert available_after == [Decimal(2000 + 7000 * i) for i in range(14)]
