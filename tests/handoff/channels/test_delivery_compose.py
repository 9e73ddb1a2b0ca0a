"""How the transcript reads in a channel: messages joined into as few channel messages as fit, buttons as numbered
choices, agents by name, and nothing cut mid-character."""

from __future__ import annotations

from typing import Any

from handoff.channels.delivery import compose
from handoff.models import Message


def message(seq: int, text: str, *, sender: str = "bot", **fields: Any) -> Message:
    return Message(conversation_id="c", seq=seq, sender=sender, text=text, **fields)


def test_replies_are_joined_into_one_message_with_the_last_ones_choices() -> None:
    buttons = [{"title": "申请贷款", "payload": "/apply_loan"}, {"title": "转人工", "payload": "/request_human"}]
    chunks = compose(
        [message(2, "抱歉，这个问题超出了我的服务范围。"), message(3, "请问您想办理什么业务？", buttons=buttons)],
        language="zh",
        max_bytes=2000,
    )
    assert len(chunks) == 1
    assert chunks[0].text == (
        "抱歉，这个问题超出了我的服务范围。\n\n请问您想办理什么业务？\n请回复数字选择：\n1. 申请贷款\n2. 转人工"
    )
    assert (chunks[0].last_seq, chunks[0].choices) == (3, buttons)


def test_an_agent_is_named_and_english_customers_read_english() -> None:
    chunks = compose(
        [message(5, "Hello, how can I help?", sender="agent", sender_name="Li Wei")], language="en", max_bytes=2000
    )
    assert chunks[0].text == "Li Wei: Hello, how can I help?"
    chunks = compose([message(5, "您好", sender="agent", sender_name="李伟")], language="zh", max_bytes=2000)
    assert chunks[0].text == "李伟：您好"


def test_what_does_not_fit_is_split_on_message_boundaries_then_characters() -> None:
    first, second = message(1, "甲" * 200), message(2, "乙" * 200)  # 600 bytes each in UTF-8
    chunks = compose([first, second], language="zh", max_bytes=1000)
    assert [(c.text, c.last_seq) for c in chunks] == [("甲" * 200, 1), ("乙" * 200, 2)]
    long = compose([message(7, "长" * 1000)], language="zh", max_bytes=1000, after_seq=6)
    assert all(len(c.text.encode()) <= 1000 for c in long)
    assert "".join(c.text for c in long) == "长" * 1000
    # Only the last piece completes the message: the cursor passes it only once all of it is sent.
    assert [c.last_seq for c in long] == [6, 6, 6, 7]
