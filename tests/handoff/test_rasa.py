"""How the hub spreads conversations across several Rasa processes (``RASA_URL`` with several addresses). The
failover itself, with real processes killed, is in tests/bot/test_dialogue_state.py."""

from __future__ import annotations

import pytest

from handoff.rasa import RasaClient, rasa_urls


async def test_the_rasa_process_a_conversation_goes_to_is_the_same_on_every_hub() -> None:
    urls = ["http://10.0.0.1:5005", "http://10.0.0.2:5005", "http://10.0.0.3:5005"]
    first = RasaClient(base_urls=urls, timeout_seconds=1)
    second = RasaClient(base_urls=list(reversed(urls)), timeout_seconds=1)
    homes = {first.order_for(f"conversation-{i}")[0] for i in range(300)}
    assert homes == set(urls)  # every process gets a share
    for i in range(50):
        assert first.order_for(f"conversation-{i}") == second.order_for(f"conversation-{i}")
    # A fourth process takes only its own share: the others' conversations stay where they were.
    grown = RasaClient(base_urls=[*urls, "http://10.0.0.4:5005"], timeout_seconds=1)
    moved = [i for i in range(300) if grown.order_for(f"c{i}")[0] != first.order_for(f"c{i}")[0]]
    assert all(grown.order_for(f"c{i}")[0] == "http://10.0.0.4:5005" for i in moved)
    await first.aclose()
    await second.aclose()
    await grown.aclose()


def test_rasa_url_takes_one_address_or_several() -> None:
    assert rasa_urls("http://127.0.0.1:5005/") == ["http://127.0.0.1:5005"]
    assert rasa_urls(" http://a:5005, http://b:5005 ,") == ["http://a:5005", "http://b:5005"]
    with pytest.raises(ValueError):
        rasa_urls(" , ")
