"""The figures, each a SQL query over the stored tables (see the package's docstring for what each one reads).

A figure is a table: a list of rows with the same keys, in a stable order. Durations are seconds (floats, one
decimal); percentiles interpolate linearly between the stored values, as numpy's default does.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from handoff.analytics.filters import Filters, local_day, local_hour
from handoff.models import (
    Conversation,
    FaqGapMessage,
    Handoff,
    HandoffEvent,
    JourneyStep,
    Message,
    SatisfactionRating,
    ServiceRequest,
    StaffUser,
)

Row = dict[str, Any]
Table = list[Row]

OUTCOMES = ("assistant", "agent", "service_request")
# The journeys and their steps in the order the forms ask them (bot/domain/loans.yml), then the summary and the
# confirmation; ``cancelled`` and ``handed_over`` are where a customer left the journey instead.
JOURNEYS: dict[str, tuple[str, ...]] = {
    "loan_application_form": (
        "company_name",
        "credit_code",
        "contact_name",
        "mobile",
        "loan_amount",
        "loan_term",
        "loan_purpose",
        "credit_check_consent",
    ),
    "drawdown_form": ("verify_mobile", "otp_code", "drawdown_amount", "drawdown_term", "receiving_account"),
    "repayment_form": ("verify_mobile", "otp_code", "repayment_loan", "repayment_amount", "repayment_account"),
    "renewal_form": ("verify_mobile", "otp_code", "renewal_loan"),
}
SUMMARY, CONFIRMED, CANCELLED, HANDED_OVER, STARTED = "summary", "confirmed", "cancelled", "handed_over", "started"
# Each journey's questions, then the summary and the confirmation: how far a conversation got.
_ORDERS: dict[str, tuple[str, ...]] = {
    journey: (*questions, SUMMARY, CONFIRMED) for journey, questions in JOURNEYS.items()
}
# Handoffs that never reached the queue (no agent could take them).
NOT_QUEUED_OUTCOMES = ("after_hours", "no_agent", "wait_too_long")


@dataclass
class Report:
    """Every figure of a date range, by table name (the order the dashboard shows them)."""

    filters: Filters
    tables: dict[str, Table] = field(default_factory=dict)
    totals: Row = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"filters": self.filters.as_dict(), "totals": self.totals, "tables": self.tables}


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _in_range(column: Any, filters: Filters) -> ColumnElement[bool]:
    return and_(column >= filters.since, column < filters.until)


def _conversation_filters(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.channel:
        conditions.append(Conversation.channel == filters.channel)
    if filters.language:
        conditions.append(Conversation.language == filters.language)
    return conditions


def _handoff_filters(filters: Filters) -> list[ColumnElement[bool]]:
    conditions = _conversation_filters(filters)
    if filters.skill:
        conditions.append(Handoff.requested_skill == filters.skill)
    return conditions


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0-100) with linear interpolation; None without values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 1)


def _seconds(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


# ---- containment -----------------------------------------------------------------------------------------------


async def containment(session: AsyncSession, filters: Filters) -> dict[str, Table]:
    """Conversations started in the range (with at least one message) by outcome: by day, by hour, by channel and
    by language. A conversation's outcome: a service request, else a handoff to people, else served by the
    assistant."""
    dialect = _dialect(session)
    keys: dict[str, Any] = {
        "day": local_day(Conversation.created_at, dialect),
        "hour": local_hour(Conversation.created_at, dialect),
        "channel": Conversation.channel,
        "language": func.coalesce(Conversation.language, "unknown"),
    }
    # Outer joins to the conversations with a request or a handoff (not a correlated EXISTS per conversation: on
    # PostgreSQL its estimated cost made the planner compile the query with JIT, which took longer than the query).
    requested = select(ServiceRequest.conversation_id).distinct().subquery("requested")
    handed = select(Handoff.conversation_id).distinct().subquery("handed")
    outcome = case(
        (requested.c.conversation_id.is_not(None), literal("service_request")),
        (handed.c.conversation_id.is_not(None), literal("agent")),
        else_=literal("assistant"),
    ).label("outcome")
    # One pass over the range's conversations, grouped by every key at once; the four tables are sums of it.
    labelled = [expression.label(name) for name, expression in keys.items()]
    inner = (
        select(*labelled, outcome)
        .select_from(Conversation)
        .outerjoin(requested, requested.c.conversation_id == Conversation.id)
        .outerjoin(handed, handed.c.conversation_id == Conversation.id)
        .where(_in_range(Conversation.created_at, filters), Conversation.last_seq > 0, *_conversation_filters(filters))
        .subquery()
    )
    columns = [inner.c[name] for name in keys]
    query = select(*columns, inner.c.outcome, func.count().label("n")).group_by(*columns, inner.c.outcome)
    grouped: dict[str, dict[Any, Counter[str]]] = {name: defaultdict(Counter) for name in keys}
    for row in (await session.execute(query)).all():
        kind, count = row[len(keys)], int(row[len(keys) + 1])
        for index, name in enumerate(keys):
            grouped[name][row[index]][kind] += count
    for day in filters.days():
        grouped["day"].setdefault(day.isoformat(), Counter())
    for hour in range(24):
        grouped["hour"].setdefault(hour, Counter())
    return {
        f"containment_by_{name}": [_containment_row(name, key, counts[key]) for key in sorted(counts)]
        for name, counts in grouped.items()
    }


def _containment_row(name: str, key: Any, counts: Counter[str]) -> Row:
    total = sum(counts.values())
    row: Row = {name: key, "conversations": total}
    for outcome in OUTCOMES:
        row[outcome] = counts.get(outcome, 0)
    row["contained_share"] = round(counts.get("assistant", 0) / total, 4) if total else None
    return row


# ---- handoffs ----------------------------------------------------------------------------------------------------


def _handoffs_in_range(filters: Filters, *columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Handoff)
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(_in_range(Handoff.queued_at, filters), *_handoff_filters(filters))
    )


async def handoff_reasons(session: AsyncSession, filters: Filters) -> dict[str, Table]:
    """Handoffs by the packet's reason, and by reason and journey step."""
    stage = func.coalesce(Handoff.journey_stage, "unknown").label("journey_stage")
    count = func.count().label("handoffs")
    by_reason = _handoffs_in_range(filters, Handoff.reason, count).group_by(Handoff.reason)
    by_step = _handoffs_in_range(filters, Handoff.reason, stage, count).group_by(Handoff.reason, stage)
    reasons = [{"reason": r, "handoffs": int(n)} for r, n in (await session.execute(by_reason)).all()]
    steps = [
        {"reason": r, "journey_stage": s, "handoffs": int(n)} for r, s, n in (await session.execute(by_step)).all()
    ]
    reasons.sort(key=lambda row: (-row["handoffs"], row["reason"]))
    steps.sort(key=lambda row: (-row["handoffs"], row["reason"], row["journey_stage"]))
    return {"handoff_reasons": reasons, "handoff_steps": steps}


