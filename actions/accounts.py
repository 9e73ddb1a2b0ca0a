"""The customer's own accounts and loans, offered as buttons and matched against what the customer typed."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from actions.lending_client import Account, Loan
from actions.texts import money_text


def account_buttons(accounts: Sequence[Account]) -> list[dict[str, str]]:
    return [
        {
            "title": f"{account.bank_name} {account.masked_number}",
            "payload": "/inform" + json.dumps({"account_number": account.account_id}),
        }
        for account in accounts
    ]


def match_account(text: str, accounts: Sequence[Account]) -> Account | None:
    """The account the customer chose: its id (from a button) or the last four digits they typed."""
    cleaned = text.strip().upper()
    for account in accounts:
        if account.account_id.upper() == cleaned or account.account_id.upper() in cleaned:
            return account
    digits = re.findall(r"\d{4,}", text)
    for account in accounts:
        tail = re.sub(r"\D", "", account.masked_number)[-4:]
        if tail and any(d.endswith(tail) for d in digits):
            return account
    return (
        accounts[0]
        if len(accounts) == 1 and re.search(r"(这个|就这|默认|唯一|that one|this one|yes)", text, re.I)
        else None
    )


def open_loans(loans: Sequence[Loan]) -> list[Loan]:
    return [loan for loan in loans if loan.outstanding_principal > 0 and loan.status != "repaid"]


def loan_buttons(loans: Sequence[Loan], language: str, intent_entity: str = "loan_number") -> list[dict[str, str]]:
    buttons = []
    for loan in loans:
        due = f"due {loan.maturity_date}" if language == "en" else f"{loan.maturity_date}到期"
        title = f"{loan.loan_number} {money_text(loan.outstanding_principal, language)} {due}"
        buttons.append({"title": title, "payload": "/inform" + json.dumps({intent_entity: loan.loan_number})})
    return buttons


def match_loan(text: str, loans: Sequence[Loan]) -> Loan | None:
    """The loan the customer chose: its number, or its last four digits."""
    found = re.search(r"LN\s*\d{10}", text, re.IGNORECASE)
    if found:
        number = re.sub(r"\s", "", found.group(0)).upper()
        return next((loan for loan in loans if loan.loan_number == number), None)
    digits = re.findall(r"\d{4,}", text)
    matches = [loan for loan in loans if any(loan.loan_number.endswith(d[-4:]) for d in digits)]
    if len(matches) == 1:
        return matches[0]
    return loans[0] if len(loans) == 1 and re.search(r"(这笔|这个|就这|that one|this one|yes)", text, re.I) else None
