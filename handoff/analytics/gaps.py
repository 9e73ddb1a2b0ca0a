"""What the assistant could not answer, grouped by meaning so a content editor sees which answers to write next.

The customer messages the assistant was not sure about (handoff/analytics/queries.py ``gaps``) are encoded with
the FAQ index's own encoder (the one the current build names in its manifest), so "similar" means what it means
to the FAQ search, and clustered by cosine distance (scikit-learn's agglomerative clustering, average linkage).
Examples are masked (textkit.masking.mask_text) before they leave this module. A group becomes a draft FAQ entry
in the corpus's YAML format (knowledge/faq/*.yaml) that an editor downloads, completes and adds to the corpus.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from handoff.analytics.queries import Gap, Table
from textkit.masking import mask_text

# Two questions closer than this (cosine distance) belong to one group.
DISTANCE_THRESHOLD = 0.45
MAX_EXAMPLES = 5


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 rows."""
        ...


@dataclass(frozen=True)
class GapGroup:
    """Messages of one meaning: a stable id (from its members), how many, of which kind, and masked examples."""

    id: str
    count: int
    kinds: dict[str, int]
    languages: dict[str, int]
    examples: list[str]
    last_seen: dt.datetime

    def as_row(self) -> dict[str, Any]:
        return {
            "group": self.id,
            "messages": self.count,
            "abstained": self.kinds.get("abstained", 0),
            "fallback": self.kinds.get("fallback", 0),
            "languages": ", ".join(f"{k}:{v}" for k, v in sorted(self.languages.items())),
            "examples": " | ".join(self.examples),
            "last_seen": self.last_seen.isoformat(),
        }


def group_gaps(gaps: Sequence[Gap], encoder: TextEncoder, *, threshold: float = DISTANCE_THRESHOLD) -> list[GapGroup]:
    """The gaps in groups of similar meaning, the largest first."""
    if not gaps:
        return []
    texts = [g.text.strip() for g in gaps]
    if len(gaps) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from sklearn.cluster import AgglomerativeClustering

        vectors = encoder.encode(texts)
        labels = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=threshold
        ).fit_predict(vectors)
    members: dict[int, list[Gap]] = {}
    for label, gap in zip(labels, gaps, strict=True):
        members.setdefault(int(label), []).append(gap)
    groups = [_group(items) for items in members.values()]
    groups.sort(key=lambda g: (-g.count, g.id))
    return groups


def _group(items: list[Gap]) -> GapGroup:
    ids = sorted(g.message_id for g in items)
    digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=5).hexdigest()
    examples: list[str] = []
    for text in Counter(mask_text(g.text.strip()) for g in items).most_common():
        if len(examples) < MAX_EXAMPLES:
            examples.append(text[0])
    return GapGroup(
        id=f"g{digest}",
        count=len(items),
        kinds=dict(Counter(g.kind for g in items)),
        languages=dict(Counter(g.language or "unknown" for g in items)),
        examples=examples,
        last_seen=max(g.created_at for g in items),
    )


def gap_table(groups: Sequence[GapGroup]) -> Table:
    return [g.as_row() for g in groups]


def faq_draft(group: GapGroup, *, today: dt.date) -> str:
    """A draft FAQ entry in the corpus's format: the group's masked examples as its questions, the answer and the
    topic left for the editor (the knowledge/ build refuses an entry with an empty answer, so nothing unfinished
    can go live by mistake)."""
    questions: dict[str, list[str]] = {}
    for example in group.examples:
        language = "en" if example.isascii() else "zh"
        questions.setdefault(language, []).append(example)
    entry = {
        "id": f"draft-{group.id}",
        "topic": "TODO.topic",
        "version": 1,
        "effective_date": today.isoformat(),
        "questions": questions,
        "answer": {"zh": "", "en": ""},
    }
    header = (
        f"# Draft FAQ entry from {group.count} customer messages the assistant was not sure about"
        f" (group {group.id}, last seen {group.last_seen.date().isoformat()}).\n"
        "# Write the answers and the topic, check the questions, then add the entry to knowledge/faq/<topic>.yaml.\n"
    )
    return header + yaml.safe_dump({"entries": [entry]}, allow_unicode=True, sort_keys=False)


class IndexEncoder:
    """The encoder the FAQ index's current build was made with, loaded on first use (it holds model weights)."""

    def __init__(self, index_dir: Path, factory: Callable[[str, str | None], TextEncoder] | None = None):
        self._index_dir = index_dir
        self._factory = factory
        self._encoder: TextEncoder | None = None
        self._lock = threading.Lock()

    def _load(self) -> TextEncoder:
        build = (self._index_dir / "CURRENT").read_text().strip()
        manifest = json.loads((self._index_dir / build / "manifest.json").read_text())
        if self._factory is not None:
            return self._factory(manifest["encoder"], manifest.get("model"))
        from knowledge.encoders import create_encoder

        return create_encoder(manifest["encoder"], manifest.get("model"))

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._encoder is None:
                self._encoder = self._load()
            return self._encoder.encode(texts)
