"""TF-IDF cosine over jieba tokens, stored as an inverted index (CSR by token) in one .npz file."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.text import lexical_terms


def vocabulary_and_idf(term_lists: Sequence[Sequence[str]]) -> tuple[dict[str, int], np.ndarray]:
    """Term -> column (sorted terms) and the smoothed idf of each column, from one term list per document."""
    df: Counter[str] = Counter()
    for terms in term_lists:
        df.update(set(terms))
    vocab = {term: i for i, term in enumerate(sorted(df))}
    n_docs = len(term_lists)
    idf = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in vocab], dtype=np.float32)
    return vocab, idf


class LexicalIndex:
    """Scores every document against a query with TF-IDF cosine similarity, in [0, 1]."""

    def __init__(
        self,
        vocab: dict[str, int],
        idf: np.ndarray,
        indptr: np.ndarray,
        doc_ids: np.ndarray,
        weights: np.ndarray,
        n_docs: int,
    ) -> None:
        self.vocab = vocab
        self.idf = idf
        self.indptr = indptr
        self.doc_ids = doc_ids
        self.weights = weights
        self.n_docs = n_docs

    @classmethod
    def build(cls, documents: Sequence[str]) -> LexicalIndex:
        """Index `documents` (one per phrasing); document i keeps id i."""
        token_lists = [lexical_terms(doc) for doc in documents]
        vocab, idf = vocabulary_and_idf(token_lists)
        n_docs = len(documents)
        postings: list[list[tuple[int, float]]] = [[] for _ in vocab]
        for doc_id, tokens in enumerate(token_lists):
            counts = Counter(tokens)
            raw = {vocab[t]: (1.0 + math.log(c)) * float(idf[vocab[t]]) for t, c in counts.items()}
            norm = math.sqrt(sum(w * w for w in raw.values())) or 1.0
            for token_id, w in raw.items():
                postings[token_id].append((doc_id, w / norm))
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in postings], out=indptr[1:])
        doc_ids = np.fromiter((d for p in postings for d, _ in p), dtype=np.int32, count=int(indptr[-1]))
        weights = np.fromiter((w for p in postings for _, w in p), dtype=np.float32, count=int(indptr[-1]))
        return cls(vocab, idf, indptr, doc_ids, weights, n_docs)

    def query_vector(self, query: str, terms: Sequence[str] | None = None) -> dict[int, float]:
        """Token id -> normalised TF-IDF weight of the query (unknown tokens count in the norm)."""
        counts = Counter(lexical_terms(query) if terms is None else terms)
        raw: dict[int, float] = {}
        norm_sq = 0.0
        unknown_idf = math.log(1 + self.n_docs) + 1.0
        for token, count in counts.items():
            token_id = self.vocab.get(token)
            w = (1.0 + math.log(count)) * (float(self.idf[token_id]) if token_id is not None else unknown_idf)
            norm_sq += w * w
            if token_id is not None:
                raw[token_id] = w
        norm = math.sqrt(norm_sq) or 1.0
        return {t: w / norm for t, w in raw.items()}

    def score_all(self, query: str, terms: Sequence[str] | None = None) -> np.ndarray:
        """Cosine score of every document (0 for those sharing no token with the query)."""
        qv = self.query_vector(query, terms)
        if not qv:
            return np.zeros(self.n_docs, dtype=np.float32)
        parts_ids, parts_w = [], []
        for token_id, qw in qv.items():
            lo, hi = self.indptr[token_id], self.indptr[token_id + 1]
            parts_ids.append(self.doc_ids[lo:hi])
            parts_w.append(self.weights[lo:hi] * np.float32(qw))
        summed = np.bincount(np.concatenate(parts_ids), weights=np.concatenate(parts_w), minlength=self.n_docs)
        return np.minimum(summed, 1.0).astype(np.float32)

    def scores(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """(document ids, cosine scores) of the documents sharing at least one token with the query."""
        all_scores = self.score_all(query)
        ids = np.flatnonzero(all_scores)
        return ids.astype(np.int64), all_scores[ids]

    def save(self, path: Path) -> None:
        """Write the index to `path` (.npz)."""
        tokens = np.array(sorted(self.vocab, key=self.vocab.__getitem__), dtype=np.str_)
        np.savez(
            path,
            tokens=tokens,
            idf=self.idf,
            indptr=self.indptr,
            doc_ids=self.doc_ids,
            weights=self.weights,
            n_docs=np.array(self.n_docs),
        )

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        """Read an index written by `save`."""
        with np.load(path, allow_pickle=False) as z:
            vocab = {str(t): i for i, t in enumerate(z["tokens"].tolist())}
            return cls(vocab, z["idf"], z["indptr"], z["doc_ids"], z["weights"], int(z["n_docs"]))
