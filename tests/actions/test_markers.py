"""The markers the supervisors' analytics count: where a journey stands, and what the assistant was not sure of."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionCancelForm
from actions.faq import ActionHandleFallback
from actions.markers import mark_gap, mark_step
from tests.utils.trackers import load_domain, make_tracker, responses


async def test_cancelling_a_form_marks_the_journey_cancelled() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="取消", intent="stop", active_loop="drawdown_form", requested_slot="drawdown_amount")
    await ActionCancelForm().run(dispatcher, tracker, load_domain())
    assert responses(dispatcher) == ["utter_cancelled"]
    assert dispatcher.messages[-1]["custom"] == {"journey": {"form": "drawdown_form", "step": "cancelled"}}


async def test_outside_a_form_cancelling_marks_nothing() -> None:
    dispatcher = CollectingDispatcher()
    await ActionCancelForm().run(dispatcher, make_tracker(text="取消", intent="stop"), load_domain())
    assert not dispatcher.messages[-1].get("custom")


async def test_a_first_fallback_is_marked_as_a_gap() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="那个东西怎么弄一下啊", intent="nlu_fallback")
    await ActionHandleFallback().run(dispatcher, tracker, load_domain())
    assert responses(dispatcher) == ["utter_ask_rephrase"]
    assert dispatcher.messages[-1]["custom"] == {"faq_gap": {"kind": "fallback"}}


def test_a_marker_keeps_the_payload_already_there_and_needs_a_message() -> None:
    dispatcher = CollectingDispatcher()
    mark_gap(dispatcher, "abstained")  # nothing uttered: nothing to mark
    assert dispatcher.messages == []
    dispatcher.utter_message(text="…", json_message={"faq": {"entry_id": "x"}})
    mark_step(dispatcher, "renewal_form", "summary")
    mark_step(dispatcher, None, "summary")
    assert dispatcher.messages[-1]["custom"] == {
        "faq": {"entry_id": "x"},
        "journey": {"form": "renewal_form", "step": "summary"},
    }
