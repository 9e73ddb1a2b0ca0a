"""Texts the actions compose at run time (validation problems, reasons, states), in both languages.

Fixed sentences live in the domain as responses with a Chinese default and an English variation; only
pieces that are combined or chosen in code are here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

Bilingual = dict[str, str]

# The button every "not sure" answer carries: a person is one tap away.
HUMAN_BUTTON: dict[str, dict[str, str]] = {
    "zh": {"title": "转人工", "payload": "/request_human"},
    "en": {"title": "Talk to a person", "payload": "/request_human"},
}

PROBLEMS: dict[str, Bilingual] = {
    "amount_unreadable": {
        "zh": "没能识别金额，请输入例如“50万”或“500000元”。",
        "en": 'I couldn\'t read an amount; please write it like "500,000" or "0.5 million".',
    },
    "amount_negative": {"zh": "金额不能为负数。", "en": "The amount cannot be negative."},
    "amount_zero": {"zh": "金额需要大于0。", "en": "The amount must be more than zero."},
    "amount_precision": {"zh": "金额最多精确到分（两位小数）。", "en": "Amounts have at most two decimals (fen)."},
    "amount_ambiguous": {"zh": "请只给出一个金额。", "en": "Please give a single amount."},
    "amount_currency": {"zh": "请以人民币金额填写。", "en": "Please give the amount in yuan (RMB)."},
    "application_amount_range": {
        "zh": "申请金额需在{min}至{max}之间。",
        "en": "The amount must be between {min} and {max}.",
    },
    "drawdown_below_min": {"zh": "单笔提款最低{min}。", "en": "The minimum drawdown is {min}."},
    "drawdown_above_available": {
        "zh": "提款金额超过了当前可用额度{available}。",
        "en": "That is more than your available credit of {available}.",
    },
    "repayment_above_payoff": {
        "zh": "还款金额超过了今日结清金额{payoff}，如需全部结清请说“全部”。",
        "en": 'That is more than today\'s payoff of {payoff}; say "all" to settle in full.',
    },
    "term_unreadable": {
        "zh": "没能识别期限，请输入例如“6个月”或“一年”。",
        "en": 'I couldn\'t read a term; please write it like "6 months" or "1 year".',
    },
    "term_invalid": {
        "zh": "没能识别期限，请输入例如“6个月”或“一年”。",
        "en": 'I couldn\'t read a term; please write it like "6 months" or "1 year".',
    },
    "term_not_offered": {"zh": "可选期限为{terms}个月。", "en": "The terms offered are {terms} months."},
    "mobile_format": {"zh": "手机号码应为11位数字。", "en": "A mobile number has 11 digits."},
    "mobile_invalid": {
        "zh": "这不是有效的中国大陆手机号码，请检查后重新输入。",
        "en": "That is not a valid mainland China mobile number; please check it.",
    },
    "credit_code_format": {
        "zh": "统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）。",
        "en": "A unified social credit code has 18 digits or capital letters (no I, O, Z, S, V).",
    },
    "credit_code_checksum": {
        "zh": "这个统一社会信用代码的校验位不正确，请核对营业执照后重新输入。",
        "en": "The check character of that credit code is wrong; please check the business licence.",
    },
    "company_name_invalid": {
        "zh": "请提供企业在营业执照上的全称。",
        "en": "Please give the company's full name as on the business licence.",
    },
    "contact_name_invalid": {"zh": "请提供联系人的姓名。", "en": "Please give the contact person's name."},
    "purpose_invalid": {
        "zh": "请用几个字说明贷款用途，例如“采购原材料”。",
        "en": 'Please describe the purpose in a few words, e.g. "buying raw materials".',
    },
    "account_invalid": {"zh": "请从列出的账户中选择。", "en": "Please choose one of the accounts listed."},
    "loan_unknown": {
        "zh": "没有找到这笔借据，请从列出的借据中选择。",
        "en": "I can't find that loan; please choose one listed.",
    },
    "application_number_invalid": {
        "zh": "申请编号为AP加10位数字，例如AP2026112901。",
        "en": "An application number is AP followed by 10 digits, e.g. AP2026112901.",
    },
    "otp_format": {"zh": "验证码是6位数字。", "en": "The code has 6 digits."},
    "service_request_number_invalid": {
        "zh": "服务请求编号为SR加10位数字，例如SR2612010001。",
        "en": "A service request number is SR followed by 10 digits, e.g. SR2612010001.",
    },
    "summary_length": {
        "zh": "请用一两句话说明需要客户经理办理的事项（{min}至{max}个字）。",
        "en": "Please describe what you need in a sentence or two ({min} to {max} characters).",
    },
    "summary_needed": {
        "zh": "请直接输入需要客户经理办理的事项。",
        "en": "Please type what you need the account manager to do.",
    },
    "contact_method_invalid": {
        "zh": "请选择“电话联系”或“上门拜访”。",
        "en": 'Please choose "Phone call" or "Visit".',
    },
    "contact_window_invalid": {
        "zh": "请从下面的时段中选择一个（也可以说“明天上午”或回复序号）。",
        "en": 'Please choose one of the times below (or say e.g. "tomorrow morning", or its number).',
    },
    "contact_window_unavailable": {
        "zh": "这个时段已不可选，请从下面更新后的时段中选择。",
        "en": "That time is no longer available; please choose one of the updated times below.",
    },
    "contact_window_not_offered": {
        "zh": "客户经理在这个时间不方便联系，时段未修改。",
        "en": "The account manager can't contact you at that time, so the time is unchanged.",
    },
    "contact_mobile_needed": {
        "zh": "请输入希望客户经理联系您的手机号码。",
        "en": "Please type the mobile number the account manager should use.",
    },
}

REASONS: dict[str, Bilingual] = {
    # lending core error codes
    "insufficient_line": {"zh": "可用额度不足", "en": "not enough available credit"},
    "line_frozen": {"zh": "授信额度已冻结", "en": "the credit line is frozen"},
    "line_expired": {"zh": "授信额度已到期", "en": "the credit line has expired"},
    "review_overdue": {
        "zh": "额度年审已逾期，请先完成年审",
        "en": "the annual review is overdue; it must be completed first",
    },
    "daily_limit_exceeded": {
        "zh": "超过每日提款上限500万元",
        "en": "it exceeds the daily drawdown limit of 5,000,000 yuan",
    },
    "amount_out_of_range": {"zh": "金额不在允许范围内", "en": "the amount is outside the allowed range"},
    "overpayment": {"zh": "还款金额超过应还金额", "en": "the amount is more than what is owed"},
    "loan_not_found": {"zh": "没有找到这笔借据", "en": "the loan was not found"},
    "application_not_found": {"zh": "没有找到这笔申请", "en": "the application was not found"},
    "account_not_found": {"zh": "没有找到该账户", "en": "the account was not found"},
    "customer_not_found": {"zh": "没有找到客户信息", "en": "the customer was not found"},
    "customer_not_verified": {
        "zh": "身份验证已过期，请重新验证",
        "en": "your verification has expired; please verify again",
    },
    "not_eligible": {"zh": "暂不符合条件", "en": "not eligible"},
    # renewal reasons
    "outside_window": {"zh": "须在到期前30天内申请", "en": "it can only be requested within 30 days before maturity"},
    "overdue_history": {"zh": "近12个月有逾期记录", "en": "there was an overdue payment in the last 12 months"},
    "minor_overdue_history": {"zh": "近12个月有短期逾期记录", "en": "a short overdue in the last 12 months"},
    "line_not_active": {"zh": "授信额度不是正常状态", "en": "the credit line is not active"},
    "max_renewals_reached": {"zh": "该笔借款已续贷过", "en": "this loan has already been renewed"},
    "loan_not_active": {"zh": "该笔借款已结清", "en": "this loan is already settled"},
    # application decision reasons
    "manual_review": {"zh": "金额较大，需人工审批", "en": "a larger amount, reviewed by a person"},
    "above_online_limit": {"zh": "超过在线申请上限", "en": "above the online limit"},
    "credit_assessment_declined": {"zh": "综合信用评估未通过", "en": "the credit assessment was not passed"},
}

STATES: dict[str, Bilingual] = {
    "submitted": {"zh": "已提交", "en": "submitted"},
    "under_review": {"zh": "审核中", "en": "under review"},
    "approved": {"zh": "已批准", "en": "approved"},
    "declined": {"zh": "未通过", "en": "declined"},
    "active": {"zh": "正常", "en": "active"},
    "frozen": {"zh": "冻结", "en": "frozen"},
    "expired": {"zh": "已到期", "en": "expired"},
    "current": {"zh": "年审正常", "en": "review up to date"},
    "due_soon": {"zh": "年审即将到期", "en": "review due soon"},
    "overdue": {"zh": "年审已逾期", "en": "review overdue"},
}


SERVICE_REQUEST_KINDS: dict[str, Bilingual] = {
    "callback": {"zh": "客户经理回电", "en": "call back from your account manager"},
    "annual_review": {"zh": "额度年审", "en": "annual review of the credit line"},
    "financing": {"zh": "融资需求", "en": "financing need"},
    "renewal_review": {"zh": "续贷人工审核", "en": "renewal review"},
}

CONTACT_METHODS: dict[str, Bilingual] = {
    "call": {"zh": "电话联系", "en": "phone call"},
    "visit": {"zh": "上门拜访", "en": "visit"},
}


def pick(table: dict[str, Bilingual], key: str, language: str, **params: object) -> str:
    entry = table.get(key) or {"zh": key, "en": key}
    return entry["en" if language == "en" else "zh"].format(**params)


def reasons_text(codes: list[str], language: str) -> str:
    separator = "; " if language == "en" else "；"
    return separator.join(pick(REASONS, code, language) for code in codes) or pick(REASONS, "not_eligible", language)


def money_text(amount: Decimal, language: str) -> str:
    return f"{amount:,.2f} yuan" if language == "en" else f"{amount:,.2f}元"


def term_text(months: int, language: str) -> str:
    return f"{months} months" if language == "en" else f"{months}个月"


def rate_text(annual_rate: Decimal) -> str:
    return f"{annual_rate * 100:.2f}%"


def date_text(value: dt.date) -> str:
    return value.isoformat()
