"""Index build: versioned folder, manifest, atomic CURRENT pointer, flat vs HNSW, lexical index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from knowledge_fixtures import FIXTURE_ENTRIES

from knowledge.config import KnowledgeSettings
from knowledge.corpus import load_corpus
from knowledge.encoders import Encoder
from knowledge.errors import IndexNotFoundError
from knowledge.index import BuildOptions, build_index, current_build_id, load_current
from knowledge.lexical import LexicalIndex


def test_build_writes_versioned_folder_manifest_and_pointer(
    fixture_settings: KnowledgeSettings, use_encoder: Encoder
) -> None:
    corpus = load_corpus(fixture_settings.corpus_dir)
    with pytest.raises(IndexNotFoundError):
        current_build_id(fixture_settings.index_dir)
    path = build_index(corpus, use_encoder, fixture_settings.index_dir, BuildOptions(progress=False))
    assert path.parent == fixture_settings.index_dir
    assert current_build_id(fixture_settings.index_dir) == path.name
    assert path.name.endswith(corpus.hash[:10])
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["encoder"] == "use-multilingual" and manifest["model"] == use_encoder.model
    assert manifest["corpus_hash"] == corpus.hash
    assert manifest["entry_count"] == len(FIXTURE_ENTRIES)
    assert manifest["vector_count"] == 5 * len(FIXTURE_ENTRIES)
    assert manifest["index_type"] == "flat-ip" and manifest["build_seconds"] > 0 and manifest["created_at"]
    assert {p.name for p in path.iterdir()} >= {"vectors.faiss", "lexical.npz", "entries.json", "rows.json"}
    # No temporary folders or pointer files are left behind.
    assert not [p for p in fixture_settings.index_dir.iterdir() if p.name.startswith(".")]

    second = build_index(corpus, use_encoder, fixture_settings.index_dir, BuildOptions(progress=False))
    assert second != path and current_build_id(fixture_settings.index_dir) == second.name
    loaded = load_current(fixture_settings.index_dir)
    assert loaded.build_id == second.name and loaded.vectors.ntotal == 5 * len(FIXTURE_ENTRIES)
    assert loaded.entry_count.tolist() == [5] * len(FIXTURE_ENTRIES)


def test_hnsw_above_the_configured_size_and_pruning(fixture_settings: KnowledgeSettings, use_encoder: Encoder) -> None:
    corpus = load_corpus(fixture_settings.corpus_dir)
    options = BuildOptions(hnsw_min_vectors=10, hnsw_m=8, progress=False, keep_builds=2)
    paths = [build_index(corpus, use_encoder, fixture_settings.index_dir, options) for _ in range(3)]
    loaded = load_current(fixture_settings.index_dir, ef_search=32)
    assert loaded.manifest.index_type.startswith("hnsw")
    builds = sorted(p.name for p in fixture_settings.index_dir.iterdir() if p.is_dir())
    assert builds == [p.name for p in paths[1:]]
    query = use_encoder.encode(["提款多久能到账"])
    _, rows = loaded.vectors.search(query, 1)
    assert loaded.entries[int(loaded.row_entry[rows[0][0]])].topic == "drawdown.arrival_time"


def test_lexical_index_scores_are_cosines_and_round_trip(tmp_path: Path) -> None:
    docs = ["提款多久到账", "贷款利率是多少", "What is the loan rate?"]
    index = LexicalIndex.build(docs)
    ids, scores = index.scores("提款多久到账")
    assert ids.tolist()[int(np.argmax(scores))] == 0
    assert float(scores.max()) == pytest.approx(1.0, abs=1e-5) and float(scores.min()) > 0
    assert index.scores("完全无关的内容 xyz")[0].size == 0
    index.save(tmp_path / "lex.npz")
    again = LexicalIndex.load(tmp_path / "lex.npz")
    np.testing.assert_allclose(again.scores("loan rate")[1], index.scores("loan rate")[1])
