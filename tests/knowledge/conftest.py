"""Shared fixtures of the knowledge tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from knowledge_fixtures import FIXTURE_ENTRIES, write_corpus

from knowledge.config import KnowledgeSettings
from knowledge.encoders import Encoder, UseMultilingualEncoder


@pytest.fixture(scope="session")
def use_encoder() -> Encoder:
    return UseMultilingualEncoder()


@pytest.fixture()
def fixture_settings(tmp_path: Path) -> Iterator[KnowledgeSettings]:
    corpus_dir = write_corpus(tmp_path / "faq", FIXTURE_ENTRIES)
    yield KnowledgeSettings(
        corpus_dir=corpus_dir,
        index_dir=tmp_path / "index",
        abstain_log=tmp_path / "abstained.jsonl",
        calibration_file=tmp_path / "calibration.json",
        lexical_weight=0.3,
        abstain_threshold=0.4,
        reload_check_seconds=0.0,
    )
