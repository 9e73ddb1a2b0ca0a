"""Fixtures of the lending core tests: PostgreSQL database `lending_test` (created if missing, migrated
once per session, truncated before each test), an app with a fixed clock, an httpx client over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from lending_core.api.app import create_app
from lending_core.clock import FixedClock
from lending_core.config import LendingRules, Settings
from lending_core.db import create_engine_for, create_sessionmaker
from tests.utils.lending import TEST_API_KEY, TEST_NOW, database_url_for_tests, prepare_database, truncate_all


@pytest.fixture(scope="session")
def settings() -> Settings:
    return prepare_database(database_url_for_tests())


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    await truncate_all(engine)
    return create_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def rules(settings: Settings) -> LendingRules:
    return settings.rules


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine, clock: FixedClock, sessionmaker: Any) -> FastAPI:
    return create_app(settings, clock=clock, engine=engine)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://core", headers={"X-Api-Key": TEST_API_KEY}, timeout=60
    ) as client:
        yield client
