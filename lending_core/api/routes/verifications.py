"""Step-up verification with one-time codes, and the development SMS outbox."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from lending_core.api.deps import CallerDep, ClockDep, SessionDep, SettingsDep
from lending_core.api.responses import errors
from lending_core.errors import NotFound
from lending_core.schemas import (
    SmsOutboxOut,
    VerificationConfirmed,
    VerificationConfirmIn,
    VerificationStarted,
    VerificationStartIn,
    normalise_mobile,
)
from lending_core.services.verification import confirm_verification, recent_sms, start_verification

router = APIRouter(tags=["verification"])


@router.post(
    "/verifications",
    status_code=202,
    response_model=VerificationStarted,
    responses=errors(401, 422, 429),
    summary="Send a one-time code to the registered mobile (same answer for unknown numbers)",
)
async def post_verification(
    body: VerificationStartIn, session: SessionDep, clock: ClockDep, settings: SettingsDep, _caller: CallerDep
) -> VerificationStarted:
    return await start_verification(session=session, mobile=body.mobile, settings=settings, clock=clock)


@router.post(
    "/verifications/{verification_id}/confirm",
    response_model=VerificationConfirmed,
    responses=errors(400, 401, 422, 423),
    summary="Confirm a one-time code",
)
async def post_confirmation(
    verification_id: Annotated[str, Path(max_length=64)],
    body: VerificationConfirmIn,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    _caller: CallerDep,
) -> VerificationConfirmed:
    return await confirm_verification(
        session=session, verification_id=verification_id, code=body.code, settings=settings, clock=clock
    )


@router.get(
    "/dev/sms-outbox",
    response_model=SmsOutboxOut,
    responses=errors(401, 404, 422),
    summary="Recent text messages to a mobile (development and test environments only)",
)
async def read_sms_outbox(
    mobile: Annotated[str, Query(max_length=20)], session: SessionDep, settings: SettingsDep, _caller: CallerDep
) -> SmsOutboxOut:
    if not settings.is_dev:
        raise NotFound()
    try:
        normalised = normalise_mobile(mobile)
    except ValueError:
        normalised = mobile
    return SmsOutboxOut(messages=await recent_sms(session=session, mobile=normalised))