# ---- journeys ----------------------------------------------------------------------------------------------------


async def funnels(session: AsyncSession, filters: Filters) -> dict[str, Table]:
    """For each journey: conversations that started it, reached (or passed) each question, the summary, confirmed,
    cancelled, or were handed over inside it."""
    # The replies' journey markers, from their rollup (a row per marked reply, written with it: crud.add_message),
    # summed in SQL to a row per conversation and journey: the furthest step of the journey's order it reached
    # (-1: none of them) and whether it was cancelled.
    position = case(
        *(
            (and_(JourneyStep.form == journey, JourneyStep.step == name), literal(index))
            for journey, order in _ORDERS.items()
            for index, name in enumerate(order)
        ),
        else_=literal(-1),
    )
    cancelled = case((JourneyStep.step == CANCELLED, literal(1)), else_=literal(0))
    markers = (
        select(JourneyStep.conversation_id, JourneyStep.form, func.max(position), func.max(cancelled))
        .where(_in_range(JourneyStep.created_at, filters), JourneyStep.form.in_(list(JOURNEYS)))
        .group_by(JourneyStep.conversation_id, JourneyStep.form)
    )
    if _conversation_filters(filters):  # the conversation is read only when a filter needs it
        markers = markers.join(Conversation, Conversation.id == JourneyStep.conversation_id).where(
            *_conversation_filters(filters)
        )
    # journey -> conversation -> [furthest position, cancelled]
    seen: dict[str, dict[str, list[int]]] = {journey: {} for journey in JOURNEYS}
    for conversation_id, journey, furthest, was_cancelled in (await session.execute(markers)).all():
        seen[journey][conversation_id] = [int(furthest), int(was_cancelled)]
    handovers = _handoffs_in_range(filters, Handoff.conversation_id, Handoff.journey_stage).where(
        Handoff.journey_stage.is_not(None)
    )
    handed: dict[str, set[str]] = defaultdict(set)
    for conversation_id, stage in (await session.execute(handovers)).all():
        journey, _, at = str(stage).partition(":")
        if journey in seen:
            state = seen[journey].setdefault(conversation_id, [-1, 0])
            if at in _ORDERS[journey]:
                state[0] = max(state[0], _ORDERS[journey].index(at))
            if at == CANCELLED:
                state[1] = 1
            handed[journey].add(conversation_id)
    rows: Table = []
    for journey, order in _ORDERS.items():
        conversations = seen[journey]
        started = len(conversations)
        reached: Counter[str] = Counter()
        ended: Counter[str] = Counter()
        for furthest, was_cancelled in conversations.values():
            for index in range(furthest + 1):
                reached[order[index]] += 1
            if was_cancelled:
                ended[CANCELLED] += 1
        ended[HANDED_OVER] = len(handed[journey])
        for name, count in [(STARTED, started), *((s, reached[s]) for s in order), *ended.most_common()]:
            share = round(count / started, 4) if started else None
            rows.append({"journey": journey, "step": name, "conversations": count, "share_of_started": share})
    return {"funnels": rows}


