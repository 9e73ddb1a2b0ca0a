"""Fixtures of the action tests: a real reference lending core (uvicorn on a free port, PostgreSQL test
database, business date fixed, demo data re-seeded before each test), the actions pointed at it, the domain."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from actions import services
from actions.lending_client import LendingCoreClient
from actions.settings import get_action_settings
from lending_core.config import Settings
from lending_core.db import create_engine_for
from tests.utils.lending import TEST_API_KEY, lending_core_settings, reset_and_seed, start_lending_core
from tests.utils.services import Service, free_port
from tests.utils.trackers import load_domain


@pytest.fixture(scope="session")
def lending_core_db() -> Settings:
    return lending_core_settings()


@pytest.fixture(scope="session")
def lending_core_server(lending_core_db: Settings) -> Iterator[Service]:
    service = start_lending_core(lending_core_db, name="lending-core-actions")
    yield service
    service.stop()


@pytest.fixture(scope="session")
async def lending_core_engine(lending_core_db: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(lending_core_db)
    yield engine
    await engine.dispose()


@pytest.fixture
async def core_url(lending_core_server: Service, lending_core_db: Settings, lending_core_engine: AsyncEngine) -> str:
    """The running core's URL, its tables emptied and the demo customers seeded again for this test."""
    await reset_and_seed(lending_core_db, lending_core_engine)
    return lending_core_server.url


async def _point_actions_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    await _forget_clients()
    monkeypatch.setenv("LENDING_CORE_URL", url)
    monkeypatch.setenv("LENDING_CORE_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("LENDING_CORE_TIMEOUT_SECONDS", "10")


async def _forget_clients() -> None:
    if services.lending_core.cache_info().currsize:
        await services.lending_core().aclose()
    services.lending_core.cache_clear()
    get_action_settings.cache_clear()


@pytest.fixture
async def core(core_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LendingCoreClient]:
    """The actions use the fixture core; the test gets its own client to look at the core (loans, SMS outbox)."""
    await _point_actions_at(monkeypatch, core_url)
    async with LendingCoreClient(base_url=core_url, api_key=TEST_API_KEY, timeout=10, backoff=0.01) as client:
        yield client
    await _forget_clients()


@pytest.fixture
async def core_down(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """The actions point at a closed port: every call to the core fails to connect."""
    url = f"http://127.0.0.1:{free_port()}"
    await _point_actions_at(monkeypatch, url)
    monkeypatch.setenv("LENDING_CORE_RETRIES", "0")
    yield url
    await _forget_clients()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
