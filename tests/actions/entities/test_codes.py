"""Credit codes and reference numbers (actions/entities/codes.py)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from actions.entities import (
    CreditCodeError,
    ReferenceNumberError,
    validate_application_number,
    validate_credit_code,
    validate_service_request_number,
)
from textkit.creditcode import ALPHABET as CREDIT_CODE_CHARSET
from textkit.creditcode import check_character as credit_code_check_character


def _reference_check_character(first17: str) -> str:
    """An independent spelling of GB 32100-2015 for cross-checking the module."""
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    pairs = zip(first17, weights, strict=True)
    total = sum(CREDIT_CODE_CHARSET.index(char) * weight for char, weight in pairs)
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def make_credit_code(rng: random.Random) -> str:
    """Factory: a random well-formed code, registration authority 9 (industry and commerce), type 1."""
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body += "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(9))
    return body + credit_code_check_character(body)


VALID_CREDIT_CODES = [
    "91110000600037341L",  # published codes of large enterprises
    "914403001922038216",
    "91110108551385082Q",
    "91310000MA1FL8L47U",  # computed here
    "92440300MA5DXK3R2R",
    "52100000500021865X",
    "11100000000013127D",
    "91330106MA2H0YW8X5",
    "Y1440300MA5G9N2B0F",
    "913100000000000110",  # check value 31 -> 0
]


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_validate_credit_code_valid(code: str) -> None:
    assert validate_credit_code(code) == code
    assert credit_code_check_character(code[:17]) == code[17] == _reference_check_character(code[:17])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("91110000600037341l", "91110000600037341L"),
        (" 9111 0000 6000 3734 1L ", "91110000600037341L"),
        ("91310000-MA1FL8L47U", "91310000MA1FL8L47U"),
        ("９１３１００００ＭＡ１ＦＬ８Ｌ４７Ｕ", "91310000MA1FL8L47U"),
    ],
)
def test_validate_credit_code_canonicalises(text: str, expected: str) -> None:
    assert validate_credit_code(text) == expected


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341M",
        "914403001922038217",
        "91110108551385082R",
        "91310000MA1FL8L47Q",  # the example in docs/nlu_inventory.md: check character should be U
        "913100000000000111",
    ],
)
def test_validate_credit_code_wrong_check_character(code: str) -> None:
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(code)
    assert caught.value.code == "credit_code_checksum"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "91110000600037341",  # 17
        "91110000600037341LL",  # 19
        "9111000060003734I1",  # I
        "9111000060003734O1",  # O
        "9111000060003734Z1",  # Z
        "9111000060003734S1",  # S
        "9111000060003734V1",  # V
        "91110000-6000-3734-?L",
        "统一社会信用代码",
    ],
)
def test_validate_credit_code_format(text: str) -> None:
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(text)
    assert caught.value.code == "credit_code_format"


def test_credit_code_factory_round_trip() -> None:
    rng = random.Random(20261129)
    for _ in range(200):
        code = make_credit_code(rng)
        assert validate_credit_code(code) == code
        assert code[17] == _reference_check_character(code[:17])
        for wrong in CREDIT_CODE_CHARSET.replace(code[17], ""):
            with pytest.raises(CreditCodeError):
                validate_credit_code(code[:17] + wrong)


def test_credit_code_check_character_refuses_bad_body() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        credit_code_check_character("9111000060003734")


# -------------------------------------------------------------------------------------------------- date


@pytest.mark.parametrize(
    ("validator", "text", "expected"),
    [
        (validate_application_number, "AP2026112901", "AP2026112901"),
        (validate_application_number, " ap 2026 1129 01 ", "AP2026112901"),
        (validate_application_number, "Ap2026112901", "AP2026112901"),
        (validate_service_request_number, "SR2026112907", "SR2026112907"),
        (validate_service_request_number, "sr-2026-1129-07", "SR2026112907"),
        (validate_service_request_number, "ＳＲ２０２６１１２９０７", "SR2026112907"),
    ],
)
def test_reference_numbers(validator: Callable[[str], str], text: str, expected: str) -> None:
    assert validator(text) == expected


@pytest.mark.parametrize(
    ("validator", "text", "code"),
    [
        (validate_application_number, "LN2026112903", "application_number_invalid"),
        (validate_application_number, "AP202611290", "application_number_invalid"),
        (validate_application_number, "AP20261129011", "application_number_invalid"),
        (validate_service_request_number, "AP2026112907", "service_request_number_invalid"),
    ],
)
def test_reference_number_refusals(validator: Callable[[str], str], text: str, code: str) -> None:
    with pytest.raises(ReferenceNumberError) as caught:
        validator(text)
    assert caught.value.code == code
