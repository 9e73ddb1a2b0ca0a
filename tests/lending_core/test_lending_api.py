"""The HTTP API against PostgreSQL: happy paths, rules and every error code."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.clock import FixedClock
from lending_core.config import LendingRules
from lending_core.errors import all_error_classes
from lending_core.models import CreditLine, OverdueEvent
from tests.utils.lending import CHANNEL_VERIFICATION as CHANNEL
from tests.utils.lending import TEST_NOW as NOW
from tests.utils.lending import add_customer, add_loan
from textkit.creditcode import complete_credit_code

TODAY = NOW.date()
_serial = itertools.count(1)
D = Decimal


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    details: dict[str, Any] = body["error"]["details"]
    return details


@pytest.fixture
async def healthy(session: AsyncSession, rules: LendingRules) -> CreditLine:
    return await add_customer(
        session=session,
        customer_id="C2001",
        mobile="13800009001",
        today=TODAY,
        now=NOW,
        rules=rules,
        limit=D("3000000"),
    )


async def draw(client: httpx.AsyncClient, amount: str, customer: str = "C2001", **extra: Any) -> httpx.Response:
    body = {"amount": amount, "account_id": f"SA{customer}", "term_months": 12, "verification": CHANNEL} | extra
    return await client.post(f"/api/v1/customers/{customer}/drawdowns", json=body, headers=key())


def application(**overrides: Any) -> dict[str, Any]:
    body = {
        "company_name": "东方贸易有限公司",
        "credit_code": complete_credit_code("91310000MA1FL8L4"[:16] + "7"),
        "contact_name": "张伟",
        "mobile": "138 0000 9999",
        "amount": "500000.00",
        "term_months": 12,
        "purpose": "采购原材料 working capital",
        "credit_check_consent": True,
        "channel": "web",
    }
    return body | overrides


async def test_healthz_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    spec = (await client.get("/openapi.json")).json()
    for cls in all_error_classes():
        assert f"`{cls.code}`" in spec["info"]["description"]
    amount_schema = spec["components"]["schemas"]["DrawdownIn"]["properties"]["amount"]
    assert amount_schema["type"] == "string"


async def test_unauthorized(client: httpx.AsyncClient, healthy: CreditLine) -> None:
    response = await client.get("/api/v1/customers/C2001/credit-line", headers={"X-Api-Key": "wrong"})
    assert_error(response, 401, "unauthorized")
    async with httpx.AsyncClient(transport=client._transport, base_url="http://core") as anonymous:
        assert_error(await anonymous.get("/api/v1/customers/C2001/credit-line"), 401, "unauthorized")


async def test_profile_says_who_looks_after_the_customer(client: httpx.AsyncClient, healthy: CreditLine) -> None:
    profile = (await client.get("/api/v1/customers/C2001/profile")).json()
    assert profile == {
        "customer_id": "C2001",
        "company_name": "Test Company C2001",
        "legal_representative": "Test Person",
        "mobile": "13800009001",
        "branch": "Test Branch",
        "account_manager": {"id": "AM900", "name": "Test Manager"},
    }
    assert_error(await client.get("/api/v1/customers/C9999/profile"), 404, "customer_not_found")


@pytest.mark.parametrize(
    ("days_to_review", "state"), [(31, "current"), (30, "due_soon"), (0, "due_soon"), (-1, "overdue")]
)
async def test_review_reminder_window(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules, days_to_review: int, state: str
) -> None:
    await add_customer(
        session=session,
        customer_id="C2002",
        mobile="13800009002",
        today=TODAY,
        now=NOW,
        rules=rules,
        review_due=TODAY + dt.timedelta(days=days_to_review),
    )
    line = (await client.get("/api/v1/customers/C2002/credit-line")).json()
    assert line["review_state"] == state


async def test_credit_line_and_accounts(client: httpx.AsyncClient, healthy: CreditLine) -> None:
    line = (await client.get("/api/v1/customers/C2001/credit-line")).json()
    assert line["limit"] == "3000000.00" and line["available"] == "3000000.00" and line["used"] == "0.00"
    assert line["review_state"] == "current" and line["status"] == "active"
    assert line["expiry_date"] == "2028-11-22"  # start 2025-11-22 + 36 months
    accounts = (await client.get("/api/v1/customers/C2001/accounts")).json()["accounts"]
    assert accounts == [
        {"account_id": "SAC2001", "masked_number": "*" * 11 + "9001", "bank_name": "Test Bank", "currency": "CNY"}
    ]
    assert_error(await client.get("/api/v1/customers/C9999/credit-line"), 404, "customer_not_found")
    assert_error(await client.get("/api/v1/customers/C9999/accounts"), 404, "customer_not_found")


async def test_drawdown_then_loan_view_with_interest(
    client: httpx.AsyncClient, healthy: CreditLine, clock: FixedClock
) -> None:
    response = await draw(client, "500000.00")
    assert response.status_code == 201, response.text
    loan = response.json()
    assert loan["amount"] == "500000.00" and loan["annual_rate"] == "0.0385"
    assert loan["start_date"] == "2026-03-02" and loan["maturity_date"] == "2027-03-02"
    assert loan["available_after"] == "2500000.00"
    clock.advance(dt.timedelta(days=30))
    view = (await client.get(f"/api/v1/customers/C2001/loans/{loan['loan_number']}")).json()
    # 500000 x 0.0385 x 30 / 360 = 1604.1666... -> 1604.17
    assert view["accrued_interest"] == "1604.17" and view["payoff_amount"] == "501604.17"
    assert view["overdue_days"] == 0 and view["renewal_count"] == 0
    listed = (await client.get("/api/v1/customers/C2001/loans")).json()["loans"]
    assert [item["loan_number"] for item in listed] == [loan["loan_number"]]
    assert_error(await client.get("/api/v1/customers/C2001/loans/LN0000000000"), 404, "loan_not_found")


async def test_repayment_interest_first_then_principal(
    client: httpx.AsyncClient, healthy: CreditLine, clock: FixedClock
) -> None:
    number = (await draw(client, "500000.00")).json()["loan_number"]
    clock.advance(dt.timedelta(days=30))
    url = f"/api/v1/customers/C2001/loans/{number}/repayments"
    partial = await client.post(
        url, json={"amount": "100000.00", "account_id": "SAC2001", "verification": CHANNEL}, headers=key()
    )
    assert partial.status_code == 201, partial.text
    assert partial.json() | {"repayment_number": "x"} == {
        "repayment_number": "x",
        "loan_number": number,
        "amount": "100000.00",
        "interest_paid": "1604.17",
        "principal_paid": "98395.83",
        "outstanding_after": "401604.17",
        "loan_status": "active",
        "value_date": "2026-04-01",
    }
    line = (await client.get("/api/v1/customers/C2001/credit-line")).json()
    assert line["used"] == "401604.17" and line["available"] == "2598395.83"
    # 10 more days on 401604.17: x 0.0385 x 10 / 360 = 429.4932... -> 429.49
    clock.advance(dt.timedelta(days=10))
    over = await client.post(
        url, json={"amount": "402033.67", "account_id": "SAC2001", "verification": CHANNEL}, headers=key()
    )
    assert assert_error(over, 422, "overpayment")["payoff_amount"] == "402033.66"
    full = await client.post(url, json={"all": True, "account_id": "SAC2001", "verification": CHANNEL}, headers=key())
    assert full.status_code == 201, full.text
    assert full.json()["amount"] == "402033.66" and full.json()["interest_paid"] == "429.49"
    assert full.json()["outstanding_after"] == "0.00" and full.json()["loan_status"] == "repaid"
    assert (await client.get("/api/v1/customers/C2001/credit-line")).json()["used"] == "0.00"
    again = await client.post(
        url, json={"amount": "0.01", "account_id": "SAC2001", "verification": CHANNEL}, headers=key()
    )
    assert_error(again, 422, "overpayment")


async def test_drawdown_rule_errors(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules, healthy: CreditLine
) -> None:
    assert assert_error(await draw(client, "999.99"), 422, "amount_out_of_range")["minimum"] == "1000.00"
    assert assert_error(await draw(client, "3000000.01"), 409, "insufficient_line")["available"] == "3000000.00"
    assert_error(await draw(client, "5000.00", account_id="SA-OTHER"), 404, "account_not_found")
    assert_error(await draw(client, "5000.00", customer="C9999", account_id="SAC2001"), 404, "customer_not_found")
    assert_error(await draw(client, "5000.00", term_months=7), 422, "validation_error")
    frozen = await add_customer(
        session=session, customer_id="C2002", mobile="13800009002", today=TODAY, now=NOW, rules=rules, status="frozen"
    )
    expired = await add_customer(
        session=session,
        customer_id="C2003",
        mobile="13800009003",
        today=TODAY,
        now=NOW,
        rules=rules,
        line_start=TODAY - dt.timedelta(days=1100),
    )
    review = await add_customer(
        session=session,
        customer_id="C2004",
        mobile="13800009004",
        today=TODAY,
        now=NOW,
        rules=rules,
        review_due=TODAY - dt.timedelta(days=1),
    )
    assert_error(await draw(client, "5000.00", customer=frozen.customer_id), 409, "line_frozen")
    assert_error(await draw(client, "5000.00", customer=expired.customer_id), 409, "line_expired")
    assert_error(await draw(client, "5000.00", customer=review.customer_id), 409, "review_overdue")
    line = (await client.get("/api/v1/customers/C2003/credit-line")).json()
    assert line["status"] == "expired"
    assert (await client.get("/api/v1/customers/C2004/credit-line")).json()["review_state"] == "overdue"


async def test_daily_drawdown_cap(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules, clock: FixedClock
) -> None:
    await add_customer(
        session=session,
        customer_id="C2005",
        mobile="13800009005",
        today=TODAY,
        now=NOW,
        rules=rules,
        limit=D("9000000"),
    )
    assert (await draw(client, "3000000.00", customer="C2005")).status_code == 201
    assert (await draw(client, "2000000.00", customer="C2005")).status_code == 201
    details = assert_error(await draw(client, "1000.00", customer="C2005"), 409, "daily_limit_exceeded")
    assert details["remaining_today"] == "0.00"
    clock.advance(dt.timedelta(days=1))
    assert (await draw(client, "1000.00", customer="C2005")).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 5000.0, "account_id": "SAC2001", "term_months": 12, "verification": CHANNEL},
        {"amount": "5000.001", "account_id": "SAC2001", "term_months": 12, "verification": CHANNEL},
        {"amount": "NaN", "account_id": "SAC2001", "term_months": 12, "verification": CHANNEL},
        {"amount": "5000", "account_id": "SAC2001", "term_months": 12, "verification": CHANNEL, "extra": 1},
        {"amount": "5000", "account_id": "SAC2001", "term_months": 12, "verification": {"method": "sms"}},
    ],
)
async def test_validation_error(client: httpx.AsyncClient, healthy: CreditLine, body: dict[str, Any]) -> None:
    response = await client.post("/api/v1/customers/C2001/drawdowns", json=body, headers=key())
    assert assert_error(response, 422, "validation_error")["errors"]


async def test_customer_not_verified(client: httpx.AsyncClient, healthy: CreditLine) -> None:
    body = {"amount": "5000", "account_id": "SAC2001", "term_months": 12}
    assert_error(
        await client.post("/api/v1/customers/C2001/drawdowns", json=body, headers=key()), 403, "customer_not_verified"
    )
    otp = body | {"verification": {"method": "otp", "verification_id": "no-such-verification"}}
    assert_error(
        await client.post("/api/v1/customers/C2001/drawdowns", json=otp, headers=key()), 403, "customer_not_verified"
    )


async def test_idempotency_key_required(client: httpx.AsyncClient, healthy: CreditLine) -> None:
    body = {"amount": "5000", "account_id": "SAC2001", "term_months": 12, "verification": CHANNEL}
    assert_error(await client.post("/api/v1/customers/C2001/drawdowns", json=body), 400, "idempotency_key_required")
    short = {"Idempotency-Key": "abc"}
    assert_error(
        await client.post("/api/v1/customers/C2001/drawdowns", json=body, headers=short),
        400,
        "idempotency_key_required",
    )
    assert_error(await client.post("/api/v1/applications", json=application()), 400, "idempotency_key_required")


async def test_application_decisions(client: httpx.AsyncClient, healthy: CreditLine) -> None:
    created = await client.post("/api/v1/applications", json=application(customer_id="C2001"), headers=key())
    assert created.status_code == 201, created.text
    number = created.json()["application_number"]
    assert created.json()["status"] == "submitted" and len(number) == 12 and number.startswith("AP")
    status = (await client.get(f"/api/v1/applications/{number}", params={"customer_id": "C2001"})).json()
    assert status["status"] == "approved" and status["amount"] == "500000.00" and status["term_months"] == 12
    assert_error(await client.get(f"/api/v1/applications/{number}"), 404, "application_not_found")
    assert_error(
        await client.get(f"/api/v1/applications/{number}", params={"customer_id": "C9"}), 404, "application_not_found"
    )
    expectations = [
        ("2000000", None, "under_review", ["manual_review"]),
        ("5000000", None, "under_review", ["above_online_limit"]),
        ("50000", "91110108MA0000000A", "declined", ["credit_assessment_declined"]),
    ]
    for amount, code, expected, reasons in expectations:
        overrides: dict[str, Any] = {"amount": amount} | ({"credit_code": code} if code else {})
        number = (await client.post("/api/v1/applications", json=application(**overrides), headers=key())).json()[
            "application_number"
        ]
        status = (await client.get(f"/api/v1/applications/{number}")).json()
        assert (status["status"], status["reasons"]) == (expected, reasons)
    assert_error(await client.get("/api/v1/applications/AP0000000000"), 404, "application_not_found")


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"amount": "9999.99"}, 422, "amount_out_of_range"),
        ({"amount": "10000000.01"}, 422, "amount_out_of_range"),
        ({"credit_code": "914403001922038217"}, 422, "validation_error"),
        ({"credit_check_consent": False}, 422, "validation_error"),
        ({"term_months": 18}, 422, "validation_error"),
        ({"mobile": "12345"}, 422, "validation_error"),
        ({"customer_id": "C9999"}, 404, "customer_not_found"),
    ],
)
async def test_application_errors(client: httpx.AsyncClient, overrides: dict[str, Any], status: int, code: str) -> None:
    assert_error(await client.post("/api/v1/applications", json=application(**overrides), headers=key()), status, code)


async def test_application_decision_delay(client: httpx.AsyncClient, app: Any, clock: FixedClock) -> None:
    app.state.settings = app.state.settings.model_copy(update={"application_decision_delay_seconds": 600})
    number = (await client.post("/api/v1/applications", json=application(), headers=key())).json()["application_number"]
    assert (await client.get(f"/api/v1/applications/{number}")).json()["status"] == "under_review"
    clock.advance(dt.timedelta(seconds=600))
    assert (await client.get(f"/api/v1/applications/{number}")).json()["status"] == "approved"


async def renewal_case(
    session: AsyncSession,
    rules: LendingRules,
    *,
    maturity_in: int,
    overdue: tuple[int, int] | None = None,
    renewal_count: int = 0,
    **line: Any,
) -> str:
    serial = next(_serial)
    customer = f"C3{serial:03d}"
    line_row = await add_customer(
        session=session,
        customer_id=customer,
        mobile=f"139000{serial:05d}",
        today=TODAY,
        now=NOW,
        rules=rules,
        **line,
    )
    await add_loan(
        session=session,
        line=line_row,
        number=f"LN30000{serial:05d}",
        principal=D("800000"),
        start=TODAY - dt.timedelta(days=355),
        maturity=TODAY + dt.timedelta(days=maturity_in),
        now=NOW,
        renewal_count=renewal_count,
    )
    if overdue:
        session.add(
            OverdueEvent(
                customer_id=customer,
                loan_number=None,
                start_date=TODAY - dt.timedelta(days=overdue[0]),
                days=overdue[1],
            )
        )
        await session.commit()
    return customer


async def loan_of(client: httpx.AsyncClient, customer: str) -> str:
    return str((await client.get(f"/api/v1/customers/{customer}/loans")).json()["loans"][0]["loan_number"])


async def test_renewal_approved_extends_maturity(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    customer = await renewal_case(session, rules, maturity_in=10)
    number = await loan_of(client, customer)
    base = f"/api/v1/customers/{customer}/loans/{number}"
    eligibility = (await client.get(f"{base}/renewal-eligibility")).json()
    assert eligibility["decision"] == "approved" and eligibility["reasons"] == []
    assert eligibility["proposed_maturity_date"] == "2027-03-12"  # 2026-03-12 + 12 months
    renewal = await client.post(f"{base}/renewals", json={"verification": CHANNEL}, headers=key())
    assert renewal.status_code == 201, renewal.text
    assert renewal.json()["decision"] == "approved" and renewal.json()["new_maturity_date"] == "2027-03-12"
    assert renewal.json()["renewal_number"].startswith("RN")
    loan = (await client.get(base)).json()
    assert loan["maturity_date"] == "2027-03-12" and loan["renewal_count"] == 1
    again = await client.post(f"{base}/renewals", json={"verification": CHANNEL}, headers=key())
    details = assert_error(again, 409, "not_eligible")
    assert "max_renewals_reached" in details["reasons"] and "outside_window" in details["reasons"]


async def test_renewal_manual_review_for_minor_overdue(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    customer = await renewal_case(session, rules, maturity_in=10, overdue=(200, 2))
    base = f"/api/v1/customers/{customer}/loans/{await loan_of(client, customer)}"
    eligibility = (await client.get(f"{base}/renewal-eligibility")).json()
    assert (eligibility["decision"], eligibility["reasons"]) == ("manual_review", ["minor_overdue_history"])
    renewal = (await client.post(f"{base}/renewals", json={"verification": CHANNEL}, headers=key())).json()
    assert renewal["decision"] == "manual_review" and renewal["new_maturity_date"] is None
    assert (await client.get(base)).json()["maturity_date"] == "2026-03-12"


@pytest.mark.parametrize(
    ("case", "reasons"),
    [
        ({"maturity_in": 31}, ["outside_window"]),
        ({"maturity_in": 10, "overdue": (200, 4)}, ["overdue_history"]),
        ({"maturity_in": 10, "review_due": TODAY - dt.timedelta(days=1)}, ["review_overdue"]),
        ({"maturity_in": 10, "status": "frozen"}, ["line_not_active"]),
        ({"maturity_in": 10, "renewal_count": 1}, ["max_renewals_reached"]),
    ],
)
async def test_renewal_declined_reasons(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules, case: dict[str, Any], reasons: list[str]
) -> None:
    customer = await renewal_case(session, rules, **case)
    base = f"/api/v1/customers/{customer}/loans/{await loan_of(client, customer)}"
    eligibility = (await client.get(f"{base}/renewal-eligibility")).json()
    assert (eligibility["decision"], eligibility["reasons"]) == ("declined", reasons)
    refused = await client.post(f"{base}/renewals", json={"verification": CHANNEL}, headers=key())
    assert assert_error(refused, 409, "not_eligible")["reasons"] == reasons


async def test_overdue_older_than_twelve_months_is_ignored(
    client: httpx.AsyncClient, session: AsyncSession, rules: LendingRules
) -> None:
    customer = await renewal_case(session, rules, maturity_in=30, overdue=(400, 10))
    base = f"/api/v1/customers/{customer}/loans/{await loan_of(client, customer)}"
    assert (await client.get(f"{base}/renewal-eligibility")).json()["decision"] == "approved"
