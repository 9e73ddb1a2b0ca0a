"""The action server moves money on the word of the tracker it is sent: only Rasa, with the token, may call it."""

from __future__ import annotations

import httpx

from tests.utils.services import Service
from tests.utils.stack import ACTION_SERVER_TOKEN

CALL = {
    "next_action": "action_dont_know",
    "sender_id": "s1",
    "version": "3.6.21",
    "domain": {"responses": {"utter_how_can_i_help": [{"text": "How can I help?"}]}},
    "tracker": {
        "sender_id": "s1",
        "slots": {},
        "latest_message": {"text": "no idea", "intent": {"name": "dont_know"}, "entities": []},
        "events": [],
        "active_loop": {},
        "latest_action_name": "action_listen",
    },
}


async def test_a_call_without_the_token_is_refused(action_server: Service) -> None:
    async with httpx.AsyncClient(base_url=action_server.url) as client:
        missing = await client.post("/webhook", json=CALL)
        wrong = await client.post("/webhook", json=CALL, headers={"X-Action-Token": "guess"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"


async def test_health_is_open_and_a_call_with_the_token_runs(action_server: Service) -> None:
    async with httpx.AsyncClient(base_url=action_server.url) as client:
        health = await client.get("/health")
        call = await client.post("/webhook", json=CALL, headers={"X-Action-Token": ACTION_SERVER_TOKEN})
    assert health.status_code == 200
    assert call.status_code == 200
    assert call.json()["responses"][0]["response"] == "utter_how_can_i_help"


async def test_the_probes_say_alive_and_ready_once_the_faq_index_is_loaded(action_server: Service) -> None:
    async with httpx.AsyncClient(base_url=action_server.url) as client:
        # The index loads in the background at start; a question answered means it is in memory.
        search = await client.post("/faq/search", json={"query": "提款多久到账"})
        alive = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert search.status_code == 200
    assert alive.status_code == 200
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "checks": {"faq_index": "ok"}}


async def test_metrics_count_the_action_calls(action_server: Service) -> None:
    def value(text: str, metric: str) -> float:
        line = next((line for line in text.splitlines() if line.startswith(metric + " ")), None)
        return float(line.split()[-1]) if line else 0.0

    calls = 'actions_calls_total{action="action_dont_know",status="200"}'
    async with httpx.AsyncClient(base_url=action_server.url) as client:
        before = (await client.get("/metrics")).text
        for _ in range(2):
            await client.post("/webhook", json=CALL, headers={"X-Action-Token": ACTION_SERVER_TOKEN})
        after = await client.get("/metrics")
    assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain")
    assert value(after.text, calls) - value(before, calls) == 2
    assert 'actions_call_seconds_count{action="action_dont_know"}' in after.text
    assert 'route="/webhook",service="actions"' in after.text