# ---- queue -------------------------------------------------------------------------------------------------------


async def queue(session: AsyncSession, filters: Filters) -> dict[str, Table]:
    """By the skill the packet asked for: handoffs, queued, answered by an agent, abandoned while queued, the
    waits, the agents' first response, the handling time and the transfers."""
    first_agent_message = (
        select(func.min(Message.created_at))
        .where(
            Message.conversation_id == Handoff.conversation_id,
            Message.sender == "agent",
            Message.created_at >= Handoff.first_assigned_at,
        )
        .scalar_subquery()
    )
    transfers = (
        select(func.count())
        .where(HandoffEvent.handoff_id == Handoff.id, HandoffEvent.kind == "transferred")
        .scalar_subquery()
    )
    query = _handoffs_in_range(
        filters,
        Handoff.requested_skill,
        Handoff.status,
        Handoff.outcome,
        Handoff.queued_at,
        Handoff.first_assigned_at,
        Handoff.ended_at,
        first_agent_message.label("first_agent_message"),
        transfers.label("transfers"),
    )
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in (await session.execute(query)).all():
        groups[row.requested_skill].append(row)
    table: Table = []
    for skill in sorted(groups):
        rows = groups[skill]
        queued = [r for r in rows if r.status != "not_queued" and r.outcome not in NOT_QUEUED_OUTCOMES]
        assigned = [r for r in rows if r.first_assigned_at is not None]
        abandoned = [r for r in queued if r.first_assigned_at is None and r.outcome == "customer_left"]
        waits = [_seconds(r.first_assigned_at, r.queued_at) for r in assigned]
        abandoned_waits = [_seconds(r.ended_at, r.queued_at) for r in abandoned]
        first = [_seconds(r.first_agent_message, r.first_assigned_at) for r in assigned]
        handling = [_seconds(r.ended_at, r.first_assigned_at) for r in assigned]
        table.append(
            {
                "skill": skill,
                "handoffs": len(rows),
                "queued": len(queued),
                "not_queued": len(rows) - len(queued),
                "answered": len(assigned),
                "abandoned": len(abandoned),
                "abandonment_rate": round(len(abandoned) / len(queued), 4) if queued else None,
                "wait_p50_s": percentile(_known(waits), 50),
                "wait_p90_s": percentile(_known(waits), 90),
                "abandoned_wait_p50_s": percentile(_known(abandoned_waits), 50),
                "first_response_p50_s": percentile(_known(first), 50),
                "first_response_p90_s": percentile(_known(first), 90),
                "handling_p50_s": percentile(_known(handling), 50),
                "handling_p90_s": percentile(_known(handling), 90),
                "transfers": sum(int(r.transfers or 0) for r in rows),
            }
        )
    return {"queue_by_skill": table}


def _known(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None]


# ---- service requests ------------------------------------------------------------------------------------------


async def service_requests(session: AsyncSession, filters: Filters, *, now: dt.datetime) -> dict[str, Table]:
    """Requests created in the range: accepted, time to acceptance, the acceptance deadline met or missed (a request
    still waiting after its deadline is missed), by branch and by account manager."""
    conditions = [_in_range(ServiceRequest.created_at, filters)]
    if filters.channel:
        conditions.append(ServiceRequest.channel == filters.channel)
    if filters.language:
        conditions.append(ServiceRequest.language == filters.language)
    query = (
        select(
            func.coalesce(ServiceRequest.branch, "unassigned").label("branch"),
            func.coalesce(StaffUser.display_name, "unassigned").label("account_manager"),
            ServiceRequest.state,
            ServiceRequest.created_at,
            ServiceRequest.accepted_at,
            ServiceRequest.accept_by,
        )
        .outerjoin(StaffUser, StaffUser.id == ServiceRequest.account_manager_id)
        .where(*conditions)
    )
    rows = (await session.execute(query)).all()
    by_branch: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    by_manager: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for row in rows:
        by_branch[(row.branch,)].append(row)
        by_manager[(row.account_manager, row.branch)].append(row)
    return {
        "requests_by_branch": [_request_row({"branch": k[0]}, v, now) for k, v in sorted(by_branch.items())],
        "requests_by_account_manager": [
            _request_row({"account_manager": k[0], "branch": k[1]}, v, now) for k, v in sorted(by_manager.items())
        ],
    }


