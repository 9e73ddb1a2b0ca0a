"""The lending-core client against a real core (uvicorn subprocess on PostgreSQL, demo data seeded).

The core and its per-test reset are the fixtures of tests/actions/conftest.py (tests/utils/lending.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from actions.lending_client import (
    ChannelVerification,
    CoreRejected,
    CoreUnavailable,
    CustomerNotVerified,
    LendingCoreClient,
    OtpVerification,
)
from tests.utils.lending import TEST_API_KEY
from tests.utils.services import free_port

CHANNEL = ChannelVerification()


@pytest.fixture
async def client(core_url: str) -> AsyncIterator[LendingCoreClient]:
    async with LendingCoreClient(base_url=core_url, api_key=TEST_API_KEY, timeout=10, backoff=0.01) as client:
        yield client


async def test_application_submit_and_status(client: LendingCoreClient) -> None:
    submitted = await client.submit_application(
        idempotency_key="client-app-0001",
        company_name="东方贸易有限公司",
        credit_code="914403001922038216",
        contact_name="张伟",
        mobile="13812345678",
        amount=Decimal("500000"),
        term_months=12,
        purpose="working capital",
        credit_check_consent=True,
        channel="web",
    )
    assert re.fullmatch(r"AP\d{10}", submitted.application_number) and submitted.status == "submitted"
    status = await client.get_application(submitted.application_number)
    assert status.status == "approved" and status.amount == Decimal("500000.00")
    with pytest.raises(CoreRejected) as rejected:
        await client.get_application("AP0000000000")
    assert rejected.value.code == "application_not_found" and rejected.value.status == 404


async def test_credit_line_accounts_and_loans(client: LendingCoreClient) -> None:
    line = await client.get_credit_line("C1001")
    assert (line.limit, line.used, line.available) == (Decimal("5000000"), Decimal("1200000"), Decimal("3800000"))
    assert line.review_state == "current" and line.status == "active"
    accounts = await client.list_accounts("C1001")
    assert accounts[0].account_id == "SA100101" and accounts[0].masked_number.endswith("0101")
    loans = await client.list_loans("C1003")
    assert loans[0].overdue_days == 15 and loans[0].payoff_amount > loans[0].outstanding_principal
    with pytest.raises(CoreRejected) as rejected:
        await client.get_credit_line("C9999")
    assert rejected.value.code == "customer_not_found"


async def test_drawdown_with_one_time_code_then_repay_all(client: LendingCoreClient) -> None:
    with pytest.raises(CustomerNotVerified):
        await client.drawdown(
            customer_id="C1001",
            amount=Decimal("200000"),
            account_id="SA100101",
            term_months=6,
            verification=OtpVerification("not-a-verification"),
            idempotency_key="client-draw-0001",
        )
    started = await client.start_verification("13800000001")
    assert started.masked_mobile == "138****0001"
    code = re.findall(r"\b\d{6}\b", (await client.dev_sms_outbox("13800000001"))[0])[0]
    confirmed = await client.confirm_verification(started.verification_id, code)
    assert confirmed.customer_id == "C1001"
    verification = OtpVerification(started.verification_id)
    loan = await client.drawdown(
        customer_id="C1001",
        amount=Decimal("200000"),
        account_id="SA100101",
        term_months=6,
        verification=verification,
        idempotency_key="client-draw-0002",
    )
    assert loan.available_after == Decimal("3600000.00") and not loan.replayed
    replay = await client.drawdown(
        customer_id="C1001",
        amount=Decimal("200000"),
        account_id="SA100101",
        term_months=6,
        verification=verification,
        idempotency_key="client-draw-0002",
    )
    assert replay.replayed and replay.loan_number == loan.loan_number
    paid = await client.repay(
        customer_id="C1001",
        loan_number=loan.loan_number,
        account_id="SA100101",
        verification=verification,
        idempotency_key="client-repay-0001",
        pay_all=True,
    )
    assert paid.loan_status == "repaid" and paid.principal_paid == Decimal("200000.00")


async def test_rule_rejections_carry_code_and_details(client: LendingCoreClient) -> None:
    with pytest.raises(CoreRejected) as frozen:
        await client.drawdown(
            customer_id="C1002",
            amount=Decimal("5000"),
            account_id="SA100201",
            term_months=6,
            verification=CHANNEL,
            idempotency_key="client-draw-0003",
        )
    assert frozen.value.code == "line_frozen" and frozen.value.status == 409
    with pytest.raises(CoreRejected) as insufficient:
        await client.drawdown(
            customer_id="C1001",
            amount=Decimal("9000000"),
            account_id="SA100101",
            term_months=6,
            verification=CHANNEL,
            idempotency_key="client-draw-0004",
        )
    assert insufficient.value.code == "insufficient_line" and "available" in insufficient.value.details


async def test_renewals_approved_manual_review_declined(client: LendingCoreClient) -> None:
    approved = await client.renew(
        customer_id="C1004", loan_number="LN1004000001", verification=CHANNEL, idempotency_key="client-renew-1"
    )
    assert approved.decision == "approved" and approved.new_maturity_date is not None
    manual = await client.renewal_eligibility("C1005", "LN1005000001")
    assert manual.decision == "manual_review" and manual.reasons == ["minor_overdue_history"]
    queued = await client.renew(
        customer_id="C1005", loan_number="LN1005000001", verification=CHANNEL, idempotency_key="client-renew-2"
    )
    assert queued.decision == "manual_review" and queued.new_maturity_date is None
    with pytest.raises(CoreRejected) as declined:
        await client.renew(
            customer_id="C1006", loan_number="LN1006000001", verification=CHANNEL, idempotency_key="client-renew-3"
        )
    assert declined.value.code == "not_eligible" and declined.value.details["reasons"] == ["review_overdue"]


async def test_core_down_is_unavailable() -> None:
    async with LendingCoreClient(
        base_url=f"http://127.0.0.1:{free_port()}", api_key="k", timeout=1, retries=1, backoff=0.01
    ) as down:
        with pytest.raises(CoreUnavailable):
            await down.get_credit_line("C1001")
        assert not await down.healthy()


async def test_retries_only_idempotent_requests() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.headers.get('Idempotency-Key', '-')}")
        return httpx.Response(503, json={"error": {"code": "internal_error", "message": "down", "details": {}}})

    async with LendingCoreClient(
        base_url="http://core", api_key="k", retries=2, backoff=0, transport=httpx.MockTransport(handler)
    ) as flaky:
        with pytest.raises(CoreUnavailable):
            await flaky.get_credit_line("C1001")
        assert calls == ["GET -"] * 3
        calls.clear()
        with pytest.raises(CoreUnavailable):
            await flaky.drawdown(
                customer_id="C1001",
                amount=Decimal("1000"),
                account_id="SA100101",
                term_months=6,
                verification=CHANNEL,
                idempotency_key="retry-key-0001",
            )
        assert calls == ["POST retry-key-0001"] * 3
        calls.clear()
        with pytest.raises(CoreUnavailable):
            await flaky.start_verification("13800000001")
        assert calls == ["POST -"]


async def test_amounts_must_be_exact_decimals(client: LendingCoreClient) -> None:
    with pytest.raises(ValueError):
        await client.drawdown(
            customer_id="C1001",
            amount=Decimal("1000.001"),
            account_id="SA100101",
            term_months=6,
            verification=CHANNEL,
            idempotency_key="client-draw-0005",
        )
