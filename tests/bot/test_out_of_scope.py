"""No message of the blind out-of-scope groups starts a money request: every general out-of-scope message and every
request for banking served elsewhere (bot/tests/blind/, written without the training data), each in a fresh
conversation with the real Rasa server, its real action server and the trained model. What the assistant did is
read from its dialogue state (the SQL tracker store): a money form activated is a failure, whatever it said.

The figures of how well these groups are served (declined, told where to go) are measured by `make eval-nlu`
(scripts/eval_dialogue.py); this test holds the line that matters most: a weather question never starts an
identity check for a drawdown, "$500 to my savings" never becomes a drawdown of 500 yuan."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import yaml

from scripts.eval_dialogue import MONEY_FORMS, DialogueState
from tests.utils.services import REPO, Service

GROUPS = ("out_of_scope", "near_domain")


def blind(group: str) -> list[dict[str, Any]]:
    path = REPO / "bot" / "tests" / "blind" / f"{group}.yml"
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["messages"])


async def forms_started(
    rasa: httpx.AsyncClient, state: DialogueState, text: str, language: str
) -> tuple[list[str], list[dict[str, Any]]]:
    sender = f"blind-{uuid.uuid4().hex}"
    response = await rasa.post(
        "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": {"language": language}}
    )
    assert response.status_code == 200, response.text
    events = await asyncio.to_thread(state.events_after, sender, 0)
    started = [str(data.get("name")) for _, kind, data in events if kind == "active_loop" and data.get("name")]
    return started, list(response.json())


@pytest.mark.parametrize("group", GROUPS)
async def test_no_blind_out_of_scope_message_starts_a_money_request(
    group: str, rasa_server: Service, hub_database_url: str
) -> None:
    state = DialogueState(hub_database_url)
    messages = blind(group)
    failures: list[tuple[str, list[str]]] = []
    limit = asyncio.Semaphore(4)

    async with httpx.AsyncClient(base_url=rasa_server.url, timeout=60) as rasa:

        async def one(message: dict[str, Any]) -> None:
            async with limit:
                started, _ = await forms_started(rasa, state, str(message["text"]), str(message["language"]))
            money = [form for form in started if form in MONEY_FORMS]
            if money:
                failures.append((str(message["text"]), money))

        await asyncio.gather(*(one(message) for message in messages))

    assert len(messages) > 200
    assert failures == []
