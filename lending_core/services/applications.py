"""Loan applications and the configurable demo decision rule.

At submission the decision is computed and stored with the time it takes effect (submitted_at + the
configured delay, 0 in tests). Reading an application before that time shows ``under_review``; from then
on it shows the decision:
- the credit code is on the configured decline list -> declined (``credit_assessment_declined``);
- amount above the online self-service limit -> under_review (``above_online_limit``: the account manager);
- amount above the auto-approval maximum -> under_review (``manual_review``);
- otherwise approved.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.clock import Clock
from lending_core.config import Settings
from lending_core.errors import AmountOutOfRange, ApplicationNotFound, ValidationFailed
from lending_core.models import Application
from lending_core.schemas import ApplicationCreated, ApplicationIn, ApplicationOut
from lending_core.services.common import get_customer, new_number


def _decide(*, body: ApplicationIn, settings: Settings) -> tuple[str, list[str]]:
    rules = settings.rules
    if body.credit_code in settings.application_decline_credit_codes:
        return "declined", ["credit_assessment_declined"]
    if body.amount > rules.online_amount_limit:
        return "under_review", ["above_online_limit"]
    if body.amount > settings.application_auto_approve_max:
        return "under_review", ["manual_review"]
    return "approved", []


async def submit_application(
    *, session: AsyncSession, body: ApplicationIn, settings: Settings, clock: Clock
) -> ApplicationCreated:
    rules = settings.rules
    if not rules.application_amount_min <= body.amount <= rules.application_amount_max:
        raise AmountOutOfRange(
            minimum=f"{rules.application_amount_min:.2f}", maximum=f"{rules.application_amount_max:.2f}"
        )
    if body.term_months not in rules.loan_terms_months:
        raise ValidationFailed("term_months is not offered", allowed=list(rules.loan_terms_months))
    if body.customer_id is not None:
        await get_customer(session=session, customer_id=body.customer_id)
    now = clock.now()
    decision, reasons = _decide(body=body, settings=settings)
    application = Application(
        number=await new_number(session=session, prefix="AP", model=Application),
        customer_id=body.customer_id,
        company_name=body.company_name,
        credit_code=body.credit_code,
        contact_name=body.contact_name,
        mobile=body.mobile,
        amount=body.amount,
        term_months=body.term_months,
        purpose=body.purpose,
        channel=body.channel,
        status="submitted",
        reasons=[],
        decision_status=decision,
        decision_reasons=reasons,
        decision_at=now + dt.timedelta(seconds=settings.application_decision_delay_seconds),
        submitted_at=now,
    )
    session.add(application)
    await session.flush()
    return ApplicationCreated(application_number=application.number, status=application.status, submitted_at=now)


async def get_application(
    *, session: AsyncSession, number: str, customer_id: str | None, clock: Clock
) -> ApplicationOut:
    """The application; when it belongs to a customer, `customer_id` must match (else not found)."""
    application = await session.get(Application, number, with_for_update=True)
    if application is None or (application.customer_id is not None and application.customer_id != customer_id):
        raise ApplicationNotFound(application_number=number)
    if application.status in ("submitted", "under_review"):
        if clock.now() >= application.decision_at:
            application.status = application.decision_status
            application.reasons = list(application.decision_reasons)
        elif application.status == "submitted":
            application.status = "under_review"
        await session.commit()
    status = application.status
    return ApplicationOut(
        application_number=application.number,
        status="approved"
        if status == "approved"
        else "declined"
        if status == "declined"
        else "under_review"
        if status == "under_review"
        else "submitted",
        reasons=list(application.reasons),
        amount=application.amount,
        term_months=application.term_months,
        company_name=application.company_name,
        customer_id=application.customer_id,
        submitted_at=application.submitted_at,
    )
