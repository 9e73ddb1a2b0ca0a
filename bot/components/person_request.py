"""The NLU's last word on a request for a person: a message that asks for one is ``request_human``, whatever the
model read (components/asking_for_a_person.py says what counts and what does not).

It runs after the model and the FallbackClassifier, so the rules see ``request_human`` in or out of a form, and
every rule that already hands over ("request_human leaves <form>") does so. It keeps the model's reading when that
is already a way to a person or to the bank's staff: ``request_callback`` (the account manager calls back),
``complain`` and ``report_fraud`` (both go to a person by their own rules). The model's confidences stay in the
ranking, after the rule's; the message's metadata says the rule decided (``intent.rule``), for the logs and the
evaluation. Costs a few regular expressions per message (no model, nothing trained).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.asking_for_a_person import asks_for_a_person

PERSON_INTENT = "request_human"
# Readings that already lead to a person or to the bank's staff: kept.
KEPT = frozenset({PERSON_INTENT, "request_callback", "complain", "report_fraud"})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PersonRequestClassifier(GraphComponent, IntentClassifier):
    """Sets ``request_human`` on a message that asks for a person."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersonRequestClassifier:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) in KEPT or not asks_for_a_person(str(message.get(TEXT) or "")):
                continue
            decided = {INTENT_NAME_KEY: PERSON_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0, "rule": "asks_for_a_person"}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != PERSON_INTENT]
            message.set(INTENT, decided, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [decided, *ranking], add_to_output=True)
        return messages
