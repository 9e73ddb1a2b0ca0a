"""Hybrid FAQ search (dense + lexical boost + topic classifier) with abstention, hot reload and an abstention
log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from knowledge.calibration import Calibration, load_calibration
from knowledge.config import KnowledgeSettings
from knowledge.encoders import Encoder, create_encoder
from knowledge.errors import KnowledgeError
from knowledge.index import POINTER, LoadedIndex, current_build_id, load_build
from knowledge.text import lexical_terms, normalize, warm_up
from textkit.language import language_of

log = logging.getLogger(__name__)

LEXICAL_CANDIDATES = 20
# Best lexical rows looked at to find the LEXICAL_CANDIDATES best lexical entries.
LEXICAL_ROWS = 200
# The entries of the classifier's most probable topics are ranked even when no phrasing of them came near,
# as long as they are few; in a large FAQ the nearest phrasings and lexical hits already cover the topic.
CLASSIFIER_TOPICS = 3
CLASSIFIER_ENTRIES = 40


@dataclass(frozen=True, slots=True)
class Hit:
    """One entry found for a query; `answer` is in the result's language."""

    entry_id: str
    version: int
    topic: str
    score: float
    dense_score: float
    lexical_score: float
    topic_probability: float
    answer: str
    matched_question: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Best entries first; `abstained` when the best fused score is below the threshold."""

    query: str
    language: str
    hits: list[Hit]
    abstained: bool
    threshold: float
    build_id: str
    latency_ms: float
    out_of_scope_similarity: float | None = None

    @property
    def best(self) -> Hit | None:
        """The top hit, or None when nothing matched at all."""
        return self.hits[0] if self.hits else None

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


def should_abstain(
    top_score: float, top_dense: float, negative: float, threshold: float, negative_margin: float | None
) -> bool:
    """Below the threshold, or an out-of-scope anchor at least `negative_margin` closer than the best hit."""
    if top_score < threshold:
        return True
    return negative_margin is not None and negative >= top_dense + negative_margin


@dataclass(slots=True)
class Candidates:
    """Per-entry dense, lexical and topic-classifier scores of the entries worth ranking for one query."""

    entry_idx: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    topic: np.ndarray
    best_row: np.ndarray
    negative: float = -1.0

    def fused(self, lexical_weight: float, topic_weight: float = 0.0) -> np.ndarray:
        """(1 - t) * ((1 - w) * dense + w * lexical) + t * P(entry's topic)."""
        similarity = (1.0 - lexical_weight) * self.dense + lexical_weight * self.lexical
        return (1.0 - topic_weight) * similarity + topic_weight * self.topic


@dataclass(slots=True)
class _State:
    index: LoadedIndex
    encoder: Encoder
    calibration: Calibration
    pointer_mtime: float = 0.0


@dataclass(slots=True)
class AbstainLog:
    """Appends abstained queries as JSON lines for the bank to curate (thread-safe)."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def write(self, result: SearchResult) -> None:
        """Append one line describing `result`."""
        record = {
            "ts": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "query": result.query,
            "language": result.language,
            "best_score": round(result.hits[0].score, 4) if result.hits else None,
            "threshold": result.threshold,
            "closest": [
                {"entry_id": h.entry_id, "topic": h.topic, "score": round(h.score, 4)} for h in result.hits[:3]
            ],
            "build_id": result.build_id,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)


class FaqSearcher:
    """Searches the current index build; `reload_if_changed()` swaps in a new build without downtime."""

    def __init__(
        self,
        settings: KnowledgeSettings | None = None,
        *,
        log_abstentions: bool = True,
        encoder_factory: Callable[[str, str | None], Encoder] | None = None,
    ) -> None:
        self.settings = settings or KnowledgeSettings()
        faiss.omp_set_num_threads(self.settings.threads)
        self._encoder_factory = encoder_factory or (
            lambda name, model: create_encoder(name, model, threads=self.settings.threads)
        )
        self._encoders: dict[tuple[str, str], Encoder] = {}
        self._abstain_log = AbstainLog(self.settings.abstain_log) if log_abstentions else None
        self._reload_lock = threading.Lock()
        self._loader: threading.Thread | None = None
        self._next_check = 0.0
        self.reload_errors = 0
        warm_up()
        self._state = self._load_state()

    # ---------- loading ----------
    def _pointer(self) -> Path:
        return self.settings.index_dir / POINTER

    def _encoder_for(self, index: LoadedIndex) -> Encoder:
        key = (index.manifest.encoder, index.manifest.model)
        encoder = self._encoders.get(key)
        if encoder is None:
            configured = self.settings.encoder == index.manifest.encoder
            model = self.settings.model if configured and self.settings.model else index.manifest.model
            encoder = self._encoder_factory(index.manifest.encoder, model)
            if encoder.dim != index.manifest.dim:
                raise KnowledgeError(f"encoder dimension {encoder.dim} != index dimension {index.manifest.dim}")
            self._encoders[key] = encoder
        return encoder

    def _load_state(self) -> _State:
        mtime = self._pointer_mtime()
        build_id = current_build_id(self.settings.index_dir)
        index = load_build(self.settings.index_dir / build_id, ef_search=self.settings.hnsw_ef_search)
        calibration = load_calibration(self.settings.calibration_file, index.manifest.encoder) or Calibration(
            encoder=index.manifest.encoder,
            lexical_weight=self.settings.lexical_weight,
            abstain_threshold=self.settings.abstain_threshold,
            topic_weight=self.settings.topic_weight,
            source="settings",
        )
        return _State(index=index, encoder=self._encoder_for(index), calibration=calibration, pointer_mtime=mtime)

    def _pointer_mtime(self) -> float:
        try:
            return self._pointer().stat().st_mtime
        except FileNotFoundError:
            return 0.0

    @property
    def build_id(self) -> str:
        """The build currently served."""
        return self._state.index.build_id

    @property
    def calibration(self) -> Calibration:
        """Lexical weight and abstain threshold in force."""
        return self._state.calibration

    @property
    def index(self) -> LoadedIndex:
        """The loaded build currently served."""
        return self._state.index

    def override_calibration(self, calibration: Calibration) -> None:
        """Serve with `calibration` instead of the stored one (used by calibrate and tests)."""
        state = self._state
        self._state = _State(state.index, state.encoder, calibration, state.pointer_mtime)

    def reload_if_changed(self, wait: bool = False) -> bool:
        """Cheap per request: at most every few seconds, look at CURRENT; if it moved, load the new build
        in a background thread and swap it in when ready. Returns True when a load was started."""
        now = time.monotonic()
        if now < self._next_check and not wait:
            return False
        self._next_check = now + self.settings.reload_check_seconds
        if self._pointer_mtime() == self._state.pointer_mtime:
            return False
        with self._reload_lock:
            if self._loader is not None and self._loader.is_alive():
                started = False
            else:
                self._loader = threading.Thread(target=self._reload, name="faq-index-reload", daemon=True)
                self._loader.start()
                started = True
            loader = self._loader
        if wait:
            loader.join()
        return started

    def _reload(self) -> None:
        try:
            state = self._load_state()
        except Exception:  # keep serving the old build; the next check tries again
            self.reload_errors += 1
            log.exception("loading the new FAQ index failed; still serving %s", self.build_id)
            return
        if state.index.build_id != self._state.index.build_id or state.calibration != self._state.calibration:
            log.info("FAQ index %s -> %s", self._state.index.build_id, state.index.build_id)
        self._state = state  # one reference assignment: requests in flight keep the old state

    # ---------- search ----------
    def candidates(self, query: str, state: _State | None = None) -> Candidates:
        """Dense and lexical scores per entry for the entries near `query`."""
        state = state or self._state
        index = state.index
        text = normalize(query)
        qvec = state.encoder.encode([text])
        k = min(self.settings.candidate_vectors, index.vectors.ntotal)
        sims, rows = index.vectors.search(qvec, k)
        rows, sims = rows[0], sims[0]
        keep = rows >= 0
        rows, sims = rows[keep], sims[keep]
        dense: dict[int, tuple[float, int]] = {}
        for row, sim in zip(rows.tolist(), sims.tolist(), strict=True):
            entry = int(index.row_entry[row])
            if entry not in dense or sim > dense[entry][0]:
                dense[entry] = (sim, row)

        terms = lexical_terms(text)
        lex = index.lexical.score_all(text, terms)
        matched = np.flatnonzero(lex)
        if len(matched) > LEXICAL_ROWS:
            matched = matched[np.argpartition(-lex[matched], LEXICAL_ROWS)[:LEXICAL_ROWS]]
        matched = matched[np.argsort(-lex[matched], kind="stable")]
        lexical: dict[int, float] = {}
        for row in matched.tolist():
            entry = int(index.row_entry[row])
            if entry not in lexical:
                lexical[entry] = float(lex[row])
        extra = list(lexical)[:LEXICAL_CANDIDATES]
        topic_prob = np.zeros(len(index.entries), dtype=np.float32)
        if index.classifier is not None:
            probs = index.classifier.predict_proba(text, qvec[0], terms)
            known = index.entry_topic_no >= 0
            topic_prob[known] = probs[index.entry_topic_no[known]]
            added = 0
            for topic in np.argsort(-probs)[:CLASSIFIER_TOPICS].tolist():
                members = index.topic_entries[topic]
                if added + len(members) <= CLASSIFIER_ENTRIES:
                    extra += members
                    added += len(members)
        for entry in extra:
            if entry not in dense:
                start, count = int(index.entry_start[entry]), int(index.entry_count[entry])
                vecs = index.vectors.reconstruct_n(start, count)
                sims_e = vecs @ qvec[0]
                best = int(np.argmax(sims_e))
                dense[entry] = (float(sims_e[best]), start + best)
        for entry in dense:
            if entry not in lexical:
                start, count = int(index.entry_start[entry]), int(index.entry_count[entry])
                lexical[entry] = float(lex[start : start + count].max())
        ids = np.fromiter(dense, dtype=np.int64, count=len(dense))
        negative = float(np.max(index.negatives @ qvec[0])) if len(index.negatives) else -1.0
        return Candidates(
            negative=negative,
            entry_idx=ids,
            dense=np.array([dense[e][0] for e in ids.tolist()], dtype=np.float32),
            lexical=np.array([lexical.get(e, 0.0) for e in ids.tolist()], dtype=np.float32),
            topic=topic_prob[ids],
            best_row=np.array([dense[e][1] for e in ids.tolist()], dtype=np.int64),
        )

    def search(
        self, query: str, language: str | None = None, k: int = 3, *, record_abstention: bool = True
    ) -> SearchResult:
        """The `k` best entries for `query`, answers in `language` (default: the query's language).

        An abstention is written to the abstention log (what customers asked that the FAQ could not answer)
        unless `record_abstention` is false: an agent's suggestion lookup is not a customer's question.
        """
        started = time.perf_counter()
        state = self._state
        language = language if language in ("zh", "en") else language_of(query) or "en"
        hits: list[Hit] = []
        negative = -1.0
        if query.strip():
            cands = self.candidates(query, state)
            negative = cands.negative
            fused = cands.fused(state.calibration.lexical_weight, state.calibration.topic_weight)
            order = np.argsort(-fused, kind="stable")[:k]
            for pos in order.tolist():
                entry = state.index.entries[int(cands.entry_idx[pos])]
                local = int(cands.best_row[pos]) - int(state.index.entry_start[int(cands.entry_idx[pos])])
                hits.append(
                    Hit(
                        entry_id=entry.id,
                        version=entry.version,
                        topic=entry.topic,
                        score=float(fused[pos]),
                        dense_score=float(cands.dense[pos]),
                        lexical_score=float(cands.lexical[pos]),
                        topic_probability=float(cands.topic[pos]),
                        answer=entry.answer(language),
                        matched_question=entry.phrasings()[local][1],
                    )
                )
        threshold = state.calibration.abstain_threshold
        abstained = not hits or should_abstain(
            hits[0].score, hits[0].dense_score, negative, threshold, state.calibration.negative_margin
        )
        result = SearchResult(
            query=query,
            language=language,
            hits=hits,
            abstained=abstained,
            threshold=threshold,
            build_id=state.index.build_id,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            out_of_scope_similarity=round(negative, 4) if negative > -1.0 else None,
        )
        if abstained and record_abstention and self._abstain_log is not None and query.strip():
            try:
                self._abstain_log.write(result)
            except OSError:
                log.exception("cannot append to the abstention log")
        return result
