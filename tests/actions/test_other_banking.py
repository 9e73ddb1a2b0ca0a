"""Banking served elsewhere (actions/other_banking.py): the topic read from the words, and where to go for it."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.other_banking import ActionOtherBanking, other_banking_topic
from tests.utils.trackers import load_domain, make_tracker, responses


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("帮我把信用卡额度从2万提到5万", "credit_card"),
        ("我想办房贷", "personal_loan"),
        ("个人消费贷利率多少", "personal_loan"),
        ("I forgot my PIN", "pin_password"),
        ("网银登录密码忘了", "pin_password"),
        ("我要打印上个月的流水", "statement"),
        ("what's my account balance", "statement"),
        ("今天美元汇率多少", "foreign_exchange"),
        ("I lost my debit card", "debit_card"),
        ("卡丢了要挂失", "debit_card"),
        ("我换手机号了，要改预留手机号", "contact_change"),
        ("update my address please", "contact_change"),
        ("三年定期利率多少", "deposit"),
        ("open a fixed deposit", "deposit"),
        ("把3万转到我太太的账户", "transfer"),
        ("转两万块到我自己另一个户头", "transfer"),
        ("move $500 from my checking to my savings", "transfer"),
        # a statement of a deposit is a statement, a credit-card repayment is about the credit card
        ("开一份存款证明", "statement"),
        ("我要还信用卡", "credit_card"),
    ],
)
def test_the_topic_is_read_from_the_words(text: str, topic: str) -> None:
    assert other_banking_topic(text) == topic


@pytest.mark.parametrize(
    "text",
    [
        "我要提款20万",
        "我要还款",
        "我想续贷",
        "我的额度还有多少",
        "定期还款可以吗",
        "提款到我的卡上要多久",
        "I want to repay my loan",
    ],
)
def test_lending_is_never_taken_for_banking_served_elsewhere(text: str) -> None:
    assert other_banking_topic(text) is None


@pytest.mark.parametrize(
    ("text", "language", "response"),
    [
        ("信用卡账单在哪看", "zh", "utter_other_banking_credit_card"),
        ("how do I wire money abroad", "en", "utter_other_banking_transfer"),
        ("我想换500欧元", "zh", "utter_other_banking_foreign_exchange"),
        ("你们那个业务怎么办", "zh", "utter_other_banking_general"),
    ],
)
async def test_the_customer_is_told_where_to_go_with_a_person_one_tap_away(
    text: str, language: str, response: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="other_banking", slots={"language": language})
    events = await ActionOtherBanking().run(dispatcher, tracker, load_domain())
    assert events == []
    assert responses(dispatcher) == [response]
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/request_human"


def test_every_topic_has_its_answer_in_both_languages() -> None:
    domain = load_domain()
    from actions.other_banking import TOPICS

    for topic in [name for name, _ in TOPICS] + ["general"]:
        variations = domain["responses"][f"utter_other_banking_{topic}"]
        assert {bool(v.get("condition")) for v in variations} == {True, False}, topic
