"""Build the FAQ index into a versioned folder and load a built one.

A build folder `<index_dir>/<UTC timestamp>-<corpus hash prefix>/` holds:
`vectors.faiss` (one vector per phrasing, grouped by entry), `lexical.npz` (TF-IDF over jieba tokens),
`classifier.npz` (the topic classifier trained on the phrasings), `entries.json`, `rows.json` (entry and
language of each vector) and `manifest.json`. `<index_dir>/CURRENT` names the build in use and is replaced
atomically once the folder is complete.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from tqdm import tqdm

from knowledge.classifier import ClassifierOptions, TopicClassifier
from knowledge.corpus import Corpus, FaqEntry
from knowledge.encoders import Encoder
from knowledge.errors import IndexFormatError, IndexNotFoundError
from knowledge.lexical import LexicalIndex
from knowledge.text import normalize

FORMAT_VERSION = 1
POINTER = "CURRENT"
MANIFEST = "manifest.json"
CLASSIFIER = "classifier.npz"


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a build holds and how it was made."""

    format_version: int
    build_id: str
    encoder: str
    model: str
    dim: int
    corpus_hash: str
    entry_count: int
    vector_count: int
    index_type: str
    build_seconds: float
    created_at: str
    negative_count: int = 0
    classifier_topics: int = 0
    classifier_seconds: float = 0.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """Parse manifest.json, ignoring keys this version does not know."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(slots=True)
class BuildOptions:
    """Index-type choice and HNSW parameters."""

    hnsw_min_vectors: int = 20_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    batch_size: int = 256
    keep_builds: int = 5
    progress: bool = True
    classifier: ClassifierOptions = field(default_factory=ClassifierOptions)


def make_faiss_index(vectors: np.ndarray, options: BuildOptions) -> tuple[faiss.Index, str]:
    """Exact inner product below `hnsw_min_vectors` vectors, HNSW (inner product) from there on."""
    dim = vectors.shape[1]
    index: faiss.Index
    if len(vectors) >= options.hnsw_min_vectors:
        hnsw = faiss.IndexHNSWFlat(dim, options.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = options.hnsw_ef_construction
        index, kind = hnsw, f"hnsw-flat-m{options.hnsw_m}"
    else:
        index, kind = faiss.IndexFlatIP(dim), "flat-ip"
    index.add(vectors)
    return index, kind


def encode_phrasings(encoder: Encoder, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
    """Encode `texts` in batches, with a progress bar when asked."""
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    with tqdm(total=len(texts), desc="encoding phrasings", unit="phr", disable=not progress) as bar:
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            out[start : start + len(batch)] = encoder.encode(batch)
            bar.update(len(batch))
    return out


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_index(
    corpus: Corpus,
    encoder: Encoder,
    index_dir: Path,
    options: BuildOptions | None = None,
    negatives: Sequence[str] = (),
) -> Path:
    """Encode every phrasing of every entry, write a new build folder and point CURRENT at it."""
    options = options or BuildOptions()
    started = time.perf_counter()
    texts: list[str] = []
    rows: list[tuple[int, str]] = []
    for entry_no, entry in enumerate(corpus.entries):
        for lang, question in entry.phrasings():
            texts.append(normalize(question))
            rows.append((entry_no, lang))
    vectors = encode_phrasings(encoder, texts, options.batch_size, options.progress)
    faiss_index, kind = make_faiss_index(vectors, options)
    lexical = LexicalIndex.build(texts)
    negative_texts = [normalize(t) for t in negatives]
    negative_vectors = encoder.encode(negative_texts) if negative_texts else np.zeros((0, encoder.dim), np.float32)
    # The classifier learns the out-of-scope anchors as one more class, so a banking-sounding question we do
    # not answer (credit cards, mortgages) does not lend its probability to the nearest FAQ topic.
    classifier_started = time.perf_counter()
    classifier = TopicClassifier.fit(
        texts,
        vectors,
        [corpus.entries[entry_no].topic for entry_no, _ in rows],
        options.classifier,
        out_of_scope_texts=negative_texts,
        out_of_scope_vectors=negative_vectors,
    )
    classifier_seconds = time.perf_counter() - classifier_started

    created = dt.datetime.now(dt.UTC)
    build_id = f"{created:%Y%m%dT%H%M%S%f}-{corpus.hash[:10]}"
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(dir=index_dir, prefix=f".building-{build_id}-"))
    try:
        faiss.write_index(faiss_index, str(tmp_dir / "vectors.faiss"))
        lexical.save(tmp_dir / "lexical.npz")
        if classifier is not None:
            classifier.save(tmp_dir / CLASSIFIER)
        (tmp_dir / "entries.json").write_text(
            json.dumps([e.to_json() for e in corpus.entries], ensure_ascii=False), encoding="utf-8"
        )
        (tmp_dir / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
        np.save(tmp_dir / "negatives.npy", negative_vectors)
        (tmp_dir / "negatives.json").write_text(json.dumps(negative_texts, ensure_ascii=False), "utf-8")
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            build_id=build_id,
            encoder=encoder.name,
            model=encoder.model,
            dim=encoder.dim,
            corpus_hash=corpus.hash,
            entry_count=len(corpus),
            vector_count=len(texts),
            index_type=kind,
            build_seconds=round(time.perf_counter() - started, 3),
            created_at=created.isoformat(timespec="seconds"),
            negative_count=len(negative_texts),
            classifier_topics=len(classifier.topics) if classifier else 0,
            classifier_seconds=round(classifier_seconds, 3),
        )
        (tmp_dir / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
        final = index_dir / build_id
        os.rename(tmp_dir, final)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    _write_atomic(index_dir / POINTER, build_id + "\n")
    prune_builds(index_dir, keep=options.keep_builds)
    return final


def prune_builds(index_dir: Path, keep: int) -> None:
    """Delete all but the `keep` newest builds (never the current one)."""
    current = current_build_id(index_dir)
    builds = sorted(p for p in index_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in builds[:-keep] if keep > 0 else builds:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def current_build_id(index_dir: Path) -> str:
    """The build named by CURRENT."""
    try:
        build_id = (index_dir / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise IndexNotFoundError(f"no index built in {index_dir} (run: python -m knowledge build)") from exc
    if not build_id or "/" in build_id or build_id.startswith("."):
        raise IndexFormatError(f"{index_dir / POINTER} holds no valid build id")
    return build_id


@dataclass(slots=True)
class LoadedIndex:
    """A build loaded into memory, ready to be searched."""

    path: Path
    manifest: Manifest
    entries: list[FaqEntry]
    row_entry: np.ndarray
    row_lang: list[str]
    entry_start: np.ndarray
    entry_count: np.ndarray
    vectors: faiss.Index
    lexical: LexicalIndex
    negatives: np.ndarray
    # None for a corpus of one topic, and for builds made before the classifier existed.
    classifier: TopicClassifier | None = None
    # Topic of each entry as an index into classifier.topics (-1: unknown to the classifier).
    entry_topic_no: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # The entries of each classifier topic (by topic index).
    topic_entries: list[list[int]] = field(default_factory=list)

    @property
    def build_id(self) -> str:
        """The build folder's name."""
        return self.manifest.build_id


