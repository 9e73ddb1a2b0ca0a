"""The outbox relay, against a real receiver: killed at any point it delivers everything (a receiver sees a message
again only as a retry it deduplicates), a failing platform is retried with backoff, then dead-lettered, and a
supervisor's retry delivers it. In-process relay on a manual clock; PostgreSQL (row locks) and SQLite (a lease)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff import outbox
from handoff.clock import ManualClock
from handoff.config import Settings
from handoff.db import create_engine, create_sessionmaker
from handoff.migrations import ALEMBIC_INI
from handoff.models import OutboxMessage
from tests.conftest import HUB_TABLES, QUEUE_REDIS_TEST_URL
from tests.utils.platform import FakePlatform, running_platform
from tests.utils.stack import TEST_PLATFORM_SECRET

START = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


class Rig:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], redis: aioredis.Redis, platform: FakePlatform):
        self.sessions = sessions
        self.platform = platform
        self.clock = ManualClock(START)
        self.http = httpx.AsyncClient()
        self.settings = Settings(
            environment="development",
            platform_webhook_url=platform.url,
            platform_webhook_secret=TEST_PLATFORM_SECRET,
            outbox_max_attempts=4,
            outbox_backoff_seconds=2,
            outbox_backoff_max_seconds=60,
            webhook_timeout_seconds=0.5,
        )
        self.relay = outbox.Relay(
            settings=self.settings, sessions=sessions, redis=redis, clock=self.clock, http=self.http
        )

    async def add(self, count: int) -> list[str]:
        async with self.sessions() as session:
            ids = [
                outbox.add_message(
                    session,
                    event_type="service_request.created",
                    data={"number": f"SR26120{n:05d}"},
                    request_id=None,
                    now=self.clock.now(),
                ).id
                for n in range(count)
            ]
            await session.commit()
        return ids

    async def rows(self) -> list[OutboxMessage]:
        async with self.sessions() as session:
            return list((await session.execute(select(OutboxMessage))).scalars())

    async def drain(self) -> None:
        """Relay until nothing is due, moving the clock over any backoff (no sleeping)."""
        for _ in range(50):
            await self.relay.deliver_due()
            pending = [r for r in await self.rows() if r.delivered_at is None and r.dead_at is None]
            if not pending:
                return
            self.clock.set(max(r.next_attempt_at for r in pending) + dt.timedelta(seconds=1))
        raise AssertionError("the outbox never drained")


@contextlib.asynccontextmanager
async def rig_on(database_url: str) -> AsyncIterator[Rig]:
    engine = create_engine(database_url)
    redis = aioredis.Redis.from_url(QUEUE_REDIS_TEST_URL, decode_responses=True)
    await redis.flushdb()
    async with running_platform(TEST_PLATFORM_SECRET) as platform:
        rig = Rig(create_sessionmaker(engine), redis, platform)
        try:
            yield rig
        finally:
            await rig.http.aclose()
            await redis.aclose()
            await engine.dispose()


@pytest.fixture
async def on_postgres(unit_database_url: str) -> AsyncIterator[Rig]:
    engine = create_engine(unit_database_url)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {HUB_TABLES} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    async with rig_on(unit_database_url) as rig:
        yield rig


@pytest.fixture
async def on_sqlite(tmp_path: Path) -> AsyncIterator[Rig]:
    from alembic import command
    from alembic.config import Config

    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = f"sqlite:///{tmp_path / 'hub.db'}"
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    async with rig_on(url) as rig:
        yield rig


async def killed_again_and_again(rig: Rig, rounds: int) -> list[str]:
    """Messages keep arriving while the relay is killed at a random point of its work, ``rounds`` times."""
    ids: list[str] = []
    rng = random.Random(20261201)
    for _ in range(rounds):
        ids += await rig.add(rng.choice((0, 1, 1, 2)))
        round_ = asyncio.create_task(rig.relay.deliver_due())
        await asyncio.sleep(rng.uniform(0, 0.02))  # where the kill lands, not a wait for a result
        round_.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await round_
    await rig.drain()
    return ids


async def test_a_relay_killed_200_times_on_postgres_delivers_everything_once(on_postgres: Rig) -> None:
    ids = await killed_again_and_again(on_postgres, 200)

    assert len(ids) > 150
    assert set(on_postgres.platform.processed) == set(ids), "every message reached the platform"
    assert all(r.delivered_at is not None for r in await on_postgres.rows())
    # Sent again only when the kill fell between the send and the mark; the receiver processed each once.
    assert len(on_postgres.platform.received) >= len(ids) == len(on_postgres.platform.processed)


async def test_a_relay_killed_on_sqlite_with_its_lease_delivers_everything_once(on_sqlite: Rig) -> None:
    ids = await killed_again_and_again(on_sqlite, 60)

    assert set(on_sqlite.platform.processed) == set(ids)
    assert all(r.delivered_at is not None for r in await on_sqlite.rows())


async def test_two_relays_at_once_never_send_a_message_twice(on_postgres: Rig) -> None:
    ids = await on_postgres.add(60)
    twin = outbox.Relay(
        settings=on_postgres.settings,
        sessions=on_postgres.sessions,
        redis=on_postgres.relay.redis,
        clock=on_postgres.clock,
        http=on_postgres.http,
    )

    await asyncio.gather(*(relay.deliver_due() for relay in (on_postgres.relay, twin) for _ in range(3)))

    assert sorted(on_postgres.platform.received) == sorted(ids)  # row locks: each claimed by one relay


async def test_a_platform_answering_500_is_retried_with_backoff(on_postgres: Rig) -> None:
    [message_id] = await on_postgres.add(1)
    on_postgres.platform.failures_left = 2

    await on_postgres.relay.deliver_due()
    [first] = await on_postgres.rows()
    assert first.attempts == 1 and first.delivered_at is None and "HTTP 500" in (first.last_error or "")
    assert dt.timedelta(seconds=1.5) <= first.next_attempt_at - START <= dt.timedelta(seconds=2.5)
    await on_postgres.relay.deliver_due()  # not due yet: nothing sent
    assert on_postgres.platform.failures_left == 1

    await on_postgres.drain()

    [row] = await on_postgres.rows()
    assert row.delivered_at is not None and row.attempts == 3
    assert on_postgres.platform.received == [message_id]


async def test_a_platform_that_never_answers_dead_letters_then_a_retry_delivers(on_postgres: Rig) -> None:
    [message_id] = await on_postgres.add(1)
    on_postgres.platform.mode = "slow"
    on_postgres.platform.slow_seconds = 1.0  # longer than the relay's 0.5 s timeout

    await on_postgres.drain()

    [dead] = await on_postgres.rows()
    assert dead.dead_at is not None and dead.attempts == 4 and "Timeout" in (dead.last_error or "")
    async with on_postgres.sessions() as session:
        assert [m.id for m in await outbox.dead_messages(session)] == [message_id]

    on_postgres.platform.mode = "ok"
    async with on_postgres.sessions() as session:
        assert await outbox.retry(session, message_id=message_id, now=on_postgres.clock.now()) is not None
        await session.commit()
    await on_postgres.relay.deliver_due()

    [row] = await on_postgres.rows()
    assert row.delivered_at is not None and row.dead_at is None
    assert message_id in on_postgres.platform.processed


def test_backoff_doubles_and_is_capped() -> None:
    settings = Settings(environment="development", outbox_backoff_seconds=2, outbox_backoff_max_seconds=60)
    relay = outbox.Relay.__new__(outbox.Relay)
    relay.settings = settings
    waits = [relay.backoff(n) for n in range(1, 9)]
    for n, wait in enumerate(waits, start=1):
        expected = min(2 * 2 ** (n - 1), 60)
        assert 0.8 * expected <= wait <= 1.2 * expected
