"""Codes and reference numbers a customer types: the unified social credit code, AP... and SR... numbers."""

from __future__ import annotations

import re
import unicodedata

from actions.entities.errors import CreditCodeError, ReferenceNumberError
from textkit.creditcode import ALPHABET, check_character

_CREDIT_CODE_RE = re.compile(rf"[{ALPHABET}]{{18}}")


def validate_credit_code(text: str) -> str:
    """Canonical (upper-case, no spaces) unified social credit code, check character verified."""
    code = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
    if not _CREDIT_CODE_RE.fullmatch(code):
        raise CreditCodeError("credit_code_format", text, "18 characters from 0-9 and A-Y without I O S V Z")
    if check_character(code[:17]) != code[17]:
        raise CreditCodeError("credit_code_checksum", text, "wrong check character")
    return code


def _reference_number(text: str, prefix: str, code: str) -> str:
    compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
    if not re.fullmatch(rf"{prefix}\d{{10}}", compact):
        raise ReferenceNumberError(code, text, f"{prefix} followed by 10 digits expected")
    return compact


def validate_application_number(text: str) -> str:
    """``AP`` + 10 digits, case-insensitive, spaces tolerated -> ``AP2026112901``."""
    return _reference_number(text, "AP", "application_number_invalid")


def validate_service_request_number(text: str) -> str:
    """``SR`` + 10 digits, case-insensitive, spaces tolerated -> ``SR2026112907``."""
    return _reference_number(text, "SR", "service_request_number_invalid")
