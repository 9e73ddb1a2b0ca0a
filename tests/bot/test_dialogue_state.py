"""The assistant's dialogue state outlives a Rasa process: two Rasa processes behind one hub, both on the hub's
PostgreSQL (schema ``rasa``) and one Redis lock store, as `make run REPLICAS=2` and production run them.

A customer in the middle of a drawdown form loses the process that holds their conversation to SIGKILL: the next
answer is taken by the other process, which carries on from the same question; the killed process comes back and
takes the conversation again; the confirmed drawdown is made once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from handoff.rasa import RasaClient
from tests.bot.test_journeys import new_chat, one_time_code
from tests.conftest import JourneyCore
from tests.utils.lending import TEST_API_KEY, reset_and_seed
from tests.utils.services import Service, free_port
from tests.utils.stack import hub_env, start_hub, start_rasa


class RasaPair:
    """Two Rasa processes on fixed ports, each of which can be killed and started again."""

    def __init__(self, *, action_url: str, database_url: str, redis_url: str):
        self._args = {"action_url": action_url, "database_url": database_url, "redis_url": redis_url}
        self.ports = [free_port(), free_port()]
        with ThreadPoolExecutor(2) as pool:  # each takes most of a minute to load the model
            self.services = list(pool.map(self._start, range(2)))

    def _start(self, index: int) -> Service:
        return start_rasa(f"rasa-replica-{index}", port=self.ports[index], **self._args)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def kill(self, url: str) -> None:
        service = self.services[self.urls.index(url)]
        service.process.send_signal(signal.SIGKILL)
        service.process.wait(timeout=10)

    def restart(self, url: str) -> None:
        index = self.urls.index(url)
        self.services[index] = self._start(index)

    def stop(self) -> None:
        for service in self.services:
            service.stop()


@pytest.fixture(scope="module")
def rasa_pair(action_server: Service, hub_database_url: str, redis_url: str) -> Iterator[RasaPair]:
    pair = RasaPair(action_url=action_server.url, database_url=hub_database_url, redis_url=redis_url)
    yield pair
    pair.stop()


@pytest.fixture(scope="module")
def hub_on_pair(
    rasa_pair: RasaPair, hub_database_url: str, redis_url: str, action_server: Service, journey_core: JourneyCore
) -> Iterator[Service]:
    env = hub_env(
        database_url=hub_database_url,
        redis_url=redis_url,
        rasa_url=",".join(rasa_pair.urls),
        action_url=action_server.url,
        lending_url=journey_core.url,
    )
    service = start_hub("hub-on-rasa-pair", env)
    yield service
    service.stop()


@pytest.fixture
async def pair_client(hub_on_pair: Service, clean_hub_state: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=hub_on_pair.url, timeout=60) as client:
        yield client


async def test_a_drawdown_form_survives_its_rasa_process_killed_and_the_money_moves_once(
    rasa_pair: RasaPair, pair_client: httpx.AsyncClient, journey_core: JourneyCore
) -> None:
    await reset_and_seed(journey_core.settings, today_is_real=True)
    async with httpx.AsyncClient(base_url=journey_core.url, headers={"X-Api-Key": TEST_API_KEY}) as core:
        chat = await new_chat(pair_client)
        home, other = RasaClient(base_urls=rasa_pair.urls, timeout_seconds=1).order_for(
            chat.conversation["conversation_id"]
        )
        assert "验证" in await chat.say_text("我要提款20万")
        await chat.say("13800000001")
        verified = await chat.say_text(await one_time_code(core, "13800000001"))
        assert "期限" in verified
        loans_before = (await core.get("/api/v1/customers/C1001/loans")).json()["loans"]

        rasa_pair.kill(home)
        taken_over = await chat.say_text("6个月")
        assert "账户" in taken_over or "尾号" in taken_over, taken_over  # the form's next question, not a restart

        await asyncio.to_thread(rasa_pair.restart, home)
        summary = await chat.say_text("尾号0101")
        assert "200,000.00元" in summary and "6个月" in summary, summary
        done = await chat.say_text("确认")
        assert "提款成功" in done, done

        loans_after = (await core.get("/api/v1/customers/C1001/loans")).json()["loans"]
    new_loans = [loan for loan in loans_after if loan["loan_number"] not in {x["loan_number"] for x in loans_before}]
    assert [loan["principal"] for loan in new_loans] == ["200000.00"]
    assert other != home
