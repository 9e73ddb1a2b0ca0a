"""An action server that fails in the middle of a turn (killed, restarted, or its answer lost): Rasa answers the
hub with nothing, the hub sends the message once more, and the customer gets an answer in the same request; when
the actions stay down the customer is told the assistant is unavailable and a retry is answered; a confirmation
sent twice moves the money once.

A real Rasa process whose action endpoint is tests/utils/faulty_actions.py in front of the real action server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.bot.test_journeys import new_chat, one_time_code
from tests.conftest import JourneyCore
from tests.utils.factories import auth, create_conversation
from tests.utils.faulty_actions import FaultyActions
from tests.utils.lending import TEST_API_KEY, reset_and_seed
from tests.utils.services import Service
from tests.utils.stack import hub_env, start_hub, start_rasa


@pytest.fixture(scope="module")
def faulty(action_server: Service) -> Iterator[FaultyActions]:
    proxy = FaultyActions(action_server.url)
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def hub_on_faulty_actions(
    faulty: FaultyActions, hub_database_url: str, redis_url: str, action_server: Service, journey_core: JourneyCore
) -> Iterator[Service]:
    rasa = start_rasa("rasa-faulty-actions", action_url=faulty.url, database_url=hub_database_url, redis_url=redis_url)
    env = hub_env(
        database_url=hub_database_url,
        redis_url=redis_url,
        rasa_url=rasa.url,
        action_url=action_server.url,
        lending_url=journey_core.url,
    )
    hub = start_hub("hub-faulty-actions", env)
    yield hub
    hub.stop()
    rasa.stop()


@pytest.fixture
async def client(
    hub_on_faulty_actions: Service, faulty: FaultyActions, clean_hub_state: None
) -> AsyncIterator[httpx.AsyncClient]:
    faulty.reset()  # no faults unless the test sets them
    async with httpx.AsyncClient(base_url=hub_on_faulty_actions.url, timeout=60) as http:
        yield http


async def test_a_turn_whose_actions_failed_is_answered_in_the_same_request(
    client: httpx.AsyncClient, faulty: FaultyActions
) -> None:
    conversation = await create_conversation(client, language="zh")
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    faulty.faults.first_sending_of.add(f"{conversation['conversation_id']}/1")

    response = await client.post(
        url, json={"client_msg_id": str(uuid.uuid4()), "text": "你好"}, headers=auth(conversation)
    )

    assert faulty.faults.failed_calls, "the first sending's action calls failed"
    assert response.status_code == 200, response.text
    assert "您好" in response.json()["replies"][0]["text"]
    transcript = (await client.get(url, headers=auth(conversation))).json()["messages"]
    assert [m["sender"] for m in transcript][:1] == ["customer"] and len(transcript) >= 2
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["你好"]


async def test_actions_down_tell_the_customer_and_a_retry_is_answered(
    client: httpx.AsyncClient, faulty: FaultyActions
) -> None:
    conversation = await create_conversation(client)
    url = f"/api/v1/conversations/{conversation['conversation_id']}/messages"
    body = {"client_msg_id": str(uuid.uuid4()), "text": "what documents do I need for a loan"}
    faulty.faults.down = True

    refused = await client.post(url, json=body, headers=auth(conversation))

    assert refused.status_code == 503, refused.text
    error = refused.json()["error"]
    assert error["code"] == "assistant_unavailable" and "temporarily unavailable" in error["message"]
    assert error["details"]["message"]["seq"] == 1

    faulty.faults.down = False
    retried = await client.post(url, json=body, headers=auth(conversation))

    assert retried.status_code == 200, retried.text
    assert retried.json()["message"]["seq"] == 1 and retried.json()["replies"]
    transcript = (await client.get(url, headers=auth(conversation))).json()["messages"]
    assert [m["text"] for m in transcript if m["sender"] == "customer"] == ["what documents do I need for a loan"]


async def test_a_confirmation_whose_answer_was_lost_moves_the_money_once(
    client: httpx.AsyncClient, faulty: FaultyActions, journey_core: JourneyCore
) -> None:
    await reset_and_seed(journey_core.settings, today_is_real=True)
    async with httpx.AsyncClient(base_url=journey_core.url, headers={"X-Api-Key": TEST_API_KEY}) as core:
        chat = await new_chat(client)
        assert "验证" in await chat.say_text("我要提款20万")
        await chat.say("13800000001")
        assert "期限" in await chat.say_text(await one_time_code(core, "13800000001"))
        await chat.say("6个月")
        summary = await chat.say_text("尾号0101")
        assert "200,000.00元" in summary, summary
        loans_before = (await core.get("/api/v1/customers/C1001/loans")).json()["loans"]

        # The action server makes the drawdown, then dies before Rasa hears back: Rasa answers nothing, the hub
        # sends the confirmation again (a new Rasa message id, the same hub message id, so the same key).
        faulty.faults.lose_answer_of.add("action_submit_drawdown")
        again = await chat.say("确认")
        await chat.say("确认")  # the customer, unsure, confirms once more

        loans_after = (await core.get("/api/v1/customers/C1001/loans")).json()["loans"]
    assert faulty.faults.failed_calls == ["lose:action_submit_drawdown"]
    assert again, "the re-sent confirmation was answered"
    new = [loan for loan in loans_after if loan["loan_number"] not in {x["loan_number"] for x in loans_before}]
    assert [loan["principal"] for loan in new] == ["200000.00"]
