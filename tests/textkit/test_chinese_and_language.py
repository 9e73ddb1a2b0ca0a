"""Traditional read as Simplified, and what language a message is in (textkit/chinese.py, language.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from textkit.chinese import to_simplified
from textkit.language import language_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我們的貸款餘額還剩多少？", "我们的贷款余额还剩多少？"),
        ("無還本續貸", "无还本续贷"),
        ("伍拾萬圓", "伍拾万圆"),
        ("我们的贷款", "我们的贷款"),
        ("hello 123", "hello 123"),
        ("", ""),
    ],
)
def test_to_simplified(text: str, expected: str) -> None:
    assert to_simplified(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "zh"),
        ("我要还款", "zh"),
        ("我們的貸款", "zh"),
        ("SR2026112907 进度", "zh"),
        ("我要apply loan", "zh"),
        ("I want 贷款", "zh"),  # any Chinese character: a Chinese reader
        ("please help me with 贷款", "zh"),
        ("hello", "en"),
        ("I want to apply for a loan", "en"),
        ("12345", None),
        ("", None),
        ("？！", None),
        ("91310000MA1FL8L47U", None),  # a code says nothing about the language
        ("a", None),
        ("ｈｅｌｌｏ", "en"),  # full-width letters
    ],
)
def test_language_of(text: str, expected: str | None) -> None:
    assert language_of(text) == expected


# ------------------------------------------------------------------------------------- reference numbers


def test_one_converter_and_one_detector_for_the_whole_tree() -> None:
    """Traditional to Simplified and "what language is this" live in textkit/ only (the hub, the actions, the
    index and the lending core import them), so the processes cannot disagree about a message."""
    repo = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("actions", "handoff", "knowledge", "lending_core", "scripts"):
        for path in (repo / package).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            if re.search(r"^\s*(from opencc|import opencc)", source, re.M) or "\\u4e00" in source:
                offenders.append(str(path.relative_to(repo)))
    assert offenders == []
