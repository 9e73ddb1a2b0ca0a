"""A real reference lending core for tests: a uvicorn subprocess on a free port against the PostgreSQL test
database, business date fixed to ``TEST_NOW``, tables cleaned and the demo data seeded on demand."""

from __future__ import annotations

import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from lending_core.clock import FixedClock, SystemClock
from lending_core.config import Settings
from lending_core.db import create_engine_for, create_sessionmaker
from lending_core.seed import seed_demo
from lending_core.testing import TEST_API_KEY, TEST_NOW, database_url_for_tests, prepare_database, truncate_all
from tests.utils.services import Service, answers_200, free_port, start_service


def lending_core_settings() -> Settings:
    """Settings of a migrated test database (created when missing)."""
    return prepare_database(database_url_for_tests())


async def reset_and_seed(settings: Settings, engine: AsyncEngine | None = None, *, today_is_real: bool = False) -> None:
    """Empty every table and seed the demo customers as of the tests' business date (or of today)."""
    own_engine = engine is None
    engine = engine or create_engine_for(settings)
    try:
        await truncate_all(engine)
        clock = SystemClock() if today_is_real else FixedClock(TEST_NOW)
        async with create_sessionmaker(engine)() as session:
            await seed_demo(session=session, today=clock.today(), now=clock.now(), rules=settings.rules)
    finally:
        if own_engine:
            await engine.dispose()


def start_lending_core(
    settings: Settings, *, name: str = "lending-core", today_is_real: bool = False, port: int | None = None
) -> Service:
    """Serve the core on a free port (no migration: ``prepare_database`` did it) and wait for /healthz.

    The business date is fixed to ``TEST_NOW`` unless ``today_is_real`` (journeys through the assistant, whose
    verification windows run on the real clock)."""
    port = port or free_port()
    fixed_today = {} if today_is_real else {"LENDING_CORE_FIXED_TODAY": TEST_NOW.date().isoformat()}
    url = f"http://127.0.0.1:{port}"
    return start_service(
        name,
        [sys.executable, "-m", "lending_core", "serve", "--port", str(port), "--no-migrate"],
        url=url,
        ready=answers_200("/healthz", url),
        env={
            "LENDING_CORE_ENVIRONMENT": "test",
            "LENDING_CORE_DATABASE_URL": settings.database_url,
            "LENDING_CORE_API_KEY": TEST_API_KEY,
            **fixed_today,
        },
        timeout_seconds=60,
    )
