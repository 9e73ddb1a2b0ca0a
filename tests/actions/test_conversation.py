"""Which language the assistant answers in."""

from __future__ import annotations

import pytest

from actions.conversation import choose_language, language_of_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "zh"),
        ("我想贷款50万", "zh"),
        ("hello", "en"),
        ("apply a loan 50万", "zh"),
        ("138 0000 0001", None),
        ("", None),
        ("ok", "en"),
        ("貸款", "zh"),
    ],
)
def test_language_of_text(text: str, expected: str | None) -> None:
    assert language_of_text(text) == expected


def test_the_message_wins_over_the_hub() -> None:
    assert choose_language(text="hello", metadata={"language": "zh"}, current=None) == "en"


def test_the_hub_decides_a_first_message_without_words() -> None:
    assert choose_language(text="13800000001", metadata={"language": "en"}, current=None) == "en"


def test_numbers_keep_the_language_in_use() -> None:
    assert choose_language(text="500000", metadata={"language": "zh"}, current="en") == "en"


def test_default_is_chinese() -> None:
    assert choose_language(text="123", metadata={}, current=None) == "zh"
