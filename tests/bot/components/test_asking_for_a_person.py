"""The rule that gives a person to whoever asks for one (bot/components/asking_for_a_person.py): the ways of
asking, in and out of a form, and what is not a request for a person."""

from __future__ import annotations

import pytest

from bot.components.asking_for_a_person import asks_for_a_person


@pytest.mark.parametrize(
    "text",
    [
        "转人工",
        "轉人工",
        "先别问了，我要跟真人说",
        "这些问题太多了，叫你们客服来",
        "不想跟机器人聊了",
        "我还是想找个人问问",
        "能不能换个人来处理",
        "有没有工作人员在线",
        "让你们的同事跟我说吧",
        "机器人说不清楚",
        "期限的事我想直接问人",
        "I'd rather speak to a human about the term",
        "can I talk to someone at the bank",
        "put me through to customer service",
        "get me a live agent",
        "stop the bot please",
        "is there a real person there",
        "agent",
        "I need a person, not a form",
    ],
)
def test_a_request_for_a_person_in_any_words(text: str) -> None:
    assert asks_for_a_person(text)


@pytest.mark.parametrize(
    "text",
    [
        # answers and questions of a form
        "50万",
        "12个月",
        "用来给员工发工资",
        "要发员工工资",
        "我跟同事商量一下再定",
        "人工成本涨了，要周转",
        "我想申请个人经营贷款",
        "联系人是王经理",
        "公司有二十多个员工",
        # asking about the service, not for it
        "人工客服几点上班",
        "周末有人工服务吗",
        "你是真人吗",
        "when are your agents available",
        # negated
        "不用转人工，我自己来",
        "no need for an agent, I'll do it myself",
        # a call back from the account manager is a service request
        "让客户经理给我回个电话",
        "can someone call me back tomorrow",
        # the transfer of money, not of the chat
        "I want to transfer money to someone",
        "I'll talk to my team first",
        "/request_human",
        "",
    ],
)
def test_what_is_not_a_request_for_a_person(text: str) -> None:
    assert not asks_for_a_person(text)
