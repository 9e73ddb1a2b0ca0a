"""A hub with the WeChat and WeCom channels on, beside the test run's other hubs (the same database, Redis and assistant),
and a fake of WeChat's servers for it to call."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from tests.conftest import JourneyCore
from tests.utils.fake_wechat import (
    APP_ID,
    APP_SECRET,
    CORP_ID,
    ENCODING_AES_KEY,
    KF_ENCODING_AES_KEY,
    KF_SECRET,
    KF_TOKEN,
    TOKEN,
    FakeWeChat,
    start_fake_wechat,
)
from tests.utils.services import Service
from tests.utils.slow_proxy import slow_proxy
from tests.utils.stack import hub_env, start_hub


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChat]:
    fake, server, thread = start_fake_wechat()
    yield fake
    server.should_exit = True
    thread.join(timeout=5)


def wechat_env(
    *, database_url: str, redis_url: str, rasa_url: str, action_url: str, lending_url: str, api: str
) -> dict[str, str]:
    return hub_env(
        database_url=database_url,
        redis_url=redis_url,
        rasa_url=rasa_url,
        action_url=action_url,
        lending_url=lending_url,
        WECHAT_TOKEN=TOKEN,
        WECHAT_APP_ID=APP_ID,
        WECHAT_APP_SECRET=APP_SECRET,
        WECHAT_ENCODING_AES_KEY=ENCODING_AES_KEY,
        WECHAT_MESSAGE_MODE="compatible",
        WECHAT_API_BASE=api,
        WECOM_CORP_ID=CORP_ID,
        WECOM_KF_SECRET=KF_SECRET,
        WECOM_TOKEN=KF_TOKEN,
        WECOM_ENCODING_AES_KEY=KF_ENCODING_AES_KEY,
        WECOM_API_BASE=api,
        CHANNEL_SWEEP_SECONDS="0.5",
    )


@pytest.fixture(scope="session")
def wechat_hub(
    hub_database_url: str,
    redis_url: str,
    rasa_server: Service,
    action_server: Service,
    journey_core: JourneyCore,
    fake_wechat: FakeWeChat,
) -> Iterator[Service]:
    env = wechat_env(
        database_url=hub_database_url,
        redis_url=redis_url,
        rasa_url=rasa_server.url,
        action_url=action_server.url,
        lending_url=journey_core.url,
        api=fake_wechat.url,
    )
    service = start_hub("hub-wechat", env)
    yield service
    service.stop()


@pytest.fixture
async def wechat_client(wechat_hub: Service, clean_hub_state: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=wechat_hub.url, timeout=30) as client:
        yield client


SlowAssistantEnv = Callable[[float], AbstractAsyncContextManager[dict[str, str]]]


@pytest.fixture
def slow_assistant_env(
    hub_database_url: str,
    redis_url: str,
    rasa_server: Service,
    action_server: Service,
    journey_core: JourneyCore,
    fake_wechat: FakeWeChat,
    clean_hub_state: None,
) -> SlowAssistantEnv:
    """The environment of a WeChat hub of a test's own whose assistant answers ``delay_seconds`` late (a proxy in
    front of the real Rasa, for as long as the block runs)."""

    @contextlib.asynccontextmanager
    async def environment(delay_seconds: float) -> AsyncIterator[dict[str, str]]:
        async with slow_proxy(rasa_server.url, delay_seconds=delay_seconds) as slow_rasa:
            env = wechat_env(
                database_url=hub_database_url,
                redis_url=redis_url,
                rasa_url=slow_rasa,
                action_url=action_server.url,
                lending_url=journey_core.url,
                api=fake_wechat.url,
            )
            yield {**env, "RASA_TIMEOUT_SECONDS": "15"}

    return environment
