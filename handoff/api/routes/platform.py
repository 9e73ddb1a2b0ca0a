"""The account-manager platform's side of the webhooks (v1).

``POST /api/platform/v1/webhook`` is the hub's own platform, the default target of the relay: it checks the
signature, processes each ``webhook-id`` once (a retried delivery is acknowledged again, nothing more), and tells
the assigned account manager's inbox live. A bank that runs its own platform points PLATFORM_WEBHOOK_URL at it
instead, and reports what its account managers do to ``POST /api/platform/v1/requests/{number}/events``, signed
the same way with the same secret.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handoff import realtime, webhooks
from handoff.agents import StaffIdentity
from handoff.api.deps import RedisDep, RequestsDep, SessionsDep, SettingsDep
from handoff.errors import BadRequest, InvalidInput, NotFound, Unauthorized
from handoff.models import PlatformReceipt, Role, StaffUser
from handoff.schemas import PlatformEvent

router = APIRouter(prefix="/api/platform/v1", tags=["account-manager platform"])


async def _verified(request: Request, secret: str) -> dict[str, Any]:
    body = await request.body()
    try:
        return webhooks.verify(secret=secret, body=body, headers=dict(request.headers))
    except webhooks.InvalidWebhook as exc:
        raise Unauthorized(f"The webhook signature does not check out: {exc}", code="invalid_signature") from exc


async def _first_time(sessions: SessionsDep, *, webhook_id: str, event_type: str) -> bool:
    """Record a webhook id; False when it was processed before (the sender retried)."""
    async with sessions() as session:
        session.add(PlatformReceipt(webhook_id=webhook_id[:40], event_type=event_type[:48]))
        try:
            await session.commit()
        except IntegrityError:
            return False
    return True


@router.post("/webhook", status_code=status.HTTP_200_OK)
async def receive(request: Request, settings: SettingsDep, sessions: SessionsDep, redis: RedisDep) -> dict[str, Any]:
    payload = await _verified(request, settings.platform_webhook_secret)
    webhook_id = request.headers.get("webhook-id", "")
    event_type = str(payload.get("type", ""))
    if not await _first_time(sessions, webhook_id=webhook_id, event_type=event_type):
        return {"received": webhook_id, "duplicate": True}
    data: dict[str, Any] = payload["data"] if isinstance(payload.get("data"), dict) else {}
    manager = data.get("account_manager") or {}
    if event_type.startswith("service_request.") and manager.get("staff_id"):
        event = {"type": "service_request", "number": data.get("number"), "state": "submitted", "new": True}
        await realtime.publish(redis, realtime.staff_channel(str(manager["staff_id"])), event)
    await realtime.publish(redis, realtime.CONSOLE_CHANNEL, {"type": "service_requests_changed"})
    return {"received": webhook_id, "duplicate": False}


@router.post("/requests/{number}/events", status_code=status.HTTP_204_NO_CONTENT)
async def report(
    number: str, request: Request, settings: SettingsDep, sessions: SessionsDep, service: RequestsDep
) -> Response:
    payload = await _verified(request, settings.platform_webhook_secret)
    try:
        event = PlatformEvent.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput("; ".join(str(e["msg"]) for e in exc.errors()), code="validation_error") from exc
    if not await _first_time(sessions, webhook_id=request.headers.get("webhook-id", ""), event_type=event.type):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    async with sessions() as session:
        found = await session.execute(
            select(StaffUser).where(
                StaffUser.external_id == event.data.account_manager_id, StaffUser.role == Role.ACCOUNT_MANAGER
            )
        )
        user = found.scalars().first()
    if user is None:
        raise NotFound("The hub does not know this account manager.", code="account_manager_unknown")
    staff = StaffIdentity.of(user)
    kind = event.type.removeprefix("service_request.")
    if kind == "accepted":
        await service.accept(staff=staff, number=number)
    elif kind == "declined":
        await service.decline(staff=staff, number=number, reason=event.data.note or "declined on the platform")
    elif kind == "scheduled":
        if event.data.at is None or event.data.contact_method is None:
            raise BadRequest("scheduled needs contact_method and at", code="schedule_incomplete")
        await service.schedule(
            staff=staff, number=number, method=event.data.contact_method, at=event.data.at, note=event.data.note
        )
    elif kind == "note":
        await service.add_note(staff=staff, number=number, note=event.data.note)
    else:
        await service.finish(staff=staff, number=number, note=event.data.note)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
