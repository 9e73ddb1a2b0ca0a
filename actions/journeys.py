"""Journeys as data: every form is described once by a ``Journey`` (its form, the questions it asks in order, the
summary it is confirmed with, the lending-core call it ends in, what the result says), and one action submits
every journey that ends in the lending core (``SubmitJourney``), with one place that turns the core's errors
into replies.

Adding a journey (README "Adding a journey"): the form, its slots and responses in ``bot/domain``; its
validation, one ``validate_<slot>`` per question (``GuardedFormValidation`` or ``VerifiedFormValidation``), in its
own module; there too its ``Journey`` and its submit action, ``class ActionSubmitX(SubmitJourney)`` with
``journey = X``; and the journey in ``actions/registry.py``. ``tests/actions/test_journeys.py`` checks every
journey against the domain.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.forms import (
    completed,
    idempotency_key,
    language_of,
    reset_form_events,
    verification_expired_events,
)
from actions.handoff import hand_off, hand_off_core_failure
from actions.lending_client import CoreRejected, CoreUnavailable, CustomerNotVerified, LendingCoreClient
from actions.markers import mark_step
from actions.texts import REASONS, pick

ResultT = TypeVar("ResultT")
Slots = Mapping[str, Any]
# What the generic path itself says: nothing submitted, anything else, the core refused or did not answer.
SHARED_RESPONSES = ("utter_not_submitted", "utter_anything_else", "utter_core_rejected", "utter_core_unavailable")


@dataclass(frozen=True)
class Reply:
    """A response of the domain and the values it fills."""

    response: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HandOff:
    """The result goes on to a person: a reason of ``actions/handoff.py``'s routes and what it carries."""

    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Done:
    """What a journey's result says, and what the conversation keeps of it once the form's answers are forgotten."""

    replies: tuple[Reply, ...]
    # The request is settled: the assistant asks whether there is anything else.
    finished: bool = True
    # Slots the result fills (set after the form's answers are forgotten).
    fills: Mapping[str, Any] = field(default_factory=dict)
    # The result goes on to a person (the assistant's "anything else" is theirs to ask then).
    hand_off: HandOff | None = None


Summary = Callable[[Tracker, str], Awaitable[Reply]]
CoreCall = Callable[[LendingCoreClient, Slots, str], Awaitable[ResultT]]


def _never(slots: Slots) -> bool:
    return False


def _no_reply_of_its_own(error: CoreRejected, slots: Slots, language: str) -> Reply | None:
    return None


@dataclass(frozen=True)
class Submission(Generic[ResultT]):
    """How a journey ends in the lending core."""

    # Names the idempotency key of the confirming turn (a re-sent confirmation never moves money twice).
    key_purpose: str
    # The lending-core call: the client, the tracker's slots and that key (lookups ignore the key).
    call: CoreCall[ResultT]
    # What the result says and fills.
    done: Callable[[ResultT, Slots, str], Done]
    # The form ended having said why nothing is submitted (no consent, not eligible): nothing more is said.
    declined: Callable[[Slots], bool] = _never
    # A refusal of the core the journey answers itself (the form ends); None: the shared reply of a refusal.
    refused: Callable[[CoreRejected, Slots, str], Reply | None] = _no_reply_of_its_own


@dataclass(frozen=True)
class Journey:
    """One form and how it ends."""

    form: str
    # The form's own questions in the domain's order (its required_slots without verification and confirmation).
    slots: tuple[str, ...]
    # The action the form ends with (the rules run it when the form completes).
    action: str
    # The summary the customer confirms; a journey with one ends its form with ``confirmed``.
    summary: Summary | None = None
    # The lending-core call; None when ``action`` is a class of its own (a service request goes to the hub).
    submission: Submission[Any] | None = None
    # What the form learns besides its answers (the renewal's decision): forgotten with them, in a handoff packet.
    learned: tuple[str, ...] = ()
    # What the form keeps for itself: forgotten with its answers, never in a handoff packet.
    kept: tuple[str, ...] = ()
    # Every response its summary and its result say (each checked in the domain in both languages).
    responses: tuple[str, ...] = ()
    # What the customer calls it (zh, en), in the summary of a service request started from inside it.
    label: Mapping[str, str] | None = None

    @property
    def forgotten(self) -> tuple[str, ...]:
        """Every slot of its own, forgotten when the form ends (submitted, declined or cancelled)."""
        return (*self.slots, *self.learned, *self.kept)


def say(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(response=reply.response, **reply.values)


async def summarize(dispatcher: CollectingDispatcher, tracker: Tracker, journey: Journey) -> None:
    """Say the journey's summary, to be confirmed (``action_ask_confirmed``)."""
    if journey.summary is not None:
        say(dispatcher, await journey.summary(tracker, language_of(tracker)))


def core_rejected_events(
    dispatcher: CollectingDispatcher, tracker: Tracker, error: CoreRejected, form: str
) -> list[EventType]:
    """The lending core refused a form's request: say why in the customer's language and close the form
    (forgetting a verification the core no longer accepts)."""
    dispatcher.utter_message(
        response="utter_core_rejected", reason_text=pick(REASONS, error.code, language_of(tracker))
    )
    expired = isinstance(error, CustomerNotVerified)
    return [*reset_form_events(form), *(verification_expired_events() if expired else [])]


class SubmitJourney(Action, ABC):
    """Ends a journey in the lending core: a pending handoff first, then the customer's confirmation, the call with
    the key of the confirming turn (a retried action is a replay), and what the result says. The one place that
    maps the core's errors: not answering brings a person in, a refusal is explained and the form ends."""

    @property
    @abstractmethod
    def journey(self) -> Journey:
        """The journey this action ends (a class attribute of each submit action)."""

    def name(self) -> str:
        return self.journey.action

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        journey = self.journey
        submission = journey.submission
        if submission is None:
            raise TypeError(f"{journey.form} does not end in the lending core")
        if tracker.get_slot("handoff_reason"):
            return hand_off(dispatcher, tracker, str(tracker.get_slot("handoff_reason")))
        slots = tracker.slots
        if submission.declined(slots):
            return reset_form_events(journey.form)
        if journey.summary is not None and not tracker.get_slot("confirmed"):
            dispatcher.utter_message(response="utter_not_submitted")
            mark_step(dispatcher, journey.form, "cancelled")
            return reset_form_events(journey.form)
        language = language_of(tracker)
        key = idempotency_key(tracker, submission.key_purpose)
        try:
            result = await submission.call(services.lending_core(), slots, key)
        except CoreUnavailable:
            return hand_off_core_failure(dispatcher, tracker)
        except CoreRejected as error:
            own = submission.refused(error, slots, language)
            if own is None:
                return core_rejected_events(dispatcher, tracker, error, journey.form)
            say(dispatcher, own)
            return reset_form_events(journey.form)
        done = submission.done(result, slots, language)
        for reply in done.replies:
            say(dispatcher, reply)
        mark_step(dispatcher, journey.form, "confirmed")
        if done.hand_off is not None:
            # The journey's answers are forgotten first; what the person gets keeps what it needs.
            handed = hand_off(dispatcher, tracker, done.hand_off.reason, details=done.hand_off.details)
            return [*reset_form_events(journey.form), *handed]
        if done.finished:
            completed(dispatcher)
        return [*reset_form_events(journey.form), *(SlotSet(slot, value) for slot, value in done.fills.items())]
