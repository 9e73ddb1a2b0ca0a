"""Is a message about this bank at all (actions/scope.py): the second opinion of the unsure paths, outside a form."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionHandleFallback
from actions.scope import ActionAnswerWithoutQuestion, ActionOutOfScope, names_banking, says_what_it_is_about
from tests.utils.trackers import load_domain, make_tracker, responses


@pytest.mark.parametrize(
    "text",
    [
        "帮我看看那笔款子",
        "提点钱出来用用",
        "還款日能改嗎",
        "续一次是几个月",
        "公司刚成立半年",
        "验证码收不到",
        "I want to pay off everything",
        "how much can I still draw",
        "is the rate fixed",
        "50w",
        "取消",
        "not sure",
    ],
)
def test_the_words_of_a_banks_business_or_of_the_conversation(text: str) -> None:
    assert names_banking(text)


@pytest.mark.parametrize(
    "text",
    [
        "电脑开不了机了咋整",
        "红烧肉怎么做",
        "这款手机多少钱",
        "流量额度怎么查",
        "is it going to snow this weekend",
        "asdfgh",
    ],
)
def test_messages_that_name_nothing_of_a_bank(text: str) -> None:
    assert says_what_it_is_about(text) and not names_banking(text)


@pytest.mark.parametrize("text", ["那个东西怎么弄一下啊", "怎么办", "how do I do this", "？？？"])
def test_a_message_of_function_words_says_nothing_of_what_it_is_about(text: str) -> None:
    assert not says_what_it_is_about(text)


async def run_fallback(text: str, **tracker_args: object) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="nlu_fallback", **tracker_args)  # type: ignore[arg-type]
    await ActionHandleFallback().run(dispatcher, tracker, load_domain())
    return dispatcher


async def test_an_unsure_reading_naming_nothing_of_a_bank_is_declined_without_a_streak() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="电脑开不了机了咋整", intent="nlu_fallback", slots={"fallback_count": 1})
    events = await ActionHandleFallback().run(dispatcher, tracker, load_domain())
    assert responses(dispatcher) == ["utter_out_of_scope"]
    assert events == []  # no handoff for a second unsure reading, and the streak does not grow


async def test_an_unsure_reading_naming_banking_served_elsewhere_is_told_where_to_go() -> None:
    dispatcher = await run_fallback("我的银行卡丢了咋整")
    assert responses(dispatcher) == ["utter_other_banking_debit_card"]


async def test_inside_a_form_an_unsure_reading_is_never_declined() -> None:
    dispatcher = await run_fallback(
        "电脑开不了机了咋整", active_loop="loan_application_form", requested_slot="loan_purpose"
    )
    assert responses(dispatcher) == ["utter_ask_rephrase"]


async def test_a_vague_message_is_asked_to_rephrase_not_declined() -> None:
    dispatcher = await run_fallback("那个东西怎么弄一下啊")
    assert responses(dispatcher) == ["utter_ask_rephrase"]


async def test_a_question_the_faq_cannot_answer_naming_nothing_of_a_bank_is_declined() -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="打印机连不上电脑怎么办", intent="ask_faq")
    await ActionAnswerFaq().run(dispatcher, tracker, load_domain())
    assert responses(dispatcher) == ["utter_out_of_scope"]


@pytest.mark.parametrize(
    ("text", "response"),
    [("今天天气怎么样", "utter_out_of_scope"), ("我想把信用卡额度提高一点", "utter_other_banking_credit_card")],
)
async def test_out_of_scope_is_declined_unless_its_words_name_banking_served_elsewhere(
    text: str, response: str
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionOutOfScope().run(dispatcher, make_tracker(text=text, intent="out_of_scope"), load_domain())
    assert responses(dispatcher) == [response]


@pytest.mark.parametrize(
    ("text", "entities", "response"),
    [
        ("50万", [{"entity": "amount", "value": "50万"}], "utter_which_service_for_inform"),
        ("我们是做餐饮的", [], "utter_which_service_for_inform"),
        ("明天要去打羽毛球", [], "utter_out_of_scope"),
        ("我要改预留手机号", [], "utter_other_banking_contact_change"),
    ],
)
async def test_an_answer_with_no_question_pending(text: str, entities: list[dict[str, str]], response: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="inform", entities=entities)
    await ActionAnswerWithoutQuestion().run(dispatcher, tracker, load_domain())
    assert responses(dispatcher) == [response]
