"""Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters, the last a check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUES = {char: index for index, char in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The check character for the first 17 characters."""
    if len(first17) != 17 or any(char not in _VALUES for char in first17):
        raise ValueError("need 17 characters from the GB 32100-2015 alphabet")
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """Whether `code` is an 18-character code with a correct check character."""
    if len(code) != 18 or any(char not in _VALUES for char in code):
        return False
    return check_character(code[:17]) == code[17]


def complete_credit_code(first17: str) -> str:
    """A valid code made from 17 characters plus the computed check character (demo and test data)."""
    return first17 + check_character(first17)
