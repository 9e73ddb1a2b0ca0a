"""The journey table against the domain: every form has its journey, each journey's questions are its form's
required slots in bot/domain (after verification, before the confirmation), its actions and responses exist (in
both languages), its summaries fill what their responses say; and the one submit path (nothing submitted without
the confirmation, the core down brings a person in)."""

from __future__ import annotations

import inspect
import re
import string
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.forms import VERIFICATION_SLOTS, reset_form_events
from actions.journeys import SHARED_RESPONSES, Journey, SubmitJourney
from actions.registry import JOURNEYS, journey_of
from actions.verification import VerifiedFormValidation
from tests.utils.trackers import make_tracker, responses

IDS = [journey.form for journey in JOURNEYS]
SUBMITTED = [journey for journey in JOURNEYS if journey.submission is not None]
CONFIRMED_SUBMISSIONS = [journey for journey in SUBMITTED if journey.summary is not None]


@pytest.fixture(scope="module")
def executor() -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


def served(executor: ActionExecutor, name: str) -> Any:
    """The action instance the server runs under that name (the executor keeps its bound ``run``)."""
    return executor.actions[name].__self__


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _variants(domain: dict[str, Any], response: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The English variations and the (Chinese) defaults of a response."""
    variants = domain["responses"].get(response) or []
    english = [v for v in variants if {"type": "slot", "name": "language", "value": "en"} in (v.get("condition") or [])]
    default = [v for v in variants if not v.get("condition")]
    return english, default


def test_every_form_of_the_domain_has_one_journey(domain: dict[str, Any]) -> None:
    assert sorted(IDS) == sorted(domain["forms"])
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("journey", JOURNEYS, ids=IDS)
def test_the_journeys_questions_are_its_forms_required_slots(
    journey: Journey, domain: dict[str, Any], executor: ActionExecutor
) -> None:
    validation = served(executor, f"validate_{journey.form}")
    verified = isinstance(validation, VerifiedFormValidation)
    expected = [
        *(VERIFICATION_SLOTS if verified else ()),
        *journey.slots,
        *(("confirmed",) if journey.summary is not None else ()),
    ]
    assert domain["forms"][journey.form]["required_slots"] == expected
    assert f"validate_{journey.form}" in domain["actions"]


@pytest.mark.parametrize("journey", JOURNEYS, ids=IDS)
def test_what_a_journey_keeps_is_a_slot_of_the_domain_and_of_no_other_journey(
    journey: Journey, domain: dict[str, Any]
) -> None:
    for slot in journey.forgotten:
        assert slot in domain["slots"], slot
    others = {slot for other in JOURNEYS if other is not journey for slot in other.forgotten}
    assert not set(journey.forgotten) & others


@pytest.mark.parametrize("journey", JOURNEYS, ids=IDS)
def test_the_action_a_journey_ends_with_is_in_the_domain_and_served(
    journey: Journey, domain: dict[str, Any], executor: ActionExecutor
) -> None:
    assert journey.action in domain["actions"]
    action = served(executor, journey.action)
    # A journey that ends in the lending core ends with the one submit path; the others have their own class.
    assert isinstance(action, SubmitJourney) == (journey.submission is not None)
    if isinstance(action, SubmitJourney):
        assert action.journey is journey
    if journey.summary is not None:
        assert "action_ask_confirmed" in domain["actions"]


@pytest.mark.parametrize("response", sorted({r for j in JOURNEYS for r in j.responses} | set(SHARED_RESPONSES)))
def test_every_response_a_journey_says_is_in_both_languages(response: str, domain: dict[str, Any]) -> None:
    english, default = _variants(domain, response)
    assert english and default, f"{response} needs an English variation and a Chinese default"
    assert all(re.search(r"[\u4e00-\u9fff]", str(v.get("text") or "")) for v in default if v.get("text"))
    # Both languages fill the same values.
    assert {p for v in english for p in _placeholders(str(v.get("text") or ""))} == {
        p for v in default for p in _placeholders(str(v.get("text") or ""))
    }


@pytest.mark.parametrize("journey", JOURNEYS, ids=IDS)
def test_a_journey_declares_every_response_its_code_names(journey: Journey) -> None:
    parts: list[Any] = [journey.summary]
    if journey.submission is not None:
        parts += [journey.submission.done, journey.submission.refused]
    named = {
        name for part in parts if part is not None for name in re.findall(r"\"(utter_\w+)\"", inspect.getsource(part))
    }
    assert named <= {*journey.responses, *SHARED_RESPONSES}


SUMMARY_SLOTS: dict[str, dict[str, Any]] = {
    "loan_application_form": {
        "credit_code": "91310000MA1FL8L47U",
        "mobile": "13800000001",
        "loan_amount": "500000.00",
        "loan_term": 12,
    },
    "drawdown_form": {
        "customer_id": "C1001",
        "verified_by": "bank_token",
        "drawdown_amount": "200000.00",
        "drawdown_term": 6,
        "receiving_account": "ACC-unknown",
    },
    "repayment_form": {
        "customer_id": "C1001",
        "verified_by": "bank_token",
        "repayment_loan": "LN1001000001",
        "repayment_amount": "all",
        "repayment_account": "ACC-unknown",
    },
    "renewal_form": {"customer_id": "C1004", "verified_by": "bank_token", "renewal_loan": "LN1004000001"},
    "service_request_form": {
        "service_request_kind": "callback",
        "service_request_summary": "回电",
        "contact_method": "call",
        "contact_mobile": "13800000001",
    },
}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("journey", [j for j in JOURNEYS if j.summary is not None], ids=lambda j: j.form)
async def test_a_summary_fills_every_value_its_response_says(
    journey: Journey, language: str, core: Any, domain: dict[str, Any]
) -> None:
    assert journey.summary is not None
    tracker = make_tracker(active_loop=journey.form, slots={"language": language, **SUMMARY_SLOTS[journey.form]})
    reply = await journey.summary(tracker, language)
    assert reply.response in journey.responses
    english, default = _variants(domain, reply.response)
    said = {p for v in (english if language == "en" else default) for p in _placeholders(str(v.get("text") or ""))}
    # Rasa fills a response from the values sent with it and from the slots.
    assert said <= {*reply.values, *domain["slots"]}
    assert set(reply.values) <= said  # and nothing it sends goes unsaid


@pytest.mark.parametrize("journey", CONFIRMED_SUBMISSIONS, ids=lambda j: j.form)
async def test_nothing_is_submitted_without_the_confirmation(
    journey: Journey, core_down: str, executor: ActionExecutor, dispatcher: CollectingDispatcher
) -> None:
    # The core is down: a call would hand over instead of saying nothing was submitted.
    tracker = make_tracker(active_loop=journey.form, slots={**SUMMARY_SLOTS[journey.form], "confirmed": False})
    events = await served(executor, journey.action).run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_not_submitted"]
    assert events == reset_form_events(journey.form)


@pytest.mark.parametrize("journey", SUBMITTED, ids=lambda j: j.form)
async def test_the_core_down_brings_a_person_in(
    journey: Journey, core_down: str, executor: ActionExecutor, dispatcher: CollectingDispatcher
) -> None:
    slots = {**SUMMARY_SLOTS.get(journey.form, {"customer_id": "C1001", "verified_by": "bank_token"})}
    slots |= {"confirmed": True, "application_number": "AP2026000001", "credit_check_consent": True}
    slots |= {"contact_name": "王芳", "company_name": "东方贸易有限公司", "loan_purpose": "进货"}
    tracker = make_tracker(active_loop=journey.form, slots=slots, text="确认", intent="affirm")
    await served(executor, journey.action).run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_core_unavailable", "utter_handoff_agent"]
    assert dispatcher.messages[-1]["custom"]["handoff"]["reason"] == "core_failure"


def test_a_form_of_no_journey_is_none() -> None:
    assert journey_of(None) is None
    assert journey_of("no_such_form") is None
    assert journey_of("drawdown_form") is not None


@pytest.mark.parametrize("journey", JOURNEYS, ids=IDS)
def test_a_journey_has_a_name_for_the_customer_in_both_languages(journey: Journey) -> None:
    # A service request is the one started from inside the others: it needs no name for itself.
    if journey.form == "service_request_form":
        assert journey.label is None
    else:
        assert journey.label is not None and set(journey.label) == {"zh", "en"} and all(journey.label.values())
