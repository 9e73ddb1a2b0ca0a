"""The customer's own accounts and loans, offered as buttons and matched against what the customer typed."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.forms import GuardedFormValidation, language_of
from actions.lending_client import Account, CoreRejected, CoreUnavailable, Loan
from actions.texts import money_text

LEAVE_BUTTONS = {
    "zh": [{"title": "取消", "payload": "/stop"}, {"title": "转人工", "payload": "/request_human"}],
    "en": [{"title": "Cancel", "payload": "/stop"}, {"title": "Talk to a person", "payload": "/request_human"}],
}


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


async def account_label(tracker: Tracker, slot: str) -> str:
    """The chosen account as the customer saw it on the button (bank and masked number)."""
    account_id = str(tracker.get_slot(slot))
    try:
        accounts = await services.lending_core().list_accounts(tracker.get_slot("customer_id"))
    except (CoreUnavailable, CoreRejected):
        return account_id
    account = next((a for a in accounts if a.account_id == account_id), None)
    return f"{account.bank_name} {account.masked_number}" if account else account_id


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


async def validate_account(
    form: GuardedFormValidation, slot: str, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
) -> dict[str, Any]:
    """Accept one of the customer's own accounts (chosen by button or by its last four digits)."""
    try:
        accounts = await services.lending_core().list_accounts(tracker.get_slot("customer_id"))
    except (CoreUnavailable, CoreRejected):
        dispatcher.utter_message(response="utter_core_unavailable")
        return {slot: None, "handoff_reason": "core_failure"}
    account = match_account(str(slot_value), accounts)
    if account is None:
        return form.invalid(dispatcher, tracker, slot, "account_invalid")
    return form.accepted(slot, account.account_id)


class AskAccount(Action, ABC):
    """Asks with ``response`` and offers the customer's own settlement accounts as buttons."""

    response: str

    @abstractmethod
    def name(self) -> str:
        """``action_ask_<slot>``."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            accounts = await services.lending_core().list_accounts(tracker.get_slot("customer_id"))
        except (CoreUnavailable, CoreRejected):
            accounts = []
        dispatcher.utter_message(response=self.response, buttons=account_buttons(accounts))
        return []


class AskLoan(Action, ABC):
    """Asks with ``response`` and offers the customer's open loans as buttons (or says there are none)."""

    response: str

    @abstractmethod
    def name(self) -> str:
        """``action_ask_<slot>``."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker)
        try:
            loans = open_loans(await services.lending_core().list_loans(tracker.get_slot("customer_id")))
        except (CoreUnavailable, CoreRejected):
            loans = []
        if not loans:
            dispatcher.utter_message(response="utter_no_loans", buttons=LEAVE_BUTTONS[language])
            return []
        dispatcher.utter_message(response=self.response, buttons=loan_buttons(loans, language))
        return []
