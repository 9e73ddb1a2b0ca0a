"""Step-up verification inside forms: a one-time code to the customer's registered mobile.

A customer is verified when the hub verified the bank page's token (``verified_by = bank_token``, from the
metadata) or when a one-time code was confirmed in this chat within its validity (``verified_by = otp``). A
channel's customer bound to the bank's customer by the hub (``verified_by = channel_binding``: a WeChat user who
proved once, with a code, who they are) is verified to look things up; moving money (drawdowns, repayments,
renewals: the forms with ``moves_money``) takes a code confirmed in this chat as well.
Forms that need it ask for the mobile and the code first, then carry on with their own questions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.entities import NormalizationError, parse_mobile
from actions.forms import VERIFICATION_SLOTS, GuardedFormValidation
from actions.lending_client import (
    ChannelVerification,
    CoreRejected,
    CoreUnavailable,
    OtpVerification,
    Verification,
)
from textkit.masking import mask_mobile

_SIX_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")
CHANNEL_BINDING = "channel_binding"


def _code_current(tracker: Tracker, now: dt.datetime | None) -> bool:
    """A one-time code confirmed in this chat and still within its validity."""
    until = tracker.get_slot("verified_until")
    if not until:
        return False
    try:
        return dt.datetime.fromisoformat(until) > (now or dt.datetime.now(dt.UTC))
    except ValueError:
        return False


def is_verified(tracker: Tracker, *, moving_money: bool = False, now: dt.datetime | None = None) -> bool:
    if not tracker.get_slot("customer_id"):
        return False
    method = tracker.get_slot("verified_by")
    if method == "bank_token":
        return True
    if method == CHANNEL_BINDING and not moving_money:
        return True
    if method in ("otp", CHANNEL_BINDING):
        return _code_current(tracker, now)
    return False


def verification_of(slots: Mapping[str, Any]) -> Verification:
    """How the lending core can check this customer's verification (from the tracker's slots): the code, when one
    was confirmed here."""
    if slots.get("verified_by") in ("otp", CHANNEL_BINDING) and slots.get("verification_id"):
        return OtpVerification(verification_id=slots["verification_id"])
    return ChannelVerification()


class VerifiedFormValidation(GuardedFormValidation):
    """A form that needs a verified customer: unverified customers verify first, then the form carries on."""

    # A form that moves money asks a channel-bound customer for a code too (see the module's docstring).
    moves_money = False

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("handoff_reason"):
            return []
        if is_verified(tracker, moving_money=self.moves_money):
            return [slot for slot in domain_slots if slot not in VERIFICATION_SLOTS]
        return domain_slots

    async def validate_verify_mobile(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            mobile = parse_mobile(str(slot_value))
        except NormalizationError as error:
            return self.invalid(dispatcher, tracker, "verify_mobile", error.code)
        try:
            started = await services.lending_core().start_verification(mobile)
        except CoreRejected as error:
            if error.code == "otp_rate_limited":
                dispatcher.utter_message(response="utter_otp_rate_limited")
                return {"verify_mobile": None}
            return self.invalid(dispatcher, tracker, "verify_mobile", "mobile_invalid")
        except CoreUnavailable:
            dispatcher.utter_message(response="utter_core_unavailable")
            return {"verify_mobile": None, "handoff_reason": "core_failure"}
        dispatcher.utter_message(response="utter_code_sent", masked_mobile=started.masked_mobile)
        return self.accepted("verify_mobile", mask_mobile(mobile), verification_id=started.verification_id)

    async def validate_otp_code(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        match = _SIX_DIGITS.search(str(slot_value))
        if not match:
            return self.invalid(dispatcher, tracker, "otp_code", "otp_format")
        verification_id = tracker.get_slot("verification_id")
        if not verification_id:
            return {"otp_code": None, "verify_mobile": None}
        try:
            confirmed = await services.lending_core().confirm_verification(verification_id, match.group(1))
        except CoreRejected as error:
            return self._code_refused(dispatcher, tracker, error)
        except CoreUnavailable:
            dispatcher.utter_message(response="utter_core_unavailable")
            return {"otp_code": None, "handoff_reason": "core_failure"}
        dispatcher.utter_message(response="utter_verified")
        verified = {
            "otp_code": "confirmed",  # the code itself is not kept
            "customer_id": confirmed.customer_id,
            "verified_by": "otp",
            "verified_until": confirmed.verified_until.isoformat(),
            "invalid_attempts": 0,
        }
        return {**verified, **await self.after_verification(dispatcher, tracker, confirmed.customer_id)}

    async def after_verification(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> dict[str, Any]:
        """Re-check answers given before the customer was verified (a form may override)."""
        return {}

    def _code_refused(self, dispatcher: CollectingDispatcher, tracker: Tracker, error: CoreRejected) -> dict[str, Any]:
        if error.code == "otp_invalid":
            remaining = error.details.get("attempts_remaining")
            if remaining:
                dispatcher.utter_message(response="utter_otp_invalid", remaining=remaining)
                return {"otp_code": None}
            dispatcher.utter_message(response="utter_otp_locked")
        elif error.code == "otp_expired":
            dispatcher.utter_message(response="utter_otp_expired")
        else:
            dispatcher.utter_message(response="utter_otp_locked")
        return {"otp_code": None, "verify_mobile": None, "verification_id": None}
