"""A question asked with a request or with an answer is answered, and the request goes on; an answer put off
("我得查一下") gets help with the question. The real Rasa server with the trained model, the real action server and
the FAQ index. "50万，利息怎么算" at the amount question fills the amount and answers the rate; "我想还款，提前还款要
收违约金吗" answers the fee and starts the repayment. The messages are this test's own, not the blind groups' nor the
development set's."""

from __future__ import annotations

import uuid

import httpx
import pytest

from scripts.eval_dialogue import DialogueState, Turn
from tests.bot.test_person_requests import say
from tests.utils.services import Service

# The application's questions before the amount, each with an answer that fills it.
BEFORE_THE_AMOUNT = ("上海东方贸易有限公司", "91310000MA1FL8L47U", "张伟", "13812345678")


async def last_turn(rasa_server: Service, hub_database_url: str, language: str, *texts: str) -> Turn:
    """Sends ``texts`` in one new conversation; what the assistant did with the last of them."""
    state = DialogueState(hub_database_url)
    sender = f"with-question-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(base_url=rasa_server.url, timeout=60) as rasa:
        for text in texts[:-1]:
            await say(rasa, state, sender, text, language)
        return await say(rasa, state, sender, texts[-1], language)


@pytest.mark.parametrize(
    ("answers_before", "text", "slot", "value", "asked_next"),
    [
        ((), "上海东方贸易有限公司，个体户也可以申请吗？", "company_name", "上海东方贸易有限公司", "credit_code"),
        (BEFORE_THE_AMOUNT, "60万，利息是怎么算的？", "loan_amount", "600000.00", "loan_term"),
    ],
)
async def test_an_answer_with_a_question_fills_the_question_and_answers_it(
    answers_before: tuple[str, ...],
    text: str,
    slot: str,
    value: str,
    asked_next: str,
    rasa_server: Service,
    hub_database_url: str,
) -> None:
    turn = await last_turn(rasa_server, hub_database_url, "zh", "/apply_loan", *answers_before, text)
    assert turn.slots_set.get(slot) == value
    assert turn.faq_answered
    assert turn.requested_slot == asked_next and turn.utterances[-1] == f"utter_ask_{asked_next}"


@pytest.mark.parametrize(
    ("text", "language", "form"),
    [
        ("我想还款，提前还款要收违约金吗？", "zh", "repayment_form"),
        ("想办个续贷，续贷需要准备什么材料", "zh", "renewal_form"),
        ("I'd like to apply for a business loan. How long does approval take?", "en", "loan_application_form"),
    ],
)
async def test_a_request_stated_with_a_question_answers_it_and_goes_on(
    text: str, language: str, form: str, rasa_server: Service, hub_database_url: str
) -> None:
    turn = await last_turn(rasa_server, hub_database_url, language, text)
    assert turn.faq_answered
    assert form in turn.activated_forms


async def test_only_a_question_about_a_request_starts_nothing(rasa_server: Service, hub_database_url: str) -> None:
    turn = await last_turn(rasa_server, hub_database_url, "zh", "提款会上征信吗")
    assert turn.faq_answered
    assert turn.activated_forms == []


@pytest.mark.parametrize(
    ("answers_before", "text", "language", "asked"),
    [
        ((), "全称我得去营业执照上查一下", "zh", "company_name"),
        (BEFORE_THE_AMOUNT, "金额还没最后定，要看这批订单", "zh", "loan_amount"),
        (BEFORE_THE_AMOUNT, "I'd have to check with my partner on the amount", "en", "loan_amount"),
    ],
)
async def test_an_answer_put_off_gets_help_with_the_question_not_a_reading(
    answers_before: tuple[str, ...], text: str, language: str, asked: str, rasa_server: Service, hub_database_url: str
) -> None:
    """ "I have to look it up" is not a company name, an amount, out of scope nor a question: the question is
    explained (or skipped where it may be), and asked again."""
    turn = await last_turn(rasa_server, hub_database_url, language, "/apply_loan", *answers_before, text)
    assert f"utter_dont_know_{asked}" in turn.utterances
    assert turn.slots_set.get(asked) is None and turn.requested_slot == asked
    assert "utter_out_of_scope" not in turn.utterances
