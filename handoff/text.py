"""Text the assistant is given: Traditional Chinese is read as Simplified (the transcript keeps the original)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _converter() -> Any:
    from opencc import OpenCC  # opencc-python-reimplemented: pure Python, dictionaries in the package

    return OpenCC("t2s")


def for_assistant(text: str) -> str:
    """The message as the assistant's NLU should read it: 貸款 -> 贷款, 還款 -> 还款."""
    if text.isascii():
        return text
    return str(_converter().convert(text))
