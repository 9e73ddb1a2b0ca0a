"""Personal numbers masked in free text (textkit/masking.py)."""

from __future__ import annotations

import re

import pytest

from textkit.masking import mask_account, mask_credit_code, mask_id_number, mask_mobile, mask_text


def test_masks() -> None:
    assert mask_account("6222021234567890123") == "**** **** 0123"
    assert mask_account("6222 0212 3456 7890 123") == "**** **** 0123"
    assert mask_account("1234") == "****"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("+86 138-1234-5678") == "138****5678"
    assert mask_id_number("11010119900307123X") == "1****************X"
    assert mask_credit_code("91110000600037341L") == "91************341L"


MOBILE = "13812345678"
ID_NUMBER = "11010119900307123X"
CARD = "6222021234567890123"
ACCOUNT = "622202123456"
CREDIT = "91110000600037341L"

SECRETS_IN_TEXT = [
    (f"我的手机{MOBILE}，身份证{ID_NUMBER}", [MOBILE, ID_NUMBER]),
    ("手机 +86 138-1234-5678 谢谢", [MOBILE]),
    ("call 138 1234 5678 now", [MOBILE]),
    ("0086 13812345678", [MOBILE]),
    ("8613812345678", [MOBILE]),
    ("卡号6222 0212 3456 7890 123，请尽快", [CARD]),
    ("卡号6222-0212-3456-7890-123", [CARD]),
    (f"card{CARD}end", [CARD]),
    (f"账户{ACCOUNT}", [ACCOUNT]),
    (f"统一社会信用代码{CREDIT}。", [CREDIT]),
    ("代码91110000600037341l", [CREDIT.lower()]),
    ("身份证 110101 19900307 123X", [ID_NUMBER]),
    ("id 110101199003071234 ok", ["110101199003071234"]),
    ("手机１３８１２３４５６７８", [MOBILE]),
    (f"{MOBILE}{CARD}", [MOBILE, CARD]),
    (f"{MOBILE} 2026", [MOBILE]),
    (f"{CARD} {MOBILE} {ID_NUMBER} {CREDIT}", [MOBILE, CARD, ID_NUMBER, CREDIT]),
]


@pytest.mark.parametrize(("text", "secrets"), SECRETS_IN_TEXT)
def test_mask_text_never_leaks(text: str, secrets: list[str]) -> None:
    masked = mask_text(text)
    digits_only = re.sub(r"[^0-9A-Za-z]", "", masked).upper()
    for secret in secrets:
        plain = secret.upper()
        assert plain not in masked.upper()
        assert plain not in digits_only
        # no run of 8 or more of the secret's digits survives
        assert not any(plain[i : i + 8] in digits_only for i in range(len(plain) - 7))


@pytest.mark.parametrize(
    "text",
    [
        "申请号AP2026112901 进度",
        "我要提款500,000元，12月5日到账",
        "日期2026-12-05，金额1,000,000.50",
        "OTP 482913",
        "东方贸易有限公司",
        "internationalizing",
        "",
    ],
)
def test_mask_text_leaves_ordinary_text(text: str) -> None:
    assert mask_text(text) == text


def test_mask_text_keeps_chinese_punctuation() -> None:
    assert mask_text(f"手机：{MOBILE}，谢谢！") == "手机：138****5678，谢谢！"


# ------------------------------------------------------------------------------------- language helpers
