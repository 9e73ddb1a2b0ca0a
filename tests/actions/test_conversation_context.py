"""The context read every turn: the reply language, and the customer's identity only from the hub's metadata."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionCancelForm, ActionReadContext, ActionSwitchLanguage
from tests.utils.trackers import make_tracker, slot_event, user_event


async def read(**tracker: Any) -> list[dict[str, Any]]:
    return await ActionReadContext().run(CollectingDispatcher(), make_tracker(**tracker), {})


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def test_identity_verified_by_the_hub_is_taken() -> None:
    set_ = slots_set(await read(text="你好", metadata={"customer_id": "C1001", "verified_by": "bank_token"}))
    assert set_["customer_id"] == "C1001" and set_["verified_by"] == "bank_token"


@pytest.mark.parametrize(
    ("metadata", "entities"),
    [
        ({"customer_id": "C1001"}, []),
        ({"customer_id": "C1001", "verified_by": "otp"}, []),
        ({"customer_id": "C1001", "verified_by": "self_declared"}, []),
        ({"customer_id": "", "verified_by": "bank_token"}, []),
        ({"customer_id": ["C1001"], "verified_by": "bank_token"}, []),
        ({}, [{"entity": "customer_id", "value": "C1001"}]),
    ],
)
async def test_identity_never_comes_from_anything_else(metadata: dict[str, Any], entities: list[Any]) -> None:
    set_ = slots_set(await read(text="我是C1001客户", metadata=metadata, entities=entities))
    assert "customer_id" not in set_ and "verified_by" not in set_


@pytest.mark.parametrize(
    ("text", "metadata", "events", "expected"),
    [
        ("hello", {"language": "zh"}, None, "en"),
        ("你好", {"language": "en"}, None, "zh"),
        ("13800000001", {"language": "en"}, None, "en"),
        ("13800000001", {"language": "zh"}, [slot_event("language", "en"), user_event("13800000001")], "en"),
    ],
)
async def test_language(text: str, metadata: dict[str, Any], events: Any, expected: str) -> None:
    slots = {"language": "en"} if events else {}
    set_ = slots_set(await read(text=text, metadata=metadata, events=events, slots=slots))
    assert set_.get("language", slots.get("language")) == expected  # set, or already what it should be


async def test_a_locked_language_stays() -> None:
    set_ = slots_set(await read(text="你好", slots={"language": "en", "language_locked": True}))
    assert "language" not in set_


async def test_fallback_streak_and_pending_handoff() -> None:
    pending = {"fallback_count": 2, "handoff_reason": "repeated_fallback"}
    assert slots_set(await read(text="嗯", intent="nlu_fallback", slots=pending)) == {
        "language": "zh",
        "handoff_reason": None,
    }
    assert slots_set(await read(text="转人工", intent="request_human", slots=pending)) == {
        "language": "zh",
        "fallback_count": 0,
    }


async def test_a_turn_that_changes_nothing_adds_no_events() -> None:
    """Every event stays in the dialogue state for good and is replayed on every later turn."""
    settled = {"language": "zh", "fallback_count": 0, "handoff_reason": None, "customer_id": "C1001"}
    settled["verified_by"] = "bank_token"
    history = [slot_event("language", "zh"), user_event("你好")]
    metadata = {"customer_id": "C1001", "verified_by": "bank_token", "language": "zh"}
    assert await read(text="还款日是哪天", metadata=metadata, events=history, slots=settled) == []
    # The first turn records the language even when it is the initial value: later the hub's metadata does not decide.
    first_turn = {"language": "zh", "fallback_count": 0, "handoff_reason": None}
    assert slots_set(await read(text="你好", slots=first_turn)) == {"language": "zh"}


async def test_switch_language() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSwitchLanguage().run(dispatcher, make_tracker(slots={"language": "zh"}), {})
    assert events == [SlotSet("language", "en"), SlotSet("language_locked", True)]
    assert dispatcher.messages[0]["text"] == "Sure, I'll continue in English."


async def test_cancel_forgets_the_answers_but_not_the_customer() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCancelForm().run(dispatcher, make_tracker(active_loop="drawdown_form"), {})
    assert events[0] == ActiveLoop(None)
    set_ = slots_set(events[1:])
    assert set_["drawdown_amount"] is None and set_["otp_code"] is None and set_["invalid_attempts"] == 0
    assert "customer_id" not in set_ and "verified_by" not in set_
