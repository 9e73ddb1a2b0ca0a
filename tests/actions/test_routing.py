"""The gate in front of money requests (actions/routing.py): a request the assistant is sure of starts its form,
two close readings are asked about, a lone unsure reading is confirmed, banking served elsewhere and foreign-currency
amounts are told where to go, and a person nearly as likely is a person. The FAQ index is the real one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.routing import ActionRouteRequest, decide, request_payload
from tests.utils.trackers import load_domain, make_tracker, responses


def routed(
    text: str, ranking: list[tuple[str, float]], *, entities: list[dict[str, Any]] | None = None, language: str = "zh"
) -> Tracker:
    tracker = make_tracker(text=text, intent=ranking[0][0], entities=entities, slots={"language": language})
    tracker.latest_message["intent"] = {"name": ranking[0][0], "confidence": ranking[0][1]}
    tracker.latest_message["intent_ranking"] = [{"name": name, "confidence": c} for name, c in ranking]
    return tracker


async def run(tracker: Tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionRouteRequest().run(dispatcher, tracker, load_domain())
    return dispatcher, events


@pytest.fixture(autouse=True)
def index(faq_index: Path) -> None:
    """The real FAQ index (the second opinion and the embedded questions)."""


async def test_a_clear_request_starts_its_form() -> None:
    dispatcher, events = await run(routed("我要提款20万", [("drawdown", 0.97), ("check_credit_line", 0.01)]))
    assert events == [SlotSet("request_route", "go")]
    assert dispatcher.messages == []


async def test_a_button_payload_always_starts_the_form() -> None:
    _, events = await run(routed("/drawdown", [("drawdown", 0.4), ("repay", 0.35)]))
    assert events == [SlotSet("request_route", "go")]


async def test_a_question_asked_with_the_request_is_answered_before_the_form_starts() -> None:
    dispatcher, events = await run(
        routed("我们是做餐饮的小公司，想贷款50万周转一下，利息多少", [("apply_loan", 0.95), ("ask_faq", 0.03)])
    )
    assert events == [SlotSet("request_route", "go")]
    (answer,) = dispatcher.messages
    assert answer["custom"]["faq"]["topic"] in ("loan.interest_rate", "repayment.interest_calc"), answer


async def test_two_close_readings_are_asked_about_with_both_as_buttons() -> None:
    dispatcher, events = await run(
        routed("额度还能用多少", [("drawdown", 0.52), ("check_credit_line", 0.41)], entities=[])
    )
    assert events == [SlotSet("request_route", "ask")]
    assert responses(dispatcher) == ["utter_clarify_drawdown"]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/drawdown", "/check_credit_line"]


async def test_an_unsure_reading_is_confirmed_and_the_button_keeps_what_was_said() -> None:
    amount = [{"entity": "amount", "value": "20万", "start": 3, "end": 6}]
    dispatcher, events = await run(routed("帮我弄20万", [("drawdown", 0.55), ("greet", 0.2)], entities=amount))
    assert events == [SlotSet("request_route", "ask")]
    assert responses(dispatcher) == ["utter_confirm_request_drawdown"]
    yes, no = dispatcher.messages[0]["buttons"]
    assert yes == {"title": "是的", "payload": '/drawdown{"amount": "20万"}'} and no["payload"] == "/deny"


async def test_a_question_nearly_as_likely_is_answered_and_the_request_offered() -> None:
    dispatcher, events = await run(routed("提款多久能到账", [("drawdown", 0.5), ("ask_faq", 0.45)]))
    assert events == [SlotSet("request_route", "ask")]
    assert "faq" in dispatcher.messages[0]["custom"]
    assert responses(dispatcher)[1:] == ["utter_offer_request_drawdown"]


@pytest.mark.parametrize(
    ("text", "language"),
    [("move $500 from my checking to my savings", "en"), ("我要还信用卡", "zh"), ("提款1000美元", "zh")],
)
async def test_banking_served_elsewhere_or_a_foreign_amount_never_starts_a_form(text: str, language: str) -> None:
    dispatcher, events = await run(routed(text, [("drawdown", 0.9), ("repay", 0.05)], language=language))
    assert events == [SlotSet("request_route", "other")]
    assert str(responses(dispatcher)[0]).startswith("utter_other_banking_")


async def test_a_person_nearly_as_likely_gets_a_person() -> None:
    dispatcher, events = await run(routed("续贷的事情能直接和人聊吗", [("renew_loan", 0.5), ("request_human", 0.4)]))
    assert events[-1] == SlotSet("request_route", "handoff")
    assert "handoff" in dispatcher.messages[0]["custom"]


@pytest.mark.parametrize(
    ("text", "language"),
    [("提款的上限是多少", "zh"), ("还款是怎么算的", "zh"), ("how long does a drawdown take", "en")],
)
async def test_a_question_about_a_request_never_starts_it(text: str, language: str) -> None:
    dispatcher, events = await run(routed(text, [("drawdown", 0.95), ("repay", 0.02)], language=language))
    assert events == [SlotSet("request_route", "ask")]
    assert responses(dispatcher)[-1] in ("utter_offer_request_drawdown", "utter_confirm_request_drawdown")


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [("can I repay early", "repay", "en"), ("可以提前还款吗", "repay", "zh"), ("续贷能续几次？", "renew_loan", "zh")],
)
async def test_a_question_whether_a_request_is_possible_is_answered_and_the_request_offered(
    text: str, intent: str, language: str
) -> None:
    dispatcher, events = await run(routed(text, [(intent, 0.95), ("ask_faq", 0.03)], language=language))
    assert events == [SlotSet("request_route", "ask")]
    assert responses(dispatcher)[-1] in (f"utter_offer_request_{intent}", f"utter_confirm_request_{intent}")


async def test_a_polite_request_phrased_as_a_question_still_starts_its_form() -> None:
    _, events = await run(routed("能帮我从额度里提款20万吗", [("drawdown", 0.95), ("check_credit_line", 0.02)]))
    assert events == [SlotSet("request_route", "go")]


async def test_a_sure_reading_the_faq_index_finds_out_of_scope_is_confirmed_first() -> None:
    decision, _, _ = decide(routed("snow forecast for Chicago this weekend", [("drawdown", 0.9)], language="en"))
    assert decision == "confirm"


async def test_a_question_the_faq_cannot_answer_read_as_a_request_is_confirmed_not_started() -> None:
    tracker = routed("is it going to snow this weekend in Chicago", [("drawdown", 0.9)], language="en")
    dispatcher, events = await run(tracker)
    assert events == [SlotSet("request_route", "ask")]
    assert responses(dispatcher) == ["utter_confirm_request_drawdown"]


def test_request_payload_without_entities_is_the_bare_intent() -> None:
    assert request_payload("repay", []) == "/repay"
    assert request_payload("repay", [{"entity": "amount", "value": "全部"}]) == '/repay{"amount": "全部"}'


async def test_a_request_phrased_as_can_i_still_starts_its_form() -> None:
    _, events = await run(routed("can I renew my loan", [("renew_loan", 0.95)], language="en"))
    assert events == [SlotSet("request_route", "go")]
