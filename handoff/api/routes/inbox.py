"""The account-manager inbox's API (v1, ``/api/inbox``): the requests assigned to the signed-in account manager
(supervisors and administrators: every request), in full for their own account manager only (each such view is
written to the audit log), and what they do with them. Writes need the CSRF token and the console's Origin, as
in the console (handoff/api/deps.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from handoff.agents import StaffIdentity
from handoff.api.deps import CurrentStaff, RequestsDep, StaffWrite
from handoff.errors import Forbidden
from handoff.models import Role
from handoff.schemas import (
    DeclineIn,
    DoneIn,
    NoteIn,
    ScheduleIn,
    ServiceRequestDetail,
    ServiceRequestList,
    ServiceRequestSummary,
)

router = APIRouter(prefix="/api/inbox", tags=["account-manager inbox"])


def _inbox_role(staff: StaffIdentity) -> StaffIdentity:
    if staff.role != Role.ACCOUNT_MANAGER and not staff.supervises:
        raise Forbidden("The inbox is for account managers and supervisors.", code="role_not_allowed")
    return staff


async def get_inbox_reader(staff: CurrentStaff) -> StaffIdentity:
    return _inbox_role(staff)


async def get_inbox_writer(staff: StaffWrite) -> StaffIdentity:
    return _inbox_role(staff)


InboxReader = Annotated[StaffIdentity, Depends(get_inbox_reader)]
InboxWriter = Annotated[StaffIdentity, Depends(get_inbox_writer)]


@router.get("/requests", response_model=ServiceRequestList)
async def list_requests(
    requests: RequestsDep, staff: InboxReader, scope: Annotated[str, Query(pattern="^(open|all)$")] = "open"
) -> ServiceRequestList:
    return ServiceRequestList.model_validate({"requests": await requests.listing(staff=staff, scope=scope)})


@router.get("/requests/{number}", response_model=ServiceRequestDetail)
async def read_request(number: str, requests: RequestsDep, staff: InboxReader) -> ServiceRequestDetail:
    return ServiceRequestDetail.model_validate(await requests.detail(staff=staff, number=number))


async def _summary(requests: RequestsDep, staff: StaffIdentity, number: str) -> ServiceRequestSummary:
    return ServiceRequestSummary.model_validate(await requests.summary(staff=staff, number=number))


@router.post("/requests/{number}/accept", response_model=ServiceRequestSummary)
async def accept(number: str, requests: RequestsDep, staff: InboxWriter) -> ServiceRequestSummary:
    await requests.accept(staff=staff, number=number)
    return await _summary(requests, staff, number)


@router.post("/requests/{number}/decline", response_model=ServiceRequestList)
async def decline(number: str, body: DeclineIn, requests: RequestsDep, staff: InboxWriter) -> ServiceRequestList:
    """Not for me: it goes to the next account manager (and out of my list)."""
    await requests.decline(staff=staff, number=number, reason=body.reason)
    return ServiceRequestList.model_validate({"requests": await requests.listing(staff=staff, scope="open")})


@router.post("/requests/{number}/schedule", response_model=ServiceRequestSummary)
async def schedule(number: str, body: ScheduleIn, requests: RequestsDep, staff: InboxWriter) -> ServiceRequestSummary:
    await requests.schedule(staff=staff, number=number, method=body.contact_method, at=body.at, note=body.note)
    return await _summary(requests, staff, number)


@router.post("/requests/{number}/notes", response_model=ServiceRequestSummary)
async def add_note(number: str, body: NoteIn, requests: RequestsDep, staff: InboxWriter) -> ServiceRequestSummary:
    await requests.add_note(staff=staff, number=number, note=body.note)
    return await _summary(requests, staff, number)


@router.post("/requests/{number}/done", response_model=ServiceRequestSummary)
async def done(number: str, body: DoneIn, requests: RequestsDep, staff: InboxWriter) -> ServiceRequestSummary:
    await requests.finish(staff=staff, number=number, note=body.note)
    return await _summary(requests, staff, number)
