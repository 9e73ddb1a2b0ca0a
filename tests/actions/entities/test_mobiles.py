"""Mainland mobile numbers (actions/entities/mobiles.py)."""

from __future__ import annotations

import pytest

from actions.entities import (
    MobileError,
    parse_mobile,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 139-0000-1234", "13900001234"),
        ("+8613900001234", "13900001234"),
        ("0086 13900001234", "13900001234"),
        ("86 13812345678", "13812345678"),
        ("(+86) 199 1234 5678", "19912345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("我的手机是138-1234-5678", "13812345678"),
    ],
)
def test_parse_mobile(text: str, expected: str) -> None:
    assert parse_mobile(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12345678901", "mobile_invalid"),
        ("10012345678", "mobile_invalid"),
        ("11012345678", "mobile_invalid"),
        ("021-12345678", "mobile_invalid"),
        ("+86 12345678901", "mobile_invalid"),
        ("1381234567", "mobile_format"),
        ("138123456789", "mobile_format"),
        ("abc", "mobile_format"),
        ("", "mobile_format"),
        ("13812345678 或 13900001234", "mobile_format"),
    ],
)
def test_parse_mobile_refusals(text: str, code: str) -> None:
    with pytest.raises(MobileError) as caught:
        parse_mobile(text)
    assert caught.value.code == code


# ------------------------------------------------------------------------------------------- credit code
