"""Conversation repair (actions/repair.py): "say that again" repeats the last answer with its buttons, "I don't
know" gets help with the question asked or skips a question that has a sensible default."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.applications import ValidateLoanApplicationForm
from actions.repair import SKIPPABLE, ActionDontKnow, ActionRepeatLast, puts_off_answering, says_not_sure
from tests.utils.trackers import load_domain, make_tracker, responses, user_event


def bot_event(text: str, buttons: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {"event": "bot", "text": text, "data": {"buttons": buttons or []}}


async def test_the_last_answer_is_said_again_with_its_buttons() -> None:
    events = [
        user_event("你好"),
        bot_event("您好！"),
        user_event("我要还款"),
        bot_event("请选择要还款的借据：", [{"title": "LN1001000001", "payload": "LN1001000001"}]),
        user_event("再说一遍", intent="repeat_last"),
    ]
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="再说一遍", intent="repeat_last", events=events)
    assert await ActionRepeatLast().run(dispatcher, tracker, load_domain()) == []
    assert [m["text"] for m in dispatcher.messages] == ["请选择要还款的借据："]
    assert dispatcher.messages[0]["buttons"] == [{"title": "LN1001000001", "payload": "LN1001000001"}]


async def test_nothing_said_yet_is_said_so() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="say that again", intent="repeat_last", slots={"language": "en"})
    await ActionRepeatLast().run(dispatcher, tracker, load_domain())
    assert responses(dispatcher) == ["utter_nothing_to_repeat"]


async def test_not_sure_of_a_term_gets_help_and_a_person_and_the_question_stays() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="还没想好", intent="dont_know", active_loop="loan_application_form", requested_slot="loan_term"
    )
    assert await ActionDontKnow().run(dispatcher, tracker, load_domain()) == []
    assert responses(dispatcher) == ["utter_dont_know_loan_term"]
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/request_human"


async def test_either_way_is_fine_for_the_contact_method_skips_it_with_a_call() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="都可以", intent="dont_know", active_loop="service_request_form", requested_slot="contact_method"
    )
    assert await ActionDontKnow().run(dispatcher, tracker, load_domain()) == [SlotSet("contact_method", "call")]
    assert responses(dispatcher) == ["utter_skipped_contact_method"]


async def test_any_time_takes_the_earliest_window_offered() -> None:
    windows = [
        "2026-12-08T09:00:00+08:00/2026-12-08T12:00:00+08:00",
        "2026-12-08T13:30:00+08:00/2026-12-08T17:30:00+08:00",
    ]
    tracker = make_tracker(
        text="随便",
        intent="dont_know",
        active_loop="service_request_form",
        requested_slot="contact_window",
        slots={"contact_window_options": windows},
    )
    events = await ActionDontKnow().run(CollectingDispatcher(), tracker, load_domain())
    assert events == [SlotSet("contact_window", windows[0])]


async def test_a_question_without_its_own_help_gets_the_general_one() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="不知道", intent="dont_know", active_loop="drawdown_form", requested_slot="receiving_account"
    )
    await ActionDontKnow().run(dispatcher, tracker, load_domain())
    assert responses(dispatcher) == ["utter_dont_know"]


async def test_outside_a_form_it_says_what_the_assistant_can_do() -> None:
    dispatcher = CollectingDispatcher()
    await ActionDontKnow().run(dispatcher, make_tracker(text="不知道", intent="dont_know"), load_domain())
    assert responses(dispatcher) == ["utter_how_can_i_help"]


def test_every_helped_or_skippable_question_has_its_text_in_both_languages() -> None:
    domain = load_domain()
    helped = [name for name in domain["responses"] if name.startswith("utter_dont_know_")]
    assert {name.removeprefix("utter_dont_know_") for name in helped} <= set(domain["slots"])
    names = helped + [f"utter_skipped_{slot}" for slot in SKIPPABLE]
    for name in [*names, "utter_dont_know", "utter_anything_else"]:
        assert {bool(v.get("condition")) for v in domain["responses"][name]} == {True, False}, name


@pytest.mark.parametrize("text", ["嗯，这个我也不太清楚啊", "不知道。", "honestly I'm not sure yet", "随便"])
def test_not_sure_in_words(text: str) -> None:
    assert says_not_sure(text)


@pytest.mark.parametrize("text", ["大概50万吧，不太确定", "not sure, maybe 12 months", "我不知道怎么申请贷款", "一年"])
def test_an_answer_given_with_a_doubt_or_a_question_is_not_a_not_sure(text: str) -> None:
    assert not says_not_sure(text)


@pytest.mark.parametrize(
    "text",
    [
        "期限还没想好，我得回去跟家里人商量",
        "营业执照不在手边，记不清了",
        "I'd need to check with my accountant",
        "让我想想",
    ],
)
def test_putting_the_answer_off_in_words(text: str) -> None:
    assert puts_off_answering(text)


@pytest.mark.parametrize(
    "text", ["还没定，先写30万吧", "采购原材料", "深圳市南山区海岸贸易有限公司", "18 months I think"]
)
def test_an_answer_or_a_figure_is_not_putting_it_off(text: str) -> None:
    assert not puts_off_answering(text)


async def test_a_not_sure_the_model_read_as_an_answer_gets_the_same_help_inside_a_form() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="嗯，这个我也不太清楚啊", intent="inform", active_loop="loan_application_form", requested_slot="loan_term"
    )
    events = await ValidateLoanApplicationForm().run(dispatcher, tracker, load_domain())
    assert events == [SlotSet("loan_term", None)]
    assert responses(dispatcher) == ["utter_dont_know_loan_term"]


async def test_a_not_sure_read_as_dont_know_is_helped_once_by_its_own_rule() -> None:
    # the rule ran action_dont_know already; the form's validation after it must not help a second time
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="不知道", intent="dont_know", active_loop="loan_application_form", requested_slot="loan_term"
    )
    await ValidateLoanApplicationForm().run(dispatcher, tracker, load_domain())
    assert "utter_dont_know_loan_term" not in responses(dispatcher)
