"""Whoever asks for a person gets one, also inside a form and in words the model was not taught: the real Rasa
server with the trained model (its PersonRequestClassifier after the model) and the real action server. A message
read as a request for a person leaves the form and reaches the handoff; an answer that only mentions people stays
in the form. The messages are this test's own, not the blind groups'."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from scripts.eval_dialogue import DialogueState, Turn, read_turn
from tests.utils.services import Service


async def say(rasa: httpx.AsyncClient, state: DialogueState, sender: str, text: str, language: str) -> Turn:
    """Sends one message; what the assistant did with it, read from its dialogue state."""
    before = await asyncio.to_thread(state.events_after, sender, 0)
    after_id = before[-1][0] if before else 0
    response = await rasa.post(
        "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": {"language": language}}
    )
    assert response.status_code == 200, response.text
    events = await asyncio.to_thread(state.events_after, sender, after_id)
    return read_turn(text, events, list(response.json()))


@pytest.mark.parametrize(
    ("text", "language", "hands_over"),
    [
        ("先别问了，我要跟真人说", "zh", True),
        ("这些问题太多了，叫你们客服来", "zh", True),
        ("I'd rather speak to a human about this", "en", True),
        ("can I talk to someone at the bank instead", "en", True),
        ("上海东方贸易有限公司，我跟同事商量过了", "zh", False),
    ],
)
async def test_a_request_for_a_person_inside_a_form_reaches_the_handoff(
    text: str, language: str, hands_over: bool, rasa_server: Service, hub_database_url: str
) -> None:
    state = DialogueState(hub_database_url)
    sender = f"person-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=rasa_server.url, timeout=60) as rasa:
        start = await say(rasa, state, sender, "/apply_loan", language)
        assert "loan_application_form" in start.activated_forms
        turn = await say(rasa, state, sender, text, language)
    if hands_over:
        assert turn.intent == "request_human"
        assert "action_handoff" in turn.actions
        assert turn.form_deactivated
    else:
        assert "action_handoff" not in turn.actions
        assert turn.slots_set.get("company_name")
