"""``make demo-data``: a few days of demo conversations through the hub's own code on a fresh SQLite database
(``make run``'s), and the dashboard's figures have something in every part."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import func, select

from handoff.analytics import Filters, report
from handoff.analytics.queries import gaps
from handoff.clock import SHANGHAI
from handoff.config import Settings
from handoff.db import create_engine, create_sessionmaker, sync_database_url
from handoff.demo_month import seed_month
from handoff.migrations import ALEMBIC_INI
from handoff.models import Conversation, Message


async def test_a_week_of_demo_conversations_fills_the_dashboard(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = sync_database_url(url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    settings = Settings(environment="development", database_url=url)

    summary = await seed_month(settings, days=7, per_day=25, seed=3)

    assert summary.conversations > 100 and summary.handoffs > 10 and summary.ratings > 0
    today = dt.datetime.now(SHANGHAI).date()
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        figures = await report(
            session, Filters(start=today - dt.timedelta(days=8), end=today), now=dt.datetime.now(SHANGHAI)
        )
        unanswered = await gaps(session, Filters(start=today - dt.timedelta(days=8), end=today))
        first = (await session.execute(select(func.min(Message.created_at)))).scalar_one()
        waiting = (
            await session.execute(select(func.count()).where(Conversation.mode.in_(("queued", "agent"))))
        ).scalar_one()
    await engine.dispose()
    totals = figures.totals
    assert totals["conversations"] == summary.conversations
    assert totals["assistant"] > 0 and totals["agent"] > 0 and totals["service_request"] > 0
    assert first < dt.datetime.now(dt.UTC) - dt.timedelta(days=5)  # spread over the days, not stamped now
    assert waiting == 0  # nothing left in the live queue of a `make run`
    days = [row for row in figures.tables["containment_by_day"] if row["conversations"]]
    assert len(days) >= 6
    assert any(r["step"] == "confirmed" and r["conversations"] > 0 for r in figures.tables["funnels"])
    assert any(r["answered"] > 0 and r["wait_p50_s"] for r in figures.tables["queue_by_skill"])
    assert figures.tables["satisfaction_by_agent"] and figures.tables["requests_by_account_manager"]
    assert {r["reason"] for r in figures.tables["handoff_reasons"]} >= {"customer_request", "complaint"}
    assert {g.kind for g in unanswered} == {"abstained", "fallback"}  # the not-sure replies' rollup rows
