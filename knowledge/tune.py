"""Run a searcher over a query set, and choose the fusion weights and abstain threshold by grid search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from knowledge.calibration import Calibration
from knowledge.classifier import ClassifierOptions, TopicClassifier
from knowledge.corpus import Corpus
from knowledge.encoders import Encoder
from knowledge.errors import CalibrationError
from knowledge.evaluate import EvalQuery, Outcome, metrics
from knowledge.search import Candidates, FaqSearcher
from knowledge.text import normalize

WEIGHT_GRID = tuple(round(w, 2) for w in np.arange(0.0, 0.801, 0.05))
TOPIC_WEIGHT_GRID = tuple(round(t, 2) for t in np.arange(0.0, 0.801, 0.1))
MARGIN_GRID: tuple[float | None, ...] = (None, -0.2, -0.15, -0.1, -0.05, 0.0, 0.05, 0.1)
THRESHOLD_GRID = tuple(round(t, 3) for t in np.arange(0.0, 1.0001, 0.005))
# Target on held-out data is at most 5% wrong answers on out-of-scope queries; calibrate with a margin.
MAX_NULL_ACCEPT = 0.03


def run_searcher(
    searcher: FaqSearcher, queries: Sequence[EvalQuery], k: int = 10, progress: bool = False
) -> list[Outcome]:
    """Search every query (answers in the query's language) and record what came back."""
    outcomes = []
    for q in tqdm(queries, desc="queries", disable=not progress):
        result = searcher.search(q.query, language=q.language, k=k)
        outcomes.append(
            Outcome(
                query=q,
                ranked_topics=[h.topic for h in result.hits],
                top_score=result.hits[0].score if result.hits else float("-inf"),
                abstained=result.abstained,
                latency_ms=result.latency_ms,
            )
        )
    return outcomes


@dataclass(frozen=True, slots=True)
class _Scored:
    query: EvalQuery
    cands: Candidates
    topics: np.ndarray


def _choose_threshold(
    top: np.ndarray, correct: np.ndarray, is_null: np.ndarray, max_null_accept: float, blocked: np.ndarray
) -> tuple[float, float, float]:
    """(threshold, utility, null accept rate): the best utility whose null accept rate is allowed."""
    n_in, n_null = max(int((~is_null).sum()), 1), max(int(is_null.sum()), 1)
    thresholds = np.array(THRESHOLD_GRID)
    answered = (top[None, :] >= thresholds[:, None]) & ~blocked[None, :]  # (thresholds, queries)
    in_scope = answered & ~is_null
    utility = ((in_scope & correct).sum(axis=1) - (in_scope & ~correct).sum(axis=1)) / n_in
    null_accept = (answered & is_null).sum(axis=1) / n_null
    allowed = np.flatnonzero(null_accept <= max_null_accept)
    # the first (lowest) threshold of the best utility, as a scan from the bottom would pick it
    pick = int(allowed[np.argmax(utility[allowed])]) if len(allowed) else int(np.argmin(null_accept))
    return float(thresholds[pick]), float(utility[pick]), float(null_accept[pick])


def calibrate(
    searcher: FaqSearcher, queries: Sequence[EvalQuery], max_null_accept: float = MAX_NULL_ACCEPT
) -> tuple[Calibration, dict[str, Any]]:
    """Grid search over (lexical weight, topic weight, out-of-scope anchor margin, threshold) on a dev set.

    For each weight pair and margin the threshold is the one maximising (in-scope answered correctly -
    in-scope answered wrongly) / in-scope queries among those answering at most `max_null_accept` of the
    out-of-scope queries; the combination with the best such utility wins (ties: higher accuracy@1, looser
    margin, lower weights). Without a topic classifier in the build only topic weight 0 is tried.
    """
    if not any(q.topic for q in queries) or not any(q.topic is None for q in queries):
        raise CalibrationError("the dev set needs both in-scope and out-of-scope (topic: null) queries")
    state_index = searcher.index
    scored = []
    for q in tqdm(queries, desc="dev queries"):
        cands = searcher.candidates(q.query)
        topics = np.array([state_index.entries[int(i)].topic for i in cands.entry_idx], dtype=object)
        scored.append(_Scored(q, cands, topics))
    is_null = np.array([s.query.topic is None for s in scored])
    grid: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    negative = np.array([s.cands.negative for s in scored])
    topic_grid = TOPIC_WEIGHT_GRID if state_index.classifier is not None else (0.0,)
    for w, tw in ((w, tw) for tw in topic_grid for w in WEIGHT_GRID):
        top = np.empty(len(scored))
        top_dense = np.full(len(scored), np.inf)
        correct = np.zeros(len(scored), dtype=bool)
        for i, s in enumerate(scored):
            fused = s.cands.fused(w, tw)
            if len(fused) == 0:
                top[i] = -np.inf
                continue
            j = int(np.argmax(fused))
            top[i] = fused[j]
            top_dense[i] = s.cands.dense[j]
            correct[i] = s.topics[j] == s.query.topic
        acc1 = float(correct[~is_null].mean())
        for margin in MARGIN_GRID:
            blocked = np.zeros(len(scored), dtype=bool) if margin is None else negative >= top_dense + margin
            threshold, utility, null_accept = _choose_threshold(top, correct, is_null, max_null_accept, blocked)
            row = {
                "lexical_weight": w,
                "topic_weight": tw,
                "negative_margin": margin,
                "abstain_threshold": threshold,
                "utility": round(utility, 4),
                "accuracy_at_1": round(acc1, 4),
                "null_accept_rate": round(null_accept, 4),
            }
            grid.append(row)
            # ties: higher accuracy@1, then anchors off or the most permissive margin, then the lower weights
            key = (round(utility, 6), round(acc1, 6), 1.0 if margin is None else margin, -tw, -w)
            if best is None or key > best["key"]:
                best = {**row, "key": key}
    assert best is not None
    # For the record: per weight pair, the row of its best margin (the whole grid is a thousand rows).
    best_rows: dict[tuple[float, float], dict[str, Any]] = {}
    for row in grid:
        pair = (row["lexical_weight"], row["topic_weight"])
        if pair not in best_rows or row["utility"] > best_rows[pair]["utility"]:
            best_rows[pair] = row
    calibration = Calibration(
        encoder=searcher.index.manifest.encoder,
        lexical_weight=float(best["lexical_weight"]),
        abstain_threshold=float(best["abstain_threshold"]),
        topic_weight=float(best["topic_weight"]),
        negative_margin=best["negative_margin"],
        source="calibrate",
    )
    # Re-run with the chosen values for the record.
    chosen = _with_calibration(searcher, calibration)
    figures = metrics(run_searcher(chosen, queries))
    report = {
        "grid": list(best_rows.values()),
        "dev_metrics": figures,
        "max_null_accept": max_null_accept,
        "objective": "max (answered correct - answered wrong)/in-scope s.t. null accept <= max",
    }
    return calibration, report


def _with_calibration(searcher: FaqSearcher, calibration: Calibration) -> FaqSearcher:
    searcher.override_calibration(calibration)
    return searcher


def cross_validate_classifier(
    corpus: Corpus,
    encoder: Encoder,
    c_values: Sequence[float],
    negatives: Sequence[str] = (),
    folds: int = 5,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Topic accuracy of the classifier on held-out corpus phrasings, per regularisation value C.

    The phrasings are split into `folds` folds stratified by topic (seeded); each fold is predicted by a
    classifier trained, as the build trains it, on the other folds plus the out-of-scope anchors. Accuracy is
    reported overall and per language of the phrasing.
    """
    from sklearn.model_selection import StratifiedKFold

    texts, labels, languages = [], [], []
    for entry in corpus.entries:
        for lang, question in entry.phrasings():
            texts.append(normalize(question))
            labels.append(entry.topic)
            languages.append(lang)
    if min(labels.count(t) for t in set(labels)) < folds:
        raise CalibrationError(f"every topic needs at least {folds} phrasings for {folds}-fold cross-validation")
    vectors = encoder.encode(texts)
    negative_texts = [normalize(t) for t in negatives]
    negative_vectors = encoder.encode(negative_texts) if negative_texts else None
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, labels))
    language_of = np.array(languages)
    results = []
    for c in c_values:
        predicted = np.empty(len(texts), dtype=object)
        for train, test in splits:
            model = TopicClassifier.fit(
                [texts[i] for i in train],
                vectors[train],
                [labels[i] for i in train],
                ClassifierOptions(c=c),
                out_of_scope_texts=negative_texts,
                out_of_scope_vectors=negative_vectors,
            )
            if model is None:
                raise CalibrationError("cross-validation needs at least two topics")
            for i in test.tolist():
                predicted[i] = model.topics[int(np.argmax(model.logits(texts[i], vectors[i])))]
        right = predicted == np.array(labels, dtype=object)
        row: dict[str, Any] = {"c": c, "phrasings": len(texts), "accuracy": round(float(right.mean()), 4)}
        for language in sorted(set(languages)):
            row[f"accuracy_{language}"] = round(float(right[language_of == language].mean()), 4)
        results.append(row)
    return results
