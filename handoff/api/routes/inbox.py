"""The account-manager inbox's API (v1, ``/api/inbox``): the requests assigned to the signed-in account manager
(supervisors and administrators: every request), in full for their own account manager only (each such view is
written to the audit log), and what they do with them. Writes need the CSRF token and the console's Origin, as
in the console (handoff/api/deps.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from handoff.agents import StaffIdentity
from handoff.api.deps import CurrentStaff, StaffWrite
from handoff.errors import Forbidden
from handoff.models import Role
from handoff.requests import ServiceRequestService
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


def _service(request: Request) -> ServiceRequestService:
    service: ServiceRequestService = request.app.state.requests
    return service


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
    request: Request, staff: InboxReader, scope: Annotated[str, Query(pattern="^(open|all)$")] = "open"
) -> ServiceRequestList:
    return ServiceRequestList.model_validate({"requests": await _service(request).listing(staff=staff, scope=scope)})


@router.get("/requests/{number}", response_model=ServiceRequestDetail)
async def read_request(number: str, request: Request, staff: InboxReader) -> ServiceRequestDetail:
    return ServiceRequestDetail.model_validate(await _service(request).detail(staff=staff, number=number))


async def _summary(request: Request, staff: StaffIdentity, number: str) -> ServiceRequestSummary:
    return ServiceRequestSummary.model_validate(await _service(request).summary(staff=staff, number=number))


@router.post("/requests/{number}/accept", response_model=ServiceRequestSummary)
async def accept(number: str, request: Request, staff: InboxWriter) -> ServiceRequestSummary:
    await _service(request).accept(staff=staff, number=number)
    return await _summary(request, staff, number)


@router.post("/requests/{number}/decline", response_model=ServiceRequestList)
async def decline(number: str, body: DeclineIn, request: Request, staff: InboxWriter) -> ServiceRequestList:
    """Not for me: it goes to the next account manager (and out of my list)."""
    await _service(request).decline(staff=staff, number=number, reason=body.reason)
    return ServiceRequestList.model_validate({"requests": await _service(request).listing(staff=staff, scope="open")})


@router.post("/requests/{number}/schedule", response_model=ServiceRequestSummary)
async def schedule(number: str, body: ScheduleIn, request: Request, staff: InboxWriter) -> ServiceRequestSummary:
    await _service(request).schedule(staff=staff, number=number, method=body.contact_method, at=body.at, note=body.note)
    return await _summary(request, staff, number)


@router.post("/requests/{number}/notes", response_model=ServiceRequestSummary)
async def add_note(number: str, body: NoteIn, request: Request, staff: InboxWriter) -> ServiceRequestSummary:
    await _service(request).add_note(staff=staff, number=number, note=body.note)
    return await _summary(request, staff, number)


@router.post("/requests/{number}/done", response_model=ServiceRequestSummary)
async def done(number: str, body: DoneIn, request: Request, staff: InboxWriter) -> ServiceRequestSummary:
    await _service(request).finish(staff=staff, number=number, note=body.note)
    return await _summary(request, staff, number)
