"""One-time codes: delivery to the SMS outbox, expiry, lockout, rate limit, use for money-moving requests."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.clock import FixedClock
from lending_core.config import LendingRules
from lending_core.models import Verification
from tests.utils.lending import TEST_NOW, add_customer

MOBILE = "13800005001"


@pytest.fixture(autouse=True)
async def customer(session: AsyncSession, rules: LendingRules) -> None:
    await add_customer(
        session=session,
        customer_id="C5001",
        mobile=MOBILE,
        today=TEST_NOW.date(),
        now=TEST_NOW,
        rules=rules,
        limit=Decimal("1000000"),
    )


async def start(client: httpx.AsyncClient, mobile: str = MOBILE) -> httpx.Response:
    return await client.post("/api/v1/verifications", json={"mobile": mobile})


async def latest_code(client: httpx.AsyncClient, mobile: str = MOBILE) -> str:
    messages = (await client.get("/api/v1/dev/sms-outbox", params={"mobile": mobile})).json()["messages"]
    match = re.search(r"\b(\d{6})\b", messages[0]["body"])
    assert match
    return match.group(1)


async def confirm(client: httpx.AsyncClient, verification_id: str, code: str) -> httpx.Response:
    return await client.post(f"/api/v1/verifications/{verification_id}/confirm", json={"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_code_confirms_and_verifies_a_drawdown(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> None:
    started = await start(client, "+86 138-0000-5001")
    assert started.status_code == 202
    body = started.json()
    assert body["masked_mobile"] == "138****5001"
    assert dt.datetime.fromisoformat(body["expires_at"]) == TEST_NOW + dt.timedelta(minutes=5)
    code = await latest_code(client)
    stored = (await session.execute(select(Verification))).scalar_one()
    assert stored.code_hash and code not in stored.code_hash  # hashed, not stored in clear
    confirmed = await confirm(client, body["verification_id"], code)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["customer_id"] == "C5001"
    assert dt.datetime.fromisoformat(confirmed.json()["verified_until"]) == TEST_NOW + dt.timedelta(minutes=30)
    otp = {"method": "otp", "verification_id": body["verification_id"]}
    drawdown = {"amount": "5000", "account_id": "SAC5001", "term_months": 3, "verification": otp}
    ok = await client.post(
        "/api/v1/customers/C5001/drawdowns", json=drawdown, headers={"Idempotency-Key": "otp-draw-1"}
    )
    assert ok.status_code == 201, ok.text
    # the verification belongs to C5001 only, and lasts 30 minutes
    await add_customer(
        session=session,
        customer_id="C5002",
        mobile="13800005002",
        today=TEST_NOW.date(),
        now=TEST_NOW,
        rules=LendingRules(),
    )
    other = drawdown | {"account_id": "SAC5002"}
    refused = await client.post(
        "/api/v1/customers/C5002/drawdowns", json=other, headers={"Idempotency-Key": "otp-draw-2"}
    )
    assert refused.json()["error"]["code"] == "customer_not_verified"
    clock.advance(dt.timedelta(minutes=31))
    late = await client.post(
        "/api/v1/customers/C5001/drawdowns", json=drawdown, headers={"Idempotency-Key": "otp-draw-3"}
    )
    assert late.status_code == 403 and late.json()["error"]["code"] == "customer_not_verified"


async def test_code_expires_after_five_minutes(client: httpx.AsyncClient, clock: FixedClock) -> None:
    verification_id = (await start(client)).json()["verification_id"]
    code = await latest_code(client)
    clock.advance(dt.timedelta(minutes=5))
    expired = await confirm(client, verification_id, code)
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "otp_expired"


async def test_five_wrong_codes_lock_the_verification(client: httpx.AsyncClient) -> None:
    verification_id = (await start(client)).json()["verification_id"]
    code = await latest_code(client)
    for remaining in (4, 3, 2, 1):
        response = await confirm(client, verification_id, wrong(code))
        assert response.json()["error"] == {
            "code": "otp_invalid",
            "message": "the one-time code is not correct",
            "details": {"attempts_remaining": remaining},
        }
    fifth = await confirm(client, verification_id, wrong(code))
    assert fifth.status_code == 423 and fifth.json()["error"]["code"] == "otp_locked"
    right = await confirm(client, verification_id, code)
    assert right.status_code == 423 and right.json()["error"]["code"] == "otp_locked"


async def test_rate_limit_one_a_minute_five_an_hour(client: httpx.AsyncClient, clock: FixedClock) -> None:
    assert (await start(client)).status_code == 202
    limited = await start(client)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "otp_rate_limited"
    assert limited.headers["Retry-After"] == "60"
    for _ in range(4):
        clock.advance(dt.timedelta(minutes=1, seconds=1))
        assert (await start(client)).status_code == 202
    clock.advance(dt.timedelta(minutes=5))
    hourly = await start(client)
    assert hourly.status_code == 429 and hourly.json()["error"]["code"] == "otp_rate_limited"
    clock.advance(dt.timedelta(minutes=60))
    assert (await start(client)).status_code == 202


async def test_unknown_mobile_gets_the_same_answer_and_no_text(client: httpx.AsyncClient) -> None:
    response = await start(client, "13900000000")
    assert response.status_code == 202 and set(response.json()) == {"verification_id", "masked_mobile", "expires_at"}
    outbox = (await client.get("/api/v1/dev/sms-outbox", params={"mobile": "13900000000"})).json()
    assert outbox == {"messages": []}
    refused = await confirm(client, response.json()["verification_id"], "123456")
    assert refused.json()["error"]["code"] == "otp_invalid"
    assert (await confirm(client, "no-such-id", "123456")).json()["error"]["code"] == "otp_invalid"


async def test_sms_outbox_hidden_outside_development(client: httpx.AsyncClient, app: object) -> None:
    state = app.state  # type: ignore[attr-defined]
    state.settings = state.settings.model_copy(update={"environment": "production"})
    response = await client.get("/api/v1/dev/sms-outbox", params={"mobile": MOBILE})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


async def test_code_format_is_validated(client: httpx.AsyncClient) -> None:
    verification_id = (await start(client)).json()["verification_id"]
    response = await confirm(client, verification_id, "12ab56")
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