def _request_row(key: Row, rows: list[Any], now: dt.datetime) -> Row:
    accepted = [r for r in rows if r.accepted_at is not None]
    met = sum(1 for r in accepted if r.accepted_at <= r.accept_by)
    missed = sum(1 for r in accepted if r.accepted_at > r.accept_by)
    missed += sum(1 for r in rows if r.accepted_at is None and r.state != "cancelled" and r.accept_by < now)
    decided = met + missed
    times = _known(_seconds(r.accepted_at, r.created_at) for r in accepted)
    return {
        **key,
        "requests": len(rows),
        "accepted": len(accepted),
        "sla_met": met,
        "sla_missed": missed,
        "sla_met_share": round(met / decided, 4) if decided else None,
        "acceptance_p50_s": percentile(times, 50),
        "acceptance_p90_s": percentile(times, 90),
    }


# ---- satisfaction ----------------------------------------------------------------------------------------------


async def satisfaction(session: AsyncSession, filters: Filters) -> dict[str, Table]:
    """The 1-5 ratings given in the range, by agent, by skill and by the chat's outcome."""
    dims: dict[str, Any] = {
        "agent": func.coalesce(StaffUser.display_name, "unknown"),
        "skill": Handoff.skill,
        "outcome": func.coalesce(Handoff.outcome, "unknown"),
    }
    tables: dict[str, Table] = {}
    for name, dimension in dims.items():
        key = dimension.label(name)
        scores = [func.sum(case((SatisfactionRating.score == n, 1), else_=0)).label(f"score_{n}") for n in range(1, 6)]
        query = (
            select(key, func.count().label("ratings"), func.avg(SatisfactionRating.score).label("average"), *scores)
            .select_from(SatisfactionRating)
            .join(Handoff, Handoff.id == SatisfactionRating.handoff_id)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .outerjoin(StaffUser, StaffUser.id == SatisfactionRating.agent_id)
            .where(_in_range(SatisfactionRating.created_at, filters), *_handoff_filters(filters))
            .group_by(key)
            .order_by(key)
        )
        tables[f"satisfaction_by_{name}"] = [
            {
                name: row[0],
                "ratings": int(row[1]),
                "average": round(float(row[2]), 2),
                **{f"score_{n}": int(row[2 + n] or 0) for n in range(1, 6)},
            }
            for row in (await session.execute(query)).all()
        ]
    return tables


# ---- what the assistant could not answer -------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A customer message the assistant was not sure about: its id, text (as stored), kind and when."""

    message_id: int
    text: str
    kind: str
    language: str | None
    created_at: dt.datetime


async def gaps(session: AsyncSession, filters: Filters, *, limit: int = 5000) -> list[Gap]:
    """The customer messages answered by a reply that said the assistant was not sure (newest first), in the range
    by the reply's time; from their rollup (a row per marked reply, written with it: crud.add_message), the
    customer's text read from the transcript by the row's message id."""
    query = (
        select(Message.id, Message.text, FaqGapMessage.kind, Conversation.language, Message.created_at)
        .select_from(FaqGapMessage)
        .join(Message, Message.id == FaqGapMessage.message_id)
        .join(Conversation, Conversation.id == FaqGapMessage.conversation_id)
        .where(_in_range(FaqGapMessage.created_at, filters), *_conversation_filters(filters))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return [
        Gap(message_id=r[0], text=r[1], kind=r[2], language=r[3], created_at=r[4])
        for r in (await session.execute(query)).all()
    ]


# ---- everything --------------------------------------------------------------------------------------------------


async def report(session: AsyncSession, filters: Filters, *, now: dt.datetime) -> Report:
    """Every figure of the dashboard but the FAQ gaps' groups (handoff/analytics/gaps.py)."""
    result = Report(filters=filters)
    for part in (
        await containment(session, filters),
        await handoff_reasons(session, filters),
        await funnels(session, filters),
        await queue(session, filters),
        await service_requests(session, filters, now=now),
        await satisfaction(session, filters),
    ):
        result.tables.update(part)
    days = result.tables["containment_by_day"]
    conversations = sum(r["conversations"] for r in days)
    result.totals = {
        "conversations": conversations,
        **{outcome: sum(r[outcome] for r in days) for outcome in OUTCOMES},
        "contained_share": round(sum(r["assistant"] for r in days) / conversations, 4) if conversations else None,
        "handoffs": sum(r["handoffs"] for r in result.tables["handoff_reasons"]),
        "ratings": sum(r["ratings"] for r in result.tables["satisfaction_by_skill"]),
        "service_requests": sum(r["requests"] for r in result.tables["requests_by_branch"]),
    }
    return result
