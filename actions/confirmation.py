"""The explicit confirmation every form ends with: the summary of the active form's journey."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.journeys import summarize
from actions.markers import mark_step
from actions.registry import journey_of


class ActionAskConfirmed(Action):
    """Asks for the confirmation with the summary of the active form."""

    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        journey = journey_of(tracker.active_loop.get("name"))
        if journey is not None:
            await summarize(dispatcher, tracker, journey)
            mark_step(dispatcher, journey.form, "summary")
        return []
