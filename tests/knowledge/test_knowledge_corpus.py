"""Corpus loading and validation on fixture corpora."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from knowledge_fixtures import FIXTURE_ENTRIES, write_corpus

from knowledge.config import REPO_ROOT
from knowledge.corpus import load_corpus, load_out_of_scope, load_topics
from knowledge.errors import CorpusError


def test_loads_fixture_corpus_sorted_with_typed_fields(tmp_path: Path) -> None:
    corpus = load_corpus(write_corpus(tmp_path, FIXTURE_ENTRIES))
    assert len(corpus) == len(FIXTURE_ENTRIES)
    assert [e.id for e in corpus.entries] == sorted(e["id"] for e in FIXTURE_ENTRIES)
    entry = corpus.by_id()["drawdown-arrival-001"]
    assert entry.topic == "drawdown.arrival_time"
    assert entry.version == 1 and entry.effective_date.isoformat() == "2026-11-01"
    assert len(entry.questions["zh"]) == 3 and len(entry.questions["en"]) == 2
    assert entry.answer("en").startswith("Drawn money")
    assert len(entry.phrasings()) == 5


def test_hash_ignores_file_layout_but_not_content(tmp_path: Path) -> None:
    one = load_corpus(write_corpus(tmp_path / "one", FIXTURE_ENTRIES))
    two = load_corpus(write_corpus(tmp_path / "two", list(reversed(FIXTURE_ENTRIES))))
    assert one.hash == two.hash
    changed = copy.deepcopy(FIXTURE_ENTRIES)
    changed[0]["answer"]["zh"] += "（已更新）"
    assert load_corpus(write_corpus(tmp_path / "three", changed)).hash != one.hash


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e["questions"].__setitem__("zh", e["questions"]["zh"][:2]), "at least 3 zh"),
        (lambda e: e["questions"].__setitem__("en", ["only one"]), "at least 2 en"),
        (lambda e: e.__setitem__("topic", "Not A Slug"), "bad topic"),
        (lambda e: e.__setitem__("effective_date", "2026-13-45"), "effective_date"),
        (lambda e: e.__setitem__("version", 0), "version"),
        (lambda e: e["answer"].pop("en"), "answer.en"),
        (lambda e: e.pop("id"), "missing id"),
    ],
)
def test_rejects_invalid_entries(tmp_path: Path, mutate: Callable[[dict[str, Any]], object], message: str) -> None:
    entries = copy.deepcopy(FIXTURE_ENTRIES)
    mutate(entries[0])
    with pytest.raises(CorpusError, match=message):
        load_corpus(write_corpus(tmp_path, entries))


def test_rejects_duplicate_ids_across_files(tmp_path: Path) -> None:
    entries = copy.deepcopy(FIXTURE_ENTRIES)
    entries[-1]["id"] = entries[0]["id"]
    with pytest.raises(CorpusError, match="duplicate id"):
        load_corpus(write_corpus(tmp_path, entries))


def test_rejects_files_without_entries_list(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(yaml.safe_dump({"faq": []}), encoding="utf-8")
    with pytest.raises(CorpusError, match="entries"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "missing")


def test_topics_file_parses_the_slug_column() -> None:
    topics = load_topics(REPO_ROOT / "docs" / "faq_topics.md")
    assert "loan.products" in topics and "service.hours" in topics
    assert len(topics) == len(set(topics)) >= 40


def test_out_of_scope_anchor_file(tmp_path: Path) -> None:
    real = load_out_of_scope(REPO_ROOT / "knowledge" / "out_of_scope.yaml")
    assert len(real) >= 50 and all(isinstance(t, str) and t for t in real)
    assert load_out_of_scope(tmp_path / "absent.yaml") == []
    (tmp_path / "bad.yaml").write_text("phrasings: {zh: [1, '']}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"phrasings\.zh"):
        load_out_of_scope(tmp_path / "bad.yaml")
