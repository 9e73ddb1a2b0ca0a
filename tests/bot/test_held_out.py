"""The held-out sets measure what was not trained on: no message of the NLU test set or of the blind groups
(bot/tests/blind/, written without the training data) is a training example (beyond the finite intents, whose few
words every set shares), and no FAQ held-out query is a phrasing of the corpus.

Two messages are the same when they read the same to the assistant: Traditional read as Simplified (as the hub
passes it on), case, spaces and closing punctuation ignored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from scripts.eval_nlu import load_examples
from tests.utils.services import REPO
from textkit.chinese import to_simplified

# Intents whose whole vocabulary is a handful of words (你好, 是的, 不用, 取消, bye): a test set cannot avoid them.
FINITE_INTENTS = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "stop"})


def same_to_the_assistant(text: str) -> str:
    return re.sub(r"\s+", " ", to_simplified(text).strip().lower()).rstrip("?？。.!！~～")


def nlu_texts(path: Path) -> list[tuple[str, str]]:
    return [(str(example["intent"]), str(example["text"])) for example in load_examples(path)]


def training_texts() -> set[str]:
    """Every NLU training example, as the assistant reads it."""
    return {
        same_to_the_assistant(text)
        for path in sorted((REPO / "bot" / "data" / "nlu").glob("*.yml"))
        for _, text in nlu_texts(path)
    }


def test_no_held_out_nlu_message_is_a_training_example() -> None:
    trained = training_texts()
    held_out = nlu_texts(REPO / "bot" / "tests" / "nlu_test.yml")

    copies = [(i, t) for i, t in held_out if i not in FINITE_INTENTS and same_to_the_assistant(t) in trained]

    assert len(held_out) > 450
    assert copies == []


def test_no_blind_message_is_a_training_example_or_a_test_story() -> None:
    trained = training_texts()
    stories = yaml.safe_load((REPO / "bot" / "tests" / "test_stories.yml").read_text(encoding="utf-8"))["stories"]
    trained |= {
        same_to_the_assistant(str(step["user"])) for story in stories for step in story["steps"] if "user" in step
    }
    blind = [
        (path.name, str(message[field]))
        for path in sorted((REPO / "bot" / "tests" / "blind").glob("*.yml"))
        for message in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
        for field in ("text", "before")
        if message.get(field)
    ]

    copies = [(name, text) for name, text in blind if same_to_the_assistant(text) in trained]

    assert len(blind) > 1000
    assert copies == []


def test_the_development_set_shares_no_message_with_the_blind_groups_or_the_training_data() -> None:
    """bot/tests/dev/ is what failures are debugged on, so that the blind groups are only measured with."""

    def messages(folder: str) -> set[str]:
        return {
            same_to_the_assistant(str(message["text"]))
            for path in sorted((REPO / "bot" / "tests" / folder).glob("*.yml"))
            for message in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
        }

    development = messages("dev")
    assert len(development) >= 100
    assert development & messages("blind") == set()
    assert development & training_texts() == set()


def test_no_faq_held_out_query_is_a_corpus_phrasing() -> None:
    phrasings = {
        same_to_the_assistant(question)
        for path in sorted((REPO / "knowledge" / "faq").glob("*.yaml"))
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]
        for questions in entry["questions"].values()
        for question in questions
    }
    lines = (REPO / "knowledge" / "eval" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line)["query"] for line in lines if line.strip()]

    copies = [query for query in queries if same_to_the_assistant(query) in phrasings]

    assert len(queries) > 400
    assert copies == []
