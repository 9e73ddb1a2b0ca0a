"""Chinese text: whether a text has Chinese characters, and Traditional read as Simplified.

One OpenCC converter (``t2s``, opencc-python-reimplemented: pure Python, dictionaries in the package) for every
process: the hub converts what it sends the assistant, the actions what they parse, the FAQ index what it indexes
and searches. It is built on first use (building reads its dictionaries) and kept; ``convert`` only reads it, so
threads may share it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Protocol

# CJK Unified Ideographs, Extension A and the compatibility block: a character class body, for building patterns.
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK_CHARS}]")


class _Converter(Protocol):
    def convert(self, string: str) -> str: ...


@functools.cache
def _t2s() -> _Converter:
    from opencc import OpenCC

    converter: _Converter = OpenCC("t2s")
    return converter


def has_cjk(text: str) -> bool:
    """True when the text contains a Chinese character."""
    return CJK_RE.search(text) is not None


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese: 貸款 -> 贷款, 還款 -> 还款; ASCII text is returned as it is."""
    if text.isascii():
        return text
    return _t2s().convert(text)


def fold(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII), Traditional to Simplified, trimmed, single spaces."""
    return " ".join(to_simplified(unicodedata.normalize("NFKC", text)).split())
