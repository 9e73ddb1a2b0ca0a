"""What every form shares: invalid answers counted and a person offered after three, values picked up on the
side dropped quietly, and idempotency keys tied to the confirming message."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.applications import ValidateLoanApplicationForm
from actions.forms import idempotency_key
from actions.texts import PROBLEMS
from tests.utils.trackers import make_tracker, responses, slot_event, texts, user_event, with_slots

FORM = ValidateLoanApplicationForm()


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_three_invalid_answers_in_a_row_offer_a_person(language: str, domain: dict[str, Any]) -> None:
    tracker = make_tracker(active_loop="loan_application_form", requested_slot="mobile", slots={"language": language})
    said: list[list[str | None]] = []
    for answer in ("12345678901", "abc", "1381234"):
        dispatcher = CollectingDispatcher()
        result = await FORM.validate_mobile(answer, dispatcher, tracker, domain)
        said.append(responses(dispatcher))
        tracker = with_slots(tracker, result)
    assert said == [[None], [None], [None, "utter_form_stuck"]]
    assert tracker.get_slot("invalid_attempts") == 3 and tracker.get_slot("mobile") is None
    assert "utter_form_stuck" in domain["responses"]


async def test_a_good_answer_resets_the_count(domain: dict[str, Any]) -> None:
    tracker = make_tracker(active_loop="loan_application_form", requested_slot="mobile", slots={"invalid_attempts": 2})
    dispatcher = CollectingDispatcher()
    result = await FORM.validate_mobile("13812345678", dispatcher, tracker, domain)
    assert result == {"mobile": "13812345678", "invalid_attempts": 0}
    assert dispatcher.messages == []


async def test_the_stuck_offer_through_the_form_run(domain: dict[str, Any]) -> None:
    events = [user_event("12345678901"), slot_event("mobile", "12345678901")]
    tracker = make_tracker(
        active_loop="loan_application_form",
        requested_slot="mobile",
        slots={"invalid_attempts": 2, "mobile": "12345678901"},
        text="12345678901",
        events=events,
    )
    dispatcher = CollectingDispatcher()
    result = await FORM.run(dispatcher, tracker, domain)
    assert SlotSet("mobile", None) in result and SlotSet("invalid_attempts", 3) in result
    assert texts(dispatcher) == [PROBLEMS["mobile_invalid"]["zh"]]
    assert responses(dispatcher)[-1] == "utter_form_stuck"


async def test_a_value_for_another_slot_is_dropped_quietly(domain: dict[str, Any]) -> None:
    tracker = make_tracker(
        active_loop="loan_application_form", requested_slot="company_name", slots={"invalid_attempts": 2}
    )
    dispatcher = CollectingDispatcher()
    assert await FORM.validate_loan_amount("-5万", dispatcher, tracker, domain) == {"loan_amount": None}
    assert await FORM.validate_mobile("12345678901", dispatcher, tracker, domain) == {"mobile": None}
    assert dispatcher.messages == []


async def test_a_good_value_for_another_slot_is_kept(domain: dict[str, Any]) -> None:
    tracker = make_tracker(active_loop="loan_application_form", requested_slot="company_name")
    dispatcher = CollectingDispatcher()
    assert await FORM.validate_loan_amount("50万", dispatcher, tracker, domain) == {
        "loan_amount": "500000.00",
        "invalid_attempts": 0,
    }


async def test_values_given_when_the_form_starts_are_answered(domain: dict[str, Any]) -> None:
    # no question asked yet: the customer's own opening sentence gets its answer
    tracker = make_tracker(active_loop="loan_application_form", requested_slot=None)
    dispatcher = CollectingDispatcher()
    assert await FORM.validate_loan_amount("0", dispatcher, tracker, domain) == {
        "loan_amount": None,
        "invalid_attempts": 1,
    }
    assert texts(dispatcher) == [PROBLEMS["amount_zero"]["zh"]]


def test_idempotency_key_is_stable_for_the_same_message() -> None:
    first = make_tracker(message_id="m-1", text="确认")
    again = make_tracker(message_id="m-1", text="确认", slots={"language": "en"})
    other = make_tracker(message_id="m-2", text="确认")
    assert idempotency_key(first, "drawdown") == idempotency_key(again, "drawdown")
    assert idempotency_key(first, "drawdown") != idempotency_key(other, "drawdown")
    assert idempotency_key(first, "drawdown") != idempotency_key(first, "repayment")
    assert idempotency_key(first, "drawdown").startswith("drawdown-")


def test_idempotency_key_is_the_same_when_the_hub_sends_the_message_again() -> None:
    # Rasa gives every message it receives a new id; the hub's id of the customer's message stays the same.
    first = make_tracker(message_id="m-1", text="确认", metadata={"hub_message_id": "c-1/7"})
    resent = make_tracker(message_id="m-2", text="确认", metadata={"hub_message_id": "c-1/7"})
    next_turn = make_tracker(message_id="m-3", text="确认", metadata={"hub_message_id": "c-1/9"})
    assert idempotency_key(first, "drawdown") == idempotency_key(resent, "drawdown")
    assert idempotency_key(first, "drawdown") != idempotency_key(next_turn, "drawdown")


def test_idempotency_key_differs_between_conversations() -> None:
    mine = make_tracker(message_id="m-1", sender_id="conversation-a")
    theirs = make_tracker(message_id="m-1", sender_id="conversation-b")
    assert idempotency_key(mine, "drawdown") != idempotency_key(theirs, "drawdown")


def test_idempotency_key_without_a_message_id_uses_the_user_turn() -> None:
    turn = [user_event("确认", timestamp=1_700_000_000.0)]
    same = make_tracker(message_id=None, events=turn)
    assert idempotency_key(same, "repayment") == idempotency_key(
        make_tracker(message_id=None, events=list(turn)), "repayment"
    )
    later = make_tracker(message_id=None, events=[*turn, user_event("确认", timestamp=1_700_000_100.0)])
    assert idempotency_key(same, "repayment") != idempotency_key(later, "repayment")


@pytest.mark.parametrize(
    ("asked", "text", "intent", "entities", "value"),
    [
        # The part that answers, not the whole message, fills a slot taken from text.
        ("company_name", "杭州老王小吃店有限公司，个体户也能申请吗？", "ask_faq", [], "杭州老王小吃店有限公司"),
        ("loan_purpose", "买原材料，这个钱能拿去还别的贷款吗", "repay", [], "买原材料"),
        # An entity of the slot's kind in that part; one cut inside its number is widened to the whole number.
        ("mobile", "手机号13912345678，审批要几天", "ask_faq", [("mobile", 3, 14, "13912345678")], "13912345678"),
        ("loan_amount", "250,000 - how long until approval?", "ask_faq", [("amount", 0, 4, "250,")], "250,000"),
    ],
)
async def test_an_answer_said_with_a_question_fills_the_question_asked(
    asked: str, text: str, intent: str, entities: list[tuple[str, int, int, str]], value: str, domain: dict[str, Any]
) -> None:
    found = [{"entity": kind, "start": start, "end": end, "value": v} for kind, start, end, v in entities]
    tracker = make_tracker(
        active_loop="loan_application_form", requested_slot=asked, text=text, intent=intent, entities=found
    )
    assert FORM.answer_said_with_a_question(tracker, domain) == [SlotSet(asked, value)]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("利息怎么算？", "ask_faq"),  # only a question: its own rule answers it and the form asks again
        ("上海东方贸易有限公司", "inform"),  # only an answer: the form's mapping takes it
        ("张伟，我要投诉你们", "complain"),  # a reading with its own rule
        ("上海东方贸易有限公司，转人工吧？", "request_human"),
    ],
)
async def test_a_message_that_is_not_an_answer_with_a_question_is_left_to_the_form(
    text: str, intent: str, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(active_loop="loan_application_form", requested_slot="company_name", text=text, intent=intent)
    assert FORM.answer_said_with_a_question(tracker, domain) == []


@pytest.mark.parametrize(
    ("text", "intent", "entities", "doubts"),
    [
        ("期限还没想好，我得回去算算", "out_of_scope", [], True),  # whatever the reading, unless one with its own rule
        ("这个我得问问老板", "nlu_fallback", [], True),
        ("不知道能不能提前还款？", "ask_faq", [], False),  # a question with a doubt in it is answered as a question
        ("说不准，大概三年吧", "inform", [("term", 5, 7)], False),  # a value of the question's kind is an answer
        ("我说不清楚，转人工", "request_human", [], False),
    ],
)
async def test_a_message_putting_the_answer_off_gets_help_not_a_reading(
    text: str, intent: str, entities: list[tuple[str, int, int]], doubts: bool, domain: dict[str, Any]
) -> None:
    found = [{"entity": kind, "start": start, "end": end, "value": text[start:end]} for kind, start, end in entities]
    tracker = make_tracker(
        active_loop="loan_application_form", requested_slot="loan_term", text=text, intent=intent, entities=found
    )
    assert FORM.doubts_instead_of_answering(tracker, domain) is doubts