def load_build(path: Path, ef_search: int = 96) -> LoadedIndex:
    """Load one build folder and check it against its manifest."""
    try:
        manifest = Manifest.from_json(json.loads((path / MANIFEST).read_text(encoding="utf-8")))
        entries = [FaqEntry.from_json(e) for e in json.loads((path / "entries.json").read_text("utf-8"))]
        rows = json.loads((path / "rows.json").read_text(encoding="utf-8"))
        vectors = faiss.read_index(str(path / "vectors.faiss"))
        lexical = LexicalIndex.load(path / "lexical.npz")
        negatives_path = path / "negatives.npy"
        negatives = (
            np.load(negatives_path, allow_pickle=False)
            if negatives_path.exists()
            else np.zeros((0, manifest.dim), dtype=np.float32)
        )
        classifier = TopicClassifier.load(path / CLASSIFIER) if (path / CLASSIFIER).exists() else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexFormatError(f"cannot load index build {path}: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexFormatError(f"{path}: format {manifest.format_version}, expected {FORMAT_VERSION}")
    if not (vectors.ntotal == len(rows) == manifest.vector_count == lexical.n_docs):
        raise IndexFormatError(f"{path}: vector, row and manifest counts disagree")
    if len(entries) != manifest.entry_count or vectors.d != manifest.dim:
        raise IndexFormatError(f"{path}: entry count or dimension disagrees with the manifest")
    if classifier is not None and classifier.dense_weights.shape[0] != manifest.dim:
        raise IndexFormatError(f"{path}: classifier dimension disagrees with the manifest")
    if hasattr(vectors, "hnsw"):
        vectors.hnsw.efSearch = ef_search
    row_entry = np.array([r[0] for r in rows], dtype=np.int64)
    if len(row_entry) and np.any(np.diff(row_entry) < 0):
        raise IndexFormatError(f"{path}: rows are not grouped by entry")
    entry_count = np.bincount(row_entry, minlength=len(entries)).astype(np.int64)
    entry_start = np.zeros(len(entries), dtype=np.int64)
    np.cumsum(entry_count[:-1], out=entry_start[1:])
    topic_no = {t: i for i, t in enumerate(classifier.topics)} if classifier else {}
    entry_topic_no = np.array([topic_no.get(e.topic, -1) for e in entries], dtype=np.int64)
    topic_entries: list[list[int]] = [[] for _ in topic_no]
    for entry_no, topic in enumerate(entry_topic_no.tolist()):
        if topic >= 0:
            topic_entries[topic].append(entry_no)
    return LoadedIndex(
        path=path,
        manifest=manifest,
        entries=entries,
        row_entry=row_entry,
        row_lang=[r[1] for r in rows],
        entry_start=entry_start,
        entry_count=entry_count,
        vectors=vectors,
        lexical=lexical,
        negatives=np.ascontiguousarray(negatives, dtype=np.float32),
        classifier=classifier,
        entry_topic_no=entry_topic_no,
        topic_entries=topic_entries,
    )


def load_current(index_dir: Path, ef_search: int = 96) -> LoadedIndex:
    """Load the build named by CURRENT."""
    return load_build(index_dir / current_build_id(index_dir), ef_search=ef_search)
