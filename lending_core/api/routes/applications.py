"""Loan applications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from lending_core.api.deps import CallerDep, ClockDep, IdempotentDep, SessionDep, SettingsDep
from lending_core.api.responses import errors
from lending_core.schemas import ApplicationCreated, ApplicationIn, ApplicationOut
from lending_core.services.applications import get_application, submit_application

router = APIRouter(tags=["applications"])


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationCreated,
    responses=errors(400, 401, 404, 422),
    summary="Submit a loan application (Idempotency-Key required)",
)
async def post_application(
    body: ApplicationIn,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    idempotent: IdempotentDep,
) -> JSONResponse:
    return await idempotent.respond(
        endpoint="POST /applications",
        body=body,
        operation=lambda: submit_application(session=session, body=body, settings=settings, clock=clock),
    )


@router.get(
    "/applications/{application_number}",
    response_model=ApplicationOut,
    responses=errors(401, 404),
    summary="Status of an application",
)
async def read_application(
    application_number: Annotated[str, Path(pattern=r"^AP\d{10}$")],
    session: SessionDep,
    clock: ClockDep,
    _caller: CallerDep,
    customer_id: Annotated[str | None, Query(max_length=16)] = None,
) -> ApplicationOut:
    return await get_application(session=session, number=application_number, customer_id=customer_id, clock=clock)
