"""The supervisors' analytics API (v1, ``/api/console/analytics``): the dashboard's figures as JSON, every table as
CSV, the FAQ gaps' groups and a group as a draft FAQ entry (YAML). Supervisors and administrators only; the range is
``start`` to ``end`` (``YYYY-MM-DD``, Asia/Shanghai, inclusive; the last 7 days when left out). Documented in
docs/contracts.md."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from handoff.analytics import MAX_RANGE_DAYS, Filters, InvalidRange, report
from handoff.analytics.gaps import GapGroup, IndexEncoder, faq_draft, gap_table, group_gaps
from handoff.analytics.queries import gaps
from handoff.api.deps import ClockDep, SessionsDep, Supervisor
from handoff.errors import InvalidInput, NotFound

router = APIRouter(prefix="/api/console/analytics", tags=["analytics"])
DEFAULT_DAYS = 7
GAP_TABLE = "faq_gaps"


def _date(value: str | None, field: str, default: dt.date) -> dt.date:
    if value is None or value == "":
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field}: not a date; use YYYY-MM-DD.",
            code="invalid_date",
            details={"fields": [{"field": field, "problem": "not a date (YYYY-MM-DD)"}]},
        ) from None


async def get_filters(
    clock: ClockDep,
    start: Annotated[str | None, Query(description="first day, YYYY-MM-DD (Asia/Shanghai)")] = None,
    end: Annotated[str | None, Query(description="last day, YYYY-MM-DD (Asia/Shanghai), inclusive")] = None,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
    skill: Annotated[str | None, Query(max_length=24)] = None,
) -> Filters:
    today = clock.now().date()
    last = _date(end, "end", today)
    first = _date(start, "start", last - dt.timedelta(days=DEFAULT_DAYS - 1))
    try:
        return Filters(start=first, end=last, channel=channel or None, language=language or None, skill=skill or None)
    except InvalidRange as exc:
        code = "range_too_long" if "at most" in str(exc) else "invalid_range"
        raise InvalidInput(f"{exc}.", code=code, details={"max_days": MAX_RANGE_DAYS}) from None


FiltersDep = Annotated[Filters, Depends(get_filters)]


@router.get("")
async def figures(_staff: Supervisor, filters: FiltersDep, sessions: SessionsDep, clock: ClockDep) -> dict[str, Any]:
    """Every figure of the range but the FAQ gaps (``/faq-gaps``)."""
    async with sessions() as session:
        result = await report(session, filters, now=clock.now())
    return result.as_dict()


async def _groups(request: Request, filters: Filters, sessions: SessionsDep) -> list[GapGroup]:
    async with sessions() as session:
        found = await gaps(session, filters)
    encoder = getattr(request.app.state, "analytics_encoder", None)
    if encoder is None:
        from knowledge.config import KnowledgeSettings

        encoder = request.app.state.analytics_encoder = IndexEncoder(KnowledgeSettings().index_dir)
    # Encoding and clustering are CPU work: off the event loop.
    return await asyncio.to_thread(group_gaps, found, encoder)


@router.get("/faq-gaps")
async def faq_gaps(_staff: Supervisor, request: Request, filters: FiltersDep, sessions: SessionsDep) -> dict[str, Any]:
    """What the assistant could not answer, grouped by meaning (examples masked)."""
    groups = await _groups(request, filters, sessions)
    return {"filters": filters.as_dict(), "groups": gap_table(groups)}


@router.get("/faq-gaps/{group_id}/draft.yaml")
async def faq_gap_draft(
    group_id: str, _staff: Supervisor, request: Request, filters: FiltersDep, sessions: SessionsDep, clock: ClockDep
) -> Response:
    """A group as a draft FAQ entry in the corpus's YAML, for a content editor to complete."""
    group = next((g for g in await _groups(request, filters, sessions) if g.id == group_id), None)
    if group is None:
        raise NotFound("No such group in this range.", code="gap_group_not_found")
    return Response(
        faq_draft(group, today=clock.now().date()),
        media_type="application/yaml; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="faq-draft-{group.id}.yaml"'},
    )


@router.get("/{table}.csv")
async def table_csv(
    table: str, _staff: Supervisor, request: Request, filters: FiltersDep, sessions: SessionsDep, clock: ClockDep
) -> Response:
    """One table of the dashboard as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
    if table == GAP_TABLE:
        rows = gap_table(await _groups(request, filters, sessions))
    else:
        async with sessions() as session:
            result = await report(session, filters, now=clock.now())
        if table not in result.tables:
            raise NotFound("No such table.", code="table_not_found", details={"tables": [*result.tables, GAP_TABLE]})
        rows = result.tables[table]
    return Response(
        to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{table}_{filters.start}_{filters.end}.csv"',
        },
    )


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()
