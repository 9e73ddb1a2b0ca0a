"""Tables for the entity normalisers in actions/normalize.py."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from actions.normalize import (
    CREDIT_CODE_CHARSET,
    AccountNumberError,
    AmountError,
    CreditCodeError,
    DateError,
    MobileError,
    NormalizationError,
    ReferenceNumberError,
    TermError,
    credit_code_check_character,
    detect_language,
    is_all_amount,
    mask_account,
    mask_credit_code,
    mask_id_number,
    mask_mobile,
    mask_text,
    normalize_account_number,
    parse_amount,
    parse_date,
    parse_mobile,
    parse_term_months,
    to_simplified,
    validate_application_number,
    validate_credit_code,
    validate_loan_number,
    validate_service_request_number,
)

# ------------------------------------------------------------------------------------------------ amount

AMOUNTS = [
    ("50万", "500000"),
    ("五十万", "500000"),
    ("伍拾万元", "500000"),
    ("伍拾万圆整", "500000"),
    ("伍拾萬圓整", "500000"),
    ("500,000元", "500000"),
    ("500000", "500000"),
    ("￥500,000.00", "500000"),
    ("¥500,000.00", "500000"),
    ("RMB 500k", "500000"),
    ("rmb500000", "500000"),
    ("CNY 500,000", "500000"),
    ("500000 yuan", "500000"),
    ("0.5 million", "500000"),
    ("1.2 million", "1200000"),
    ("1.2m", "1200000"),
    ("50w", "500000"),
    ("50W", "500000"),
    ("200k", "200000"),
    ("200K", "200000"),
    ("3000块", "3000"),
    ("三千块钱", "3000"),
    ("一百二十万", "1200000"),
    ("1.5亿", "150000000"),
    ("两百万", "2000000"),
    ("八十万整", "800000"),
    ("1,000,000.50", "1000000.50"),
    ("100万元人民币", "1000000"),
    ("50 万", "500000"),
    ("500 000", "500000"),
    ("５０万", "500000"),
    ("十万", "100000"),
    ("一万五", "15000"),
    ("三千五", "3500"),
    ("一百零五", "105"),
    ("一万零五百", "10500"),
    ("1万5千", "15000"),
    ("五千万", "50000000"),
    ("一亿五千万", "150000000"),
    ("一点五万", "15000"),
    ("0.001万", "10"),
    ("0.0001万", "1"),
    ("1.23456k", "1234.56"),
    ("99.99", "99.99"),
    ("我要提款50万", "500000"),
    ("申请100万经营贷", "1000000"),
    ("repay 10,000", "10000"),
    ("withdraw 200k from my line", "200000"),
    ("50万，期限一年", "500000"),
    ("五", "5"),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_parse_amount(text: str, expected: str) -> None:
    value = parse_amount(text)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2  # quantized to fen


AMOUNT_REFUSALS = [
    ("0", "amount_zero"),
    ("0.00元", "amount_zero"),
    ("零元", "amount_zero"),
    ("0万", "amount_zero"),
    ("-500", "amount_negative"),
    ("-50万", "amount_negative"),
    ("负五十万", "amount_negative"),
    ("minus 200", "amount_negative"),
    ("1.234", "amount_precision"),
    ("1.234567k", "amount_precision"),
    ("0.0000001万", "amount_precision"),
    ("abc", "amount_unreadable"),
    ("", "amount_unreadable"),
    ("很多钱", "amount_unreadable"),
    ("一笔贷款", "amount_unreadable"),
    ("全部", "amount_unreadable"),
    ("50-80万", "amount_ambiguous"),
    ("从50万改成80万", "amount_ambiguous"),
    ("$500", "amount_currency"),
    ("100美元", "amount_currency"),
    ("500 USD", "amount_currency"),
    ("1000港币", "amount_currency"),
]


@pytest.mark.parametrize(("text", "code"), AMOUNT_REFUSALS)
def test_parse_amount_refusals(text: str, code: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert caught.value.code == code
    assert isinstance(caught.value, NormalizationError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全部", True),
        ("全额还款", True),
        ("全部还清", True),
        ("还清", True),
        ("结清", True),
        ("all", True),
        ("All of it", True),
        ("everything", True),
        ("in full", True),
        ("repay the full amount", True),
        ("部分还款", False),
        ("not all of it", False),
        ("50万", False),
        ("small", False),
        ("call me", False),
        ("", False),
    ],
)
def test_is_all_amount(text: str, expected: bool) -> None:
    assert is_all_amount(text) is expected


# -------------------------------------------------------------------------------------------------- term

TERMS = [
    ("6个月", 6),
    ("六个月", 6),
    ("3个月", 3),
    ("半年", 6),
    ("一年", 12),
    ("1年", 12),
    ("两年", 24),
    ("三年", 36),
    ("三年期", 36),
    ("36期", 36),
    ("十二期", 12),
    ("18个月", 18),
    ("十八个月", 18),
    ("三十六个月", 36),
    ("一年半", 18),
    ("1.5年", 18),
    ("一个季度", 3),
    ("期限一年", 12),
    ("兩年", 24),
    ("12 months", 12),
    ("18 months", 18),
    ("2 years", 24),
    ("1 yr", 12),
    ("6 mo", 6),
    ("2y", 24),
    ("half a year", 6),
    ("a year", 12),
    ("one year", 12),
    ("eighteen months", 18),
    ("twenty-four months", 24),
    ("a year and a half", 18),
    ("one and a half years", 18),
    ("12-month", 12),
]


@pytest.mark.parametrize(("text", "months"), TERMS)
def test_parse_term_months(text: str, months: int) -> None:
    assert parse_term_months(text) == months


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0个月", "term_invalid"),
        ("1.2年", "term_invalid"),
        ("半个月", "term_invalid"),
        ("forever", "term_unreadable"),
        ("", "term_unreadable"),
        ("50万", "term_unreadable"),
    ],
)
def test_parse_term_refusals(text: str, code: str) -> None:
    with pytest.raises(TermError) as caught:
        parse_term_months(text)
    assert caught.value.code == code


# ------------------------------------------------------------------------------------------------ mobile


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
    with pytest.raises(CreditCodeError) as caught:
        credit_code_check_character("9111000060003734")
    assert caught.value.code == "credit_code_format"


# -------------------------------------------------------------------------------------------------- date

SUNDAY = date(2026, 11, 29)  # a Sunday
WEDNESDAY = date(2026, 12, 2)

DATES = [
    ("今天", SUNDAY, date(2026, 11, 29)),
    ("明天", SUNDAY, date(2026, 11, 30)),
    ("后天", SUNDAY, date(2026, 12, 1)),
    ("大后天", SUNDAY, date(2026, 12, 2)),
    ("12月5号", SUNDAY, date(2026, 12, 5)),
    ("12月5日", SUNDAY, date(2026, 12, 5)),
    ("十二月五号", SUNDAY, date(2026, 12, 5)),
    ("11月29日", SUNDAY, date(2026, 11, 29)),  # today is not the past
    ("11月1日", SUNDAY, date(2027, 11, 1)),  # future-leaning
    ("1月15号", SUNDAY, date(2027, 1, 15)),
    ("12/5", SUNDAY, date(2026, 12, 5)),
    ("5号", SUNDAY, date(2026, 12, 5)),
    ("30号", SUNDAY, date(2026, 11, 30)),
    ("2026-12-05", SUNDAY, date(2026, 12, 5)),
    ("2026/12/5", SUNDAY, date(2026, 12, 5)),
    ("2026.12.5", SUNDAY, date(2026, 12, 5)),
    ("2026年12月5日", SUNDAY, date(2026, 12, 5)),
    ("20261205", SUNDAY, date(2026, 12, 5)),
    ("下周一", SUNDAY, date(2026, 11, 30)),  # weeks start on Monday
    ("下周一", WEDNESDAY, date(2026, 12, 7)),
    ("下星期三", WEDNESDAY, date(2026, 12, 9)),
    ("这周五", WEDNESDAY, date(2026, 12, 4)),
    ("周五", WEDNESDAY, date(2026, 12, 4)),
    ("周三", WEDNESDAY, date(2026, 12, 2)),
    ("星期天", WEDNESDAY, date(2026, 12, 6)),
    ("禮拜一", WEDNESDAY, date(2026, 12, 7)),
    ("3天后", SUNDAY, date(2026, 12, 2)),
    ("today", SUNDAY, date(2026, 11, 29)),
    ("Tomorrow", SUNDAY, date(2026, 11, 30)),
    ("the day after tomorrow", SUNDAY, date(2026, 12, 1)),
    ("next Monday", SUNDAY, date(2026, 11, 30)),
    ("next Monday", WEDNESDAY, date(2026, 12, 7)),
    ("on Friday", WEDNESDAY, date(2026, 12, 4)),
    ("in 3 days", SUNDAY, date(2026, 12, 2)),
    ("Dec 5", SUNDAY, date(2026, 12, 5)),
    ("December 5th", SUNDAY, date(2026, 12, 5)),
    ("Nov 1", SUNDAY, date(2027, 11, 1)),
    ("5 December 2026", SUNDAY, date(2026, 12, 5)),
    ("5 Dec", SUNDAY, date(2026, 12, 5)),
    ("Dec 5, 2027", SUNDAY, date(2027, 12, 5)),
    ("2月29日", SUNDAY, date(2028, 2, 29)),  # next leap year
]


@pytest.mark.parametrize(("text", "today", "expected"), DATES)
def test_parse_date(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today=today) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-02-30", "date_invalid"),
        ("2026-13-01", "date_invalid"),
        ("2月30日", "date_invalid"),
        ("13月1日", "date_invalid"),
        ("32号", "date_invalid"),
        ("next week", "date_unreadable"),
        ("asap", "date_unreadable"),
        ("", "date_unreadable"),
    ],
)
def test_parse_date_refusals(text: str, code: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, today=SUNDAY)
    assert caught.value.code == code


# --------------------------------------------------------------------------------- accounts and masking


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6222 0212 3456 7890 123", "6222021234567890123"),
        ("6222-0212-3456-7890", "6222021234567890"),
        ("622202123456", "622202123456"),
        ("６２２２０２１２３４５６", "622202123456"),
    ],
)
def test_normalize_account_number(text: str, expected: str) -> None:
    assert normalize_account_number(text) == expected


@pytest.mark.parametrize("text", ["62220212345", "62220212345678901234", "6222 0212 345A", "", "账号"])
def test_normalize_account_number_refusals(text: str) -> None:
    with pytest.raises(AccountNumberError) as caught:
        normalize_account_number(text)
    assert caught.value.code == "account_number_invalid"


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
        ("I want 贷款", "zh"),  # tie -> Chinese
        ("hello", "en"),
        ("I want to apply for a loan", "en"),
        ("please help me with 贷款", "en"),
        ("12345", None),
        ("", None),
        ("？！", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


# ------------------------------------------------------------------------------------- reference numbers


@pytest.mark.parametrize(
    ("validator", "text", "expected"),
    [
        (validate_application_number, "AP2026112901", "AP2026112901"),
        (validate_application_number, " ap 2026 1129 01 ", "AP2026112901"),
        (validate_application_number, "Ap2026112901", "AP2026112901"),
        (validate_loan_number, "ln2026112903", "LN2026112903"),
        (validate_loan_number, "LN 2026112903", "LN2026112903"),
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
        (validate_loan_number, "LN20261129A3", "loan_number_invalid"),
        (validate_loan_number, "", "loan_number_invalid"),
        (validate_service_request_number, "AP2026112907", "service_request_number_invalid"),
    ],
)
def test_reference_number_refusals(validator: Callable[[str], str], text: str, code: str) -> None:
    with pytest.raises(ReferenceNumberError) as caught:
        validator(text)
    assert caught.value.code == code
