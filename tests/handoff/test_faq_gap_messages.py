"""The FAQ gaps' rollup (faq_gap_messages): written with the not-sure reply it comes from, once; and migration 0008
fills it from the replies stored before it, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from redis.asyncio import Redis
from sqlalchemy import select

from handoff.analytics import Filters
from handoff.analytics.queries import gaps
from handoff.clock import SHANGHAI
from handoff.config import Settings
from handoff.db import create_engine, create_sessionmaker, sync_database_url
from handoff.demo_month import Month
from handoff.migrations import ALEMBIC_INI
from handoff.models import Conversation, FaqGapMessage, Message
from handoff.rasa import BotReply
from tests.conftest import DATABASE_SUFFIX, recreate_database


def _alembic(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = sync_database_url(url)
    config.attributes["skip_logging"] = True
    return config


async def test_a_not_sure_reply_lands_in_the_rollup_once(tmp_path: Path, redis_url: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    command.upgrade(_alembic(url), "head")
    redis = Redis.from_url(redis_url)
    month = Month(settings=Settings(environment="development", database_url=url), redis=redis, seed=1)
    try:
        conversation, _ = await month.conversations.create_conversation(
            channel="web", language="zh", customer_token=None
        )
        marker = {"faq_gap": {"kind": "abstained"}}
        month.assistant.plan(
            conversation.id, [BotReply(text="抱歉，我不太确定", custom=marker), BotReply(text="还有别的吗")]
        )
        first = await month.conversations.post_customer_message(
            conversation=conversation, client_msg_id="m-1", text="保险箱怎么租"
        )
        again = await month.conversations.post_customer_message(
            conversation=conversation, client_msg_id="m-1", text="保险箱怎么租"
        )
        assert [r.seq for r in again.replies] == [r.seq for r in first.replies]
        async with month.sessions() as session:
            rows = (await session.execute(select(FaqGapMessage))).scalars().all()
            asked = (await session.execute(select(Message).where(Message.id == rows[0].message_id))).scalar_one()
            reply = (await session.execute(select(Message).where(Message.id == rows[0].reply_id))).scalar_one()
            today = dt.datetime.now(SHANGHAI).date()
            found = await gaps(session, Filters(start=today - dt.timedelta(days=1), end=today))
    finally:
        await month.http.aclose()
        await month.engine.dispose()
        await redis.aclose()
    assert [(r.conversation_id, r.kind) for r in rows] == [(conversation.id, "abstained")]
    assert (asked.sender, asked.text, asked.seq) == ("customer", "保险箱怎么租", reply.reply_to_seq)
    assert reply.sender == "bot" and reply.custom == marker and rows[0].created_at == reply.created_at
    assert [(g.message_id, g.text, g.kind, g.language) for g in found] == [
        (asked.id, "保险箱怎么租", "abstained", "zh")
    ]


def _utc(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 10, hour, minute, tzinfo=dt.UTC)


# (conversation, seq, sender, text, custom, reply_to_seq, minute): replies the fill must take, and ones it must not.
TRANSCRIPT: list[tuple[str, int, str, str, Any, int | None, int]] = [
    ("c1", 1, "customer", "保险箱怎么租", None, None, 0),
    ("c1", 2, "bot", "抱歉，我不太确定", {"faq_gap": {"kind": "abstained"}}, 1, 1),
    ("c1", 3, "customer", "我要提款", None, None, 2),
    ("c1", 4, "bot", "请输入手机号", {"journey": {"form": "drawdown_form", "step": "verify_mobile"}}, 3, 3),
    ("c1", 5, "bot", "Sorry?", {"faq_gap": {"kind": "fallback"}}, None, 4),  # answers nothing: no row
    ("c1", 6, "system", "正在为您转接", None, None, 5),
    ("c1", 7, "bot", "Sorry?", {"faq_gap": {"kind": "fallback"}}, 6, 6),  # answers a system message: no row
    ("c1", 8, "bot", "Sorry?", {"faq_gap": {"kind": ""}}, 3, 7),  # no kind: no row
    ("c1", 9, "bot", "好的", None, 3, 8),
    ("c2", 1, "customer", "how do I pay my electricity bill", None, None, 10),
    ("c2", 2, "bot", "Sorry?", {"faq_gap": {"kind": "fallback"}, "buttons_shown": 2}, 1, 11),
    ("c2", 3, "agent", "Sorry?", {"faq_gap": {"kind": "fallback"}}, 1, 12),  # not the assistant: no row
]


@pytest.fixture(params=["sqlite", "postgresql"])
def before_0008(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A hub database at revision 0007 holding TRANSCRIPT."""
    if request.param == "postgresql":
        url = recreate_database(f"sme_hub_migration{DATABASE_SUFFIX}")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    command.upgrade(_alembic(url), "0007_journey_steps")
    engine = sa.create_engine(sync_database_url(url))
    with engine.begin() as connection:
        for cid, language in (("c1", "zh"), ("c2", "en")):
            connection.execute(
                sa.insert(Conversation).values(
                    id=cid,
                    channel="web",
                    language=language,
                    mode="bot",
                    resume_token_hash="-",
                    last_seq=len([m for m in TRANSCRIPT if m[0] == cid]),
                    created_at=_utc(1),
                    updated_at=_utc(1),
                )
            )
        for cid, seq, sender, text, custom, reply_to_seq, minute in TRANSCRIPT:
            connection.execute(
                sa.insert(Message).values(
                    conversation_id=cid,
                    seq=seq,
                    sender=sender,
                    text=text,
                    custom=custom,
                    reply_to_seq=reply_to_seq,
                    status="stored",
                    created_at=_utc(1, minute),
                )
            )
    engine.dispose()
    yield url


async def test_migration_0008_fills_the_rollup_from_the_stored_replies(before_0008: str) -> None:
    url = before_0008
    command.upgrade(_alembic(url), "head")
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            ids = {(m.conversation_id, m.seq): m.id for m in (await session.execute(select(Message))).scalars()}
            rows = (await session.execute(select(FaqGapMessage).order_by(FaqGapMessage.reply_id))).scalars().all()
            found = await gaps(session, Filters(start=dt.date(2026, 11, 10), end=dt.date(2026, 11, 10)))
            english = await gaps(
                session, Filters(start=dt.date(2026, 11, 10), end=dt.date(2026, 11, 10), language="en")
            )
    finally:
        await engine.dispose()
    assert [(r.reply_id, r.message_id, r.conversation_id, r.kind, r.created_at) for r in rows] == [
        (ids["c1", 2], ids["c1", 1], "c1", "abstained", _utc(1, 1)),
        (ids["c2", 2], ids["c2", 1], "c2", "fallback", _utc(1, 11)),
    ]
    assert [(g.message_id, g.text, g.kind, g.language, g.created_at) for g in found] == [
        (ids["c2", 1], "how do I pay my electricity bill", "fallback", "en", _utc(1, 10)),
        (ids["c1", 1], "保险箱怎么租", "abstained", "zh", _utc(1, 0)),
    ]
    assert [g.message_id for g in english] == [ids["c2", 1]]
    # Down and up again: the table goes and comes back filled the same way.
    command.downgrade(_alembic(url), "0007_journey_steps")
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
            assert "faq_gap_messages" not in tables
    finally:
        await engine.dispose()
    command.upgrade(_alembic(url), "head")
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            again = (await session.execute(select(FaqGapMessage.reply_id).order_by(FaqGapMessage.reply_id))).all()
    finally:
        await engine.dispose()
    assert [r[0] for r in again] == [ids["c1", 2], ids["c2", 2]]
