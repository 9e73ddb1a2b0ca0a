"""The journey funnels' rollup (journey_steps) is written with the reply it comes from, once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from redis.asyncio import Redis
from sqlalchemy import select

from handoff.config import Settings
from handoff.db import sync_database_url
from handoff.demo_month import Month
from handoff.migrations import ALEMBIC_INI
from handoff.models import JourneyStep, Message
from handoff.rasa import BotReply


async def test_a_reply_with_a_journey_marker_lands_in_the_rollup_once(tmp_path: Path, redis_url: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = sync_database_url(url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    redis = Redis.from_url(redis_url)
    month = Month(settings=Settings(environment="development", database_url=url), redis=redis, seed=1)
    try:
        conversation, _ = await month.conversations.create_conversation(
            channel="web", language="zh", customer_token=None
        )
        marker = {"journey": {"form": "drawdown_form", "step": "verify_mobile"}}
        month.assistant.plan(conversation.id, [BotReply(text="请输入手机号", custom=marker), BotReply(text="没有标记")])
        first = await month.conversations.post_customer_message(
            conversation=conversation, client_msg_id="m-1", text="我要提款"
        )
        again = await month.conversations.post_customer_message(
            conversation=conversation, client_msg_id="m-1", text="我要提款"
        )
        assert [r.seq for r in again.replies] == [r.seq for r in first.replies]
        async with month.sessions() as session:
            steps = (await session.execute(select(JourneyStep))).scalars().all()
            reply = (await session.execute(select(Message).where(Message.id == steps[0].message_id))).scalar_one()
    finally:
        await month.http.aclose()
        await month.engine.dispose()
        await redis.aclose()
    assert [(s.conversation_id, s.form, s.step) for s in steps] == [(conversation.id, "drawdown_form", "verify_mobile")]
    assert reply.sender == "bot" and reply.custom == marker and steps[0].created_at == reply.created_at
