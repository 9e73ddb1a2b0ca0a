"""How a message divides into what it asks and what it says, and which money request it states in words."""

from __future__ import annotations

import pytest

from actions.clauses import answer_part, clauses_of, question_clause, stated_money_request


@pytest.mark.parametrize(
    ("text", "said", "asked"),
    [
        ("50万，利息怎么算？", "50万", "利息怎么算"),
        ("手机号13912345678，审批要几天啊", "手机号13912345678", "审批要几天啊"),
        ("深圳前海宏达贸易有限公司 你们一般几天审批完", "深圳前海宏达贸易有限公司", "你们一般几天审批完"),
        ("Sunrise Trading Co., Ltd. Do I need a guarantor?", "Sunrise Trading Co., Ltd", "Do I need a guarantor"),
        ("Pay off 300,000 please - is there any fee for that?", "Pay off 300,000 please", "is there any fee for that"),
        ("利息多少？", None, "利息多少"),
        ("上海东方贸易有限公司", None, None),
    ],
)
def test_what_a_message_says_and_what_it_asks(text: str, said: str | None, asked: str | None) -> None:
    assert answer_part(text) == said
    assert question_clause(text) == asked


def test_a_question_mark_makes_a_clause_a_question_and_a_thousands_comma_splits_nothing() -> None:
    clauses = clauses_of("400,000 for now. interest daily?")
    assert [(c.text, c.asks) for c in clauses] == [("400,000 for now", False), ("interest daily", True)]


def test_traditional_characters_ask_as_simplified_ones_do() -> None:
    assert question_clause("申請提款，提出來的錢能提前還嗎") == "提出來的錢能提前還嗎"


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("我想还款，提前还款要收违约金吗？", "repay"),
        ("想办个续贷，续贷会影响征信吗", "renew_loan"),
        ("我要贷款100w 查征信会影响吗", "apply_loan"),
        ("申請提款，手續費多少", "drawdown"),
        ("I'd like to make a repayment. Can it be taken from my account each month?", "repay"),
        ("we want to roll over our loan, does the rate change?", "renew_loan"),
        # Only a question about a request, a negated wish, or no request at all: none stated.
        ("提款会上征信吗", None),
        ("how fast does the money arrive if I draw down now", None),
        ("我不想贷款了，怎么取消", None),
        ("上海东方贸易有限公司，要抵押吗", None),
    ],
)
def test_the_money_request_a_message_states_beside_its_question(text: str, stated: str | None) -> None:
    assert stated_money_request(text) == stated
