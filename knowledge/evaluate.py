"""Evaluation on a query file: accuracy@1, recall@3, MRR, abstention, null-query wrong answers, latency."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.errors import KnowledgeError
from textkit.language import language_of


@dataclass(frozen=True, slots=True)
class EvalQuery:
    """A query with its expected topic (None: out of scope, the searcher should abstain)."""

    query: str
    topic: str | None
    language: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a system answered for one query: ranked topics, top score, abstention, latency."""

    query: EvalQuery
    ranked_topics: list[str]
    top_score: float
    abstained: bool
    latency_ms: float


def load_queries(path: Path) -> list[EvalQuery]:
    """Read a JSONL file of `{"query": ..., "topic": slug | null}` (an optional "language" is honoured)."""
    queries: list[EvalQuery] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            text, topic = data["query"], data.get("topic")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise KnowledgeError(f"{path}:{n}: expected {{'query': ..., 'topic': ...}}") from exc
        if not isinstance(text, str) or not (topic is None or isinstance(topic, str)):
            raise KnowledgeError(f"{path}:{n}: query must be a string and topic a string or null")
        language = data.get("language") or data.get("lang") or language_of(text) or "en"
        queries.append(EvalQuery(text, topic or None, language))
    if not queries:
        raise KnowledgeError(f"{path}: no queries")
    return queries


def _dedupe(topics: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in topics:
        seen.setdefault(t, None)
    return list(seen)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _group_metrics(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    in_scope = [o for o in outcomes if o.query.topic is not None]
    null = [o for o in outcomes if o.query.topic is None]
    correct = [bool(o.ranked_topics) and o.ranked_topics[0] == o.query.topic for o in in_scope]
    top3 = [o.query.topic in _dedupe(o.ranked_topics)[:3] for o in in_scope]
    rr = []
    for o in in_scope:
        ranked = _dedupe(o.ranked_topics)
        rr.append(1.0 / (ranked.index(o.query.topic) + 1) if o.query.topic in ranked else 0.0)
    answered_correct = sum(c and not o.abstained for c, o in zip(correct, in_scope, strict=True))
    answered_wrong = sum((not c) and not o.abstained for c, o in zip(correct, in_scope, strict=True))
    abstained = [o for o in outcomes if o.abstained]
    null_abstained = sum(o.abstained for o in null)
    latencies = np.array([o.latency_ms for o in outcomes], dtype=np.float64)
    return {
        "queries": len(outcomes),
        "in_scope": len(in_scope),
        "out_of_scope": len(null),
        "accuracy_at_1": _ratio(sum(correct), len(in_scope)),
        "recall_at_3": _ratio(sum(top3), len(in_scope)),
        "mrr": round(float(np.mean(rr)), 4) if rr else None,
        "answered_accuracy": _ratio(answered_correct, len(in_scope)),
        "in_scope_wrong_answer_rate": _ratio(answered_wrong, len(in_scope)),
        "in_scope_abstention_rate": _ratio(sum(o.abstained for o in in_scope), len(in_scope)),
        "abstention_precision": _ratio(null_abstained, len(abstained)),
        "abstention_recall": _ratio(null_abstained, len(null)),
        "null_wrong_answer_rate": _ratio(len(null) - null_abstained, len(null)),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 3) if len(latencies) else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 3) if len(latencies) else None,
    }


def metrics(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Overall figures plus the same figures per language under "by_language"."""
    result = _group_metrics(outcomes)
    languages = sorted({o.query.language for o in outcomes})
    result["by_language"] = {
        lang: _group_metrics([o for o in outcomes if o.query.language == lang]) for lang in languages
    }
    return result


def format_metrics(title: str, figures: dict[str, Any]) -> str:
    """A small human-readable table of `metrics` output."""
    keys = [
        "accuracy_at_1",
        "recall_at_3",
        "mrr",
        "answered_accuracy",
        "in_scope_wrong_answer_rate",
        "abstention_precision",
        "abstention_recall",
        "null_wrong_answer_rate",
        "latency_p50_ms",
        "latency_p95_ms",
        "in_scope",
        "out_of_scope",
    ]
    columns = ["all", *figures.get("by_language", {})]
    groups = [figures, *figures.get("by_language", {}).values()]
    lines = [title, f"{'metric':28}" + "".join(f"{c:>10}" for c in columns)]
    for key in keys:
        cells = "".join(f"{'-' if g.get(key) is None else g[key]:>10}" for g in groups)
        lines.append(f"{key:28}{cells}")
    return "\n".join(lines)
