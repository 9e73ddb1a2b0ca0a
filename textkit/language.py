"""What language a message is written in: the one answer for the hub, the actions and the FAQ index."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from textkit.chinese import CJK_RE

Language = Literal["zh", "en"]

_LATIN_WORD_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")


def language_of(text: str) -> Language | None:
    """``zh`` when the text has a Chinese character, ``en`` when it has a word of two or more Latin letters.

    A Chinese customer who writes "我要apply贷款" reads Chinese, hence any Chinese character is enough. Digits, codes,
    single letters and punctuation alone say nothing (``None``): the caller keeps the language already in use.
    Full-width letters count as Latin ones.
    """
    if CJK_RE.search(text):
        return "zh"
    if _LATIN_WORD_RE.search(unicodedata.normalize("NFKC", text)):
        return "en"
    return None
