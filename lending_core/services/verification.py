"""Step-up verification with one-time codes sent to the customer's registered mobile.

Codes: 6 digits, valid `otp_valid_minutes`, stored as HMAC-SHA256(otp_secret, verification id + code).
`otp_max_attempts` wrong codes lock the verification. At most `otp_max_per_minute` codes a minute and
`otp_max_per_hour` an hour per customer (per mobile for numbers that belong to no customer). For an
unknown mobile the answer has the same shape but no text is sent, so the API does not reveal customers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.clock import Clock
from lending_core.config import Settings
from lending_core.errors import OtpExpired, OtpInvalid, OtpLocked, OtpRateLimited
from lending_core.models import Customer, SmsOutbox, Verification
from lending_core.schemas import SmsOut, VerificationConfirmed, VerificationStarted


def mask_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else "****"


def _code_hash(*, secret: str, verification_id: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{verification_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def _enforce_rate_limit(
    *, session: AsyncSession, customer_id: str | None, mobile: str, now: dt.datetime, settings: Settings
) -> None:
    rules = settings.rules
    owner = Verification.customer_id == customer_id if customer_id is not None else Verification.mobile == mobile
    for window, limit in (
        (dt.timedelta(minutes=1), rules.otp_max_per_minute),
        (dt.timedelta(hours=1), rules.otp_max_per_hour),
    ):
        since = now - window
        stmt = select(func.count(), func.min(Verification.created_at)).where(owner, Verification.created_at > since)
        count, oldest = (await session.execute(stmt)).one()
        if count >= limit:
            retry_after = window - (now - oldest) if oldest is not None else window
            raise OtpRateLimited(retry_after_seconds=max(1, math.ceil(retry_after.total_seconds())))


async def start_verification(
    *, session: AsyncSession, mobile: str, settings: Settings, clock: Clock
) -> VerificationStarted:
    rules = settings.rules
    now = clock.now()
    customer = (
        await session.execute(select(Customer).where(Customer.mobile == mobile).with_for_update())
    ).scalar_one_or_none()
    customer_id = customer.id if customer is not None else None
    await _enforce_rate_limit(session=session, customer_id=customer_id, mobile=mobile, now=now, settings=settings)
    verification_id = str(uuid.uuid4())
    code = f"{secrets.randbelow(10**rules.otp_length):0{rules.otp_length}d}"
    expires_at = now + dt.timedelta(minutes=rules.otp_valid_minutes)
    session.add(
        Verification(
            id=verification_id,
            customer_id=customer_id,
            mobile=mobile,
            code_hash=_code_hash(secret=settings.otp_secret, verification_id=verification_id, code=code)
            if customer_id is not None
            else None,
            attempts=0,
            status="pending",
            created_at=now,
            expires_at=expires_at,
            confirmed_at=None,
            verified_until=None,
        )
    )
    if customer_id is not None:
        session.add(
            SmsOutbox(
                mobile=mobile,
                customer_id=customer_id,
                body=(
                    f"【小微金融】验证码 {code}，{rules.otp_valid_minutes}分钟内有效，请勿告诉他人。"
                    f" Your verification code is {code}, valid for {rules.otp_valid_minutes} minutes."
                ),
                status="pending",
                created_at=now,
            )
        )
    await session.commit()
    return VerificationStarted(
        verification_id=verification_id, masked_mobile=mask_mobile(mobile), expires_at=expires_at
    )


async def confirm_verification(
    *, session: AsyncSession, verification_id: str, code: str, settings: Settings, clock: Clock
) -> VerificationConfirmed:
    """Check the code; wrong codes are counted (and committed) before the error is raised."""
    rules = settings.rules
    now = clock.now()
    record = await session.get(Verification, verification_id, with_for_update=True)
    if record is None:
        raise OtpInvalid(attempts_remaining=0)
    if record.status == "locked":
        raise OtpLocked()
    matches = record.code_hash is not None and hmac.compare_digest(
        record.code_hash, _code_hash(secret=settings.otp_secret, verification_id=record.id, code=code)
    )
    if record.status == "confirmed" and matches and record.customer_id and record.verified_until:
        return VerificationConfirmed(
            verification_id=record.id, customer_id=record.customer_id, verified_until=record.verified_until
        )
    if now >= record.expires_at:
        raise OtpExpired(expired_at=record.expires_at.isoformat())
    if matches and record.customer_id is not None and record.status == "pending":
        record.status = "confirmed"
        record.confirmed_at = now
        record.verified_until = now + dt.timedelta(minutes=rules.verified_session_minutes)
        await session.commit()
        return VerificationConfirmed(
            verification_id=record.id, customer_id=record.customer_id, verified_until=record.verified_until
        )
    record.attempts += 1
    remaining = rules.otp_max_attempts - record.attempts
    if remaining <= 0:
        record.status = "locked"
    await session.commit()
    if remaining <= 0:
        raise OtpLocked()
    raise OtpInvalid(attempts_remaining=remaining)


async def recent_sms(*, session: AsyncSession, mobile: str, limit: int = 20) -> list[SmsOut]:
    stmt = (
        select(SmsOutbox)
        .where(SmsOutbox.mobile == mobile)
        .order_by(SmsOutbox.created_at.desc(), SmsOutbox.id.desc())
        .limit(limit)
    )
    return [
        SmsOut(mobile=row.mobile, body=row.body, created_at=row.created_at)
        for row in (await session.execute(stmt)).scalars()
    ]
