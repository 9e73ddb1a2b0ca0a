"""Real services for the whole test run, started once and shared.

PostgreSQL and Redis are the machine's own (standard local ports; ``.ci/run`` starts them when down). The Rasa
server, the action server and the hub run as real processes on free ports, so a `make run` beside the tests
does not collide. The model is trained by ``make train`` before pytest runs (``make test`` does it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from playwright.async_api import Browser, async_playwright

from lending_core.config import Settings as LendingSettings
from tests.utils.browser import CHROMIUM, CHROMIUM_ARGS
from tests.utils.lending import prepare_database, start_lending_core
from tests.utils.services import REPO, Service, free_port
from tests.utils.stack import hub_env, start_action_server, start_hub, start_rasa

POSTGRES_SERVER_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The queue's own tests run in-process against a database no hub process of the test run uses.
QUEUE_REDIS_TEST_URL = os.environ.get("TEST_QUEUE_REDIS_URL", "redis://127.0.0.1:6379/13")
# TEST_DATABASE_SUFFIX keeps two test runs on one machine apart (their own databases; give each its own
# TEST_REDIS_URL database too).
DATABASE_SUFFIX = os.environ.get("TEST_DATABASE_SUFFIX", "")
HUB_TEST_DATABASE = f"sme_hub_test{DATABASE_SUFFIX}"
JOURNEY_CORE_DATABASE = f"lending_journeys_test{DATABASE_SUFFIX}"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def recreate_database(name: str) -> str:
    """Drop and create a PostgreSQL database for this run; returns its SQLAlchemy URL."""
    with psycopg.connect(_libpq(f"{POSTGRES_SERVER_URL}/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES_SERVER_URL}/{name}"


def migrated_hub_database(name: str) -> str:
    from alembic import command
    from alembic.config import Config

    from handoff.db import sync_database_url
    from handoff.migrations import ALEMBIC_INI

    url = recreate_database(name)
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = sync_database_url(url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    return url


@pytest.fixture(scope="session")
def hub_database_url() -> str:
    """The database the test run's hub processes share."""
    return migrated_hub_database(HUB_TEST_DATABASE)


@pytest.fixture(scope="session")
def unit_database_url() -> str:
    """A hub database no hub process uses, for the services tested in-process with a manual clock."""
    return migrated_hub_database(f"sme_hub_unit{DATABASE_SUFFIX}")


@pytest.fixture(scope="session")
def redis_url() -> str:
    redis.Redis.from_url(REDIS_TEST_URL).ping()
    return REDIS_TEST_URL


@dataclass
class JourneyCore:
    """The reference lending core the assistant's journeys run against (real clock, its own database)."""

    settings: LendingSettings
    port: int
    service: Service

    @property
    def url(self) -> str:
        return self.service.url

    def stop(self) -> None:
        self.service.stop()

    def start(self) -> None:
        self.service = start_lending_core(self.settings, name="journey-core", today_is_real=True, port=self.port)


@pytest.fixture(scope="session")
def journey_core() -> Iterator[JourneyCore]:
    settings = prepare_database(recreate_database(JOURNEY_CORE_DATABASE))
    port = free_port()
    core = JourneyCore(settings, port, start_lending_core(settings, name="journey-core", today_is_real=True, port=port))
    yield core
    core.stop()


@pytest.fixture(scope="session")
def faq_index() -> Path:
    """The FAQ index the action server loads (``make index`` builds it; built here when missing)."""
    pointer = REPO / "var" / "knowledge" / "index" / "CURRENT"
    if not pointer.exists():
        subprocess.run([sys.executable, "-m", "knowledge", "build"], cwd=REPO, check=True)
    return pointer


@pytest.fixture(scope="session")
def action_server(journey_core: JourneyCore, faq_index: Path) -> Iterator[Service]:
    service = start_action_server("action-server", lending_url=journey_core.url)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def rasa_server(action_server: Service, hub_database_url: str, redis_url: str) -> Iterator[Service]:
    service = start_rasa("rasa", action_url=action_server.url, database_url=hub_database_url, redis_url=redis_url)
    yield service
    service.stop()


HUB_TABLES = (
    "channel_cursors, channel_inbound, channel_users, audit_log, platform_receipts, outbox, service_request_events, "
    "service_requests, satisfaction_ratings, handoff_events, handoffs, canned_replies, staff_sessions, staff_users, "
    "messages, conversations"
)


def _start_hub(
    name: str, *, database_url: str, redis_url: str, rasa_url: str, action_url: str, lending_url: str
) -> Service:
    env = hub_env(
        database_url=database_url,
        redis_url=redis_url,
        rasa_url=rasa_url,
        action_url=action_url,
        lending_url=lending_url,
    )
    return start_hub(name, env)


@pytest.fixture(scope="session")
def hub(
    hub_database_url: str, redis_url: str, rasa_server: Service, action_server: Service, journey_core: JourneyCore
) -> Iterator[Service]:
    service = _start_hub(
        "hub",
        database_url=hub_database_url,
        redis_url=redis_url,
        rasa_url=rasa_server.url,
        action_url=action_server.url,
        lending_url=journey_core.url,
    )
    yield service
    service.stop()


@pytest.fixture(scope="session")
def hub_without_rasa(hub_database_url: str, redis_url: str) -> Iterator[Service]:
    """A hub whose assistant is down: its Rasa URL is a port nothing listens on."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    service = _start_hub(
        "hub-without-rasa",
        database_url=hub_database_url,
        redis_url=redis_url,
        rasa_url=nowhere,
        action_url=nowhere,
        lending_url=nowhere,
    )
    yield service
    service.stop()


@pytest.fixture
def clean_hub_state(hub_database_url: str, redis_url: str) -> Iterator[None]:
    """Every test starts with an empty transcript and an empty Redis database."""
    with psycopg.connect(_libpq(hub_database_url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {HUB_TABLES} RESTART IDENTITY CASCADE")
    redis.Redis.from_url(redis_url).flushdb()
    yield


@pytest.fixture
async def hub_client(hub: Service, clean_hub_state: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hub.url, timeout=30) as client:
        yield client


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()
