"""The topic classifier: training, features, storage without pickle, and its place in the build and search."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from knowledge_fixtures import FIXTURE_ENTRIES

from knowledge.calibration import Calibration
from knowledge.classifier import OUT_OF_SCOPE_LABEL, ClassifierOptions, TopicClassifier, sparse_terms
from knowledge.config import KnowledgeSettings
from knowledge.corpus import load_corpus
from knowledge.encoders import Encoder
from knowledge.errors import ClassifierError, IndexFormatError
from knowledge.index import CLASSIFIER, BuildOptions, build_index, load_current
from knowledge.search import FaqSearcher
from knowledge.text import normalize


def _training_set(use_encoder: Encoder) -> tuple[list[str], np.ndarray, list[str]]:
    texts, labels = [], []
    for entry in FIXTURE_ENTRIES:
        for lang in ("zh", "en"):
            for question in entry["questions"][lang]:
                texts.append(normalize(question))
                labels.append(entry["topic"])
    return texts, use_encoder.encode(texts), labels


def test_sparse_terms_hold_character_ngrams_and_lexical_terms() -> None:
    terms = sparse_terms("提款 多久到账")
    assert "c:提" in terms and "c: 提" in terms and "c:提款" in terms and "c:账 " in terms
    assert "w:提款" in terms and "w:到账" in terms
    assert "c: " not in terms  # the padding alone is no feature
    english = sparse_terms("Loan rate")
    assert "c: lo" in english and "c:ate" in english and "w:loan" in english


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("用款以后几时能到我卡上", "drawdown.arrival_time"),
        ("利息能给便宜些吗", "loan.interest_rate"),
        ("到期了本金不想先还", "renewal.what"),
        ("what papers should i bring", "loan.materials"),
        ("有人打电话说是银行的要我转钱", "security.fraud"),
    ],
)
def test_classifier_predicts_the_topic_of_new_wordings(use_encoder: Encoder, query: str, topic: str) -> None:
    texts, vectors, labels = _training_set(use_encoder)
    model = TopicClassifier.fit(texts, vectors, labels)
    assert model is not None and model.topics == sorted(set(labels))
    text = normalize(query)
    probs = model.predict_proba(text, use_encoder.encode([text])[0])
    assert probs.shape == (len(model.topics),) and probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert model.topics[int(np.argmax(probs))] == topic


def test_classifier_round_trips_as_plain_arrays(use_encoder: Encoder, tmp_path: Path) -> None:
    texts, vectors, labels = _training_set(use_encoder)
    model = TopicClassifier.fit(texts, vectors, labels)
    assert model is not None
    path = tmp_path / "classifier.npz"
    model.save(path)
    with zipfile.ZipFile(path) as archive:  # every member is a plain .npy array, nothing pickled
        for name in archive.namelist():
            with archive.open(name) as member:
                assert np.lib.format.read_magic(member) and name.endswith(".npy")
    loaded = TopicClassifier.load(path)
    text = normalize("年化利息怎么算")
    vector = use_encoder.encode([text])[0]
    np.testing.assert_allclose(loaded.predict_proba(text, vector), model.predict_proba(text, vector), rtol=1e-6)


def test_a_damaged_classifier_file_is_refused(use_encoder: Encoder, tmp_path: Path) -> None:
    texts, vectors, labels = _training_set(use_encoder)
    model = TopicClassifier.fit(texts, vectors, labels)
    assert model is not None
    model.intercept = model.intercept[:-1]
    model.save(tmp_path / "bad.npz")
    with pytest.raises(IndexFormatError):
        TopicClassifier.load(tmp_path / "bad.npz")
    (tmp_path / "junk.npz").write_bytes(b"not an archive")
    with pytest.raises(IndexFormatError):
        TopicClassifier.load(tmp_path / "junk.npz")


def test_two_topics_and_one_topic(use_encoder: Encoder) -> None:
    texts, vectors, labels = _training_set(use_encoder)
    keep = [i for i, label in enumerate(labels) if label in ("loan.interest_rate", "service.hours")]
    model = TopicClassifier.fit([texts[i] for i in keep], vectors[keep], [labels[i] for i in keep])
    assert model is not None and model.topics == ["loan.interest_rate", "service.hours"]
    text = normalize("晚上几点还有人工")
    probs = model.predict_proba(text, use_encoder.encode([text])[0])
    assert probs.sum() == pytest.approx(1.0, abs=1e-5) and probs[1] > 0.5
    only = [i for i, label in enumerate(labels) if label == "service.hours"]
    assert TopicClassifier.fit([texts[i] for i in only], vectors[only], [labels[i] for i in only]) is None


def test_out_of_scope_anchors_become_one_more_class(use_encoder: Encoder) -> None:
    texts, vectors, labels = _training_set(use_encoder)
    anchors = [normalize(t) for t in ("明天会下雨吗", "给我讲个笑话", "信用卡年费多少", "what's the weather like")]
    model = TopicClassifier.fit(
        texts, vectors, labels, out_of_scope_texts=anchors, out_of_scope_vectors=use_encoder.encode(anchors)
    )
    assert model is not None and OUT_OF_SCOPE_LABEL in model.topics
    text = normalize("后天天气怎么样会不会下雨")
    probs = model.predict_proba(text, use_encoder.encode([text])[0])
    assert model.topics[int(np.argmax(probs))] == OUT_OF_SCOPE_LABEL
    with pytest.raises(ClassifierError):
        TopicClassifier.fit(texts, vectors[:-1], labels)


def test_a_large_corpus_is_sampled_per_topic(use_encoder: Encoder) -> None:
    texts, vectors, labels = _training_set(use_encoder)
    model = TopicClassifier.fit(texts, vectors, labels, ClassifierOptions(max_rows=12))
    # every topic keeps at least one phrasing, so every topic is still a class
    assert model is not None and model.topics == sorted(set(labels))


def test_build_stores_the_classifier_with_the_out_of_scope_class(
    fixture_settings: KnowledgeSettings, use_encoder: Encoder
) -> None:
    corpus = load_corpus(fixture_settings.corpus_dir)
    path = build_index(
        corpus, use_encoder, fixture_settings.index_dir, BuildOptions(progress=False), negatives=["明天会下雨吗"] * 3
    )
    loaded = load_current(fixture_settings.index_dir)
    assert loaded.classifier is not None and (path / CLASSIFIER).is_file()
    assert loaded.manifest.classifier_topics == len(FIXTURE_ENTRIES) + 1
    assert OUT_OF_SCOPE_LABEL in loaded.classifier.topics
    # every entry maps to its own topic's class, never to the out-of-scope class
    assert [loaded.classifier.topics[t] for t in loaded.entry_topic_no] == [e.topic for e in loaded.entries]


def test_search_reports_topic_probability_and_a_build_without_classifier_still_serves(
    fixture_settings: KnowledgeSettings, use_encoder: Encoder
) -> None:
    path = build_index(
        load_corpus(fixture_settings.corpus_dir), use_encoder, fixture_settings.index_dir, BuildOptions(progress=False)
    )
    searcher = FaqSearcher(fixture_settings, encoder_factory=lambda name, model: use_encoder)
    searcher.override_calibration(
        Calibration("use-multilingual", lexical_weight=0.3, abstain_threshold=0.3, topic_weight=0.5)
    )
    result = searcher.search("用款以后几时能到我卡上")
    best = result.best
    assert best is not None and best.entry_id == "drawdown-arrival-001" and not result.abstained
    assert 0.5 < best.topic_probability <= 1.0
    similarity = 0.7 * best.dense_score + 0.3 * best.lexical_score
    assert best.score == pytest.approx(0.5 * similarity + 0.5 * best.topic_probability, abs=1e-5)

    # A build made before the classifier existed (no classifier.npz) loads and ranks by similarity alone.
    old = path.parent / (path.name + "-old")
    shutil.copytree(path, old)
    (old / CLASSIFIER).unlink()
    (path.parent / "CURRENT").write_text(old.name + "\n", encoding="utf-8")
    searcher.reload_if_changed(wait=True)
    assert searcher.index.path == old and searcher.index.classifier is None
    result = searcher.search("用款以后几时能到我卡上")
    assert result.best is not None and result.best.topic_probability == 0.0
