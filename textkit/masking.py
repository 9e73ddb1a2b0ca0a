"""Masking personal data in text: ID numbers, unified social credit codes, card and account numbers, mobiles.

One implementation for every process: the actions mask the handoff packet and the summaries they read back, the
hub masks what a staff role does not need to see and what it logs.
"""

from __future__ import annotations

import re

# The alphabet of the unified social credit code (GB 32100-2015: digits and capitals without I, O, S, V, Z).
_CREDIT_CODE_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")


def mask_account(number: str) -> str:
    """``**** **** 1234``: only the last 4 digits are kept (the length is not revealed)."""
    digits = re.sub(r"\D", "", number)
    if len(digits) <= 8:
        return "****"
    return f"**** **** {digits[-4:]}"


def mask_mobile(number: str) -> str:
    """``138****5678``: the first 3 and the last 4 digits are kept (a +86 prefix is dropped)."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    if len(digits) < 11:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(number: str) -> str:
    """Resident ID number: only the first and the last character are kept (``1****************X``)."""
    compact = re.sub(r"\s", "", number)
    if len(compact) <= 2:
        return "*" * len(compact)
    return f"{compact[0]}{'*' * (len(compact) - 2)}{compact[-1]}"


def mask_credit_code(code: str) -> str:
    """Unified social credit code: the first 2 and the last 4 characters are kept."""
    compact = re.sub(r"\s", "", code)
    if len(compact) <= 6:
        return "*" * len(compact)
    return f"{compact[:2]}{'*' * (len(compact) - 6)}{compact[-4:]}"


_MASK_18_RE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")
_MASK_ID_RE = re.compile(r"\d{17}[\dXx]")
_MASK_SPACED_ID_RE = re.compile(r"(?<![\d*])\d{6}[ \-]\d{8}[ \-]\d{3}[\dXx](?![\dA-Za-z*])")
_MASK_ACCOUNT_RE = re.compile(r"(?<![\d*])(?:\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,4})?|\d{12,19})(?![\d*])")
_MASK_MOBILE_RE = re.compile(r"(?<![\d*])(?:(?:\+|00)?86[ \-]?)?1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}(?![\d*])")
# full-width 0-9, A-Z, a-z
_FULL_WIDTH_CODES = (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
_FULL_WIDTH_ALNUM = str.maketrans({chr(code): chr(code - 0xFEE0) for code in _FULL_WIDTH_CODES})
_MASK_LONG_DIGITS_RE = re.compile(r"(?<!\d)\d{12,}(?!\d)")


def _mask_18(match: re.Match[str]) -> str:
    token = match.group(0)
    if _MASK_ID_RE.fullmatch(token):
        return mask_id_number(token)
    if _CREDIT_CODE_RE.fullmatch(token.upper()) or re.search(r"\d{6}", token):
        return mask_credit_code(token)
    return token  # an ordinary 18-letter word


def mask_text(text: str) -> str:
    """Mask ID numbers, credit codes, card/account numbers (12-19 digits) and mobiles in free text.

    For logs and handoff packets.  Full-width digits and letters are folded to ASCII first so that they cannot
    slip through; everything else (punctuation, Chinese) is left as it was.
    """
    masked = text.translate(_FULL_WIDTH_ALNUM)
    masked = _MASK_18_RE.sub(_mask_18, masked)
    masked = _MASK_SPACED_ID_RE.sub(lambda match: mask_id_number(match.group(0)), masked)
    masked = _MASK_ACCOUNT_RE.sub(lambda match: mask_account(match.group(0)), masked)
    masked = _MASK_MOBILE_RE.sub(lambda match: mask_mobile(match.group(0)), masked)
    return _MASK_LONG_DIGITS_RE.sub(lambda match: mask_account(match.group(0)), masked)
