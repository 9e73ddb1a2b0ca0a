"""The explicit confirmation every form ends with: a summary of what will be submitted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.applications import application_summary
from actions.drawdowns import drawdown_summary
from actions.journey import active_form, mark_step
from actions.renewals import renewal_summary
from actions.repayments import repayment_summary
from actions.service_requests import service_request_summary

SUMMARIES: dict[str, Callable[[CollectingDispatcher, Tracker], Awaitable[None]]] = {
    "loan_application_form": application_summary,
    "drawdown_form": drawdown_summary,
    "repayment_form": repayment_summary,
    "renewal_form": renewal_summary,
    "service_request_form": service_request_summary,
}


class ActionAskConfirmed(Action):
    """Asks for the confirmation with the summary of the active form."""

    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        summary = SUMMARIES.get(tracker.active_loop.get("name") or "")
        if summary is not None:
            await summary(dispatcher, tracker)
            mark_step(dispatcher, active_form(tracker), "summary")
        return []
