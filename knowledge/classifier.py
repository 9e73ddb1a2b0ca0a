"""A topic classifier trained on the corpus phrasings at build time, used as a third score next to the
dense and lexical similarities.

Nearest-phrasing search judges a query by the single closest phrasing; a linear model trained on every
phrasing of a topic learns which words and dimensions set that topic apart from its neighbours (续贷材料 vs
申请材料, 人工服务时间 vs 转人工). Features, each block L2-normalised: the encoder's vector, TF-IDF of character
1-3-grams (of each whitespace-separated piece padded with spaces, so Chinese runs and English words both
work) and TF-IDF of the lexical index's terms (jieba tokens and Chinese bigrams). Multinomial logistic
regression (scikit-learn) is fitted once per build; what is stored is plain arrays (vocabulary, idf,
weights), so loading needs no pickle and a query costs one small dot product.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.errors import ClassifierError, IndexFormatError
from knowledge.lexical import vocabulary_and_idf
from knowledge.text import lexical_terms

log = logging.getLogger(__name__)

CHAR_NGRAMS = (1, 2, 3)
# The class of the out-of-scope anchors; no entry has this topic, so its probability only takes mass away.
OUT_OF_SCOPE_LABEL = "__out_of_scope__"


@dataclass(frozen=True, slots=True)
class ClassifierOptions:
    """Regularisation (C, chosen by cross-validation on the corpus, see README) and the training caps."""

    c: float = 100.0
    # The real corpus converges in about 30 L-BFGS iterations; the cap bounds the build time of a corpus
    # whose topics are hard to separate.
    max_iter: int = 300
    # Above this many phrasings a stratified, seeded sample is trained on (the synthetic 250k-phrasing
    # corpus of the benchmark); the real corpus is far below it.
    max_rows: int = 20_000
    seed: int = 13


def sparse_terms(text: str, terms: Sequence[str] | None = None) -> list[str]:
    """The sparse features of a normalised text: 'c:' character n-grams and 'w:' lexical terms (`terms`:
    its `lexical_terms`, when the caller has them already)."""
    lowered = text.lower()
    chars: list[str] = []
    for piece in lowered.split():
        padded = f" {piece} "
        for n in CHAR_NGRAMS:
            chars.extend("c:" + padded[i : i + n] for i in range(len(padded) - n + 1) if padded[i : i + n] != " ")
    return chars + ["w:" + t for t in (lexical_terms(text) if terms is None else terms)]


class TopicClassifier:
    """P(topic | query) from a linear model over [dense vector, char n-gram TF-IDF, term TF-IDF]."""

    def __init__(
        self,
        topics: Sequence[str],
        vocab: dict[str, int],
        idf: np.ndarray,
        is_char: np.ndarray,
        dense_weights: np.ndarray,
        sparse_weights: np.ndarray,
        intercept: np.ndarray,
    ) -> None:
        self.topics = list(topics)
        self.vocab = vocab
        self.idf = idf
        self.is_char = is_char
        self.dense_weights = dense_weights  # (dim, n_topics)
        self.sparse_weights = sparse_weights  # (n_terms, n_topics)
        self.intercept = intercept  # (n_topics,)

    # ---------- features ----------
    def _sparse_row(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Known term ids and their TF-IDF values, each block (char / term) L2-normalised."""
        counts = Counter(terms)
        ids = np.fromiter((self.vocab[t] for t in counts if t in self.vocab), dtype=np.int64)
        if not len(ids):
            return ids, np.zeros(0, dtype=np.float32)
        tf = np.array([1.0 + math.log(counts[t]) for t in counts if t in self.vocab], dtype=np.float32)
        values = tf * self.idf[ids]
        for block in (True, False):
            mask = self.is_char[ids] == block
            norm = float(np.linalg.norm(values[mask]))
            if norm:
                values[mask] /= norm
        return ids, values

    def logits(self, text: str, vector: np.ndarray, terms: Sequence[str] | None = None) -> np.ndarray:
        """Unnormalised topic scores for one normalised text and its (unit) dense vector."""
        ids, values = self._sparse_row(sparse_terms(text, terms))
        out = vector.astype(np.float32) @ self.dense_weights + self.intercept
        if len(ids):
            out = out + values @ self.sparse_weights[ids]
        logits: np.ndarray = out
        return logits

    def predict_proba(self, text: str, vector: np.ndarray, terms: Sequence[str] | None = None) -> np.ndarray:
        """Softmax over `topics`."""
        z = self.logits(text, vector, terms)
        z = np.exp(z - z.max())
        probabilities: np.ndarray = (z / z.sum()).astype(np.float32)
        return probabilities

    # ---------- training ----------
    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        vectors: np.ndarray,
        labels: Sequence[str],
        options: ClassifierOptions | None = None,
        *,
        out_of_scope_texts: Sequence[str] = (),
        out_of_scope_vectors: np.ndarray | None = None,
    ) -> TopicClassifier | None:
        """Train on normalised phrasings (and the out-of-scope anchors, as class `OUT_OF_SCOPE_LABEL`);
        None when there are fewer than two classes (nothing to learn)."""
        from scipy.sparse import csr_matrix, hstack
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        options = options or ClassifierOptions()
        n_oos = 0 if out_of_scope_vectors is None else len(out_of_scope_vectors)
        if not len(texts) == len(vectors) == len(labels) or n_oos != len(out_of_scope_texts):
            raise ClassifierError("texts, vectors and labels (and the out-of-scope texts and vectors) must pair up")
        rows = _training_rows(labels, options)
        train_texts = [texts[i] for i in rows] + list(out_of_scope_texts)
        train_labels = [labels[i] for i in rows] + [OUT_OF_SCOPE_LABEL] * len(out_of_scope_texts)
        train_vectors = vectors[rows]
        if out_of_scope_vectors is not None and n_oos:
            train_vectors = np.vstack([train_vectors, out_of_scope_vectors])
        topics = sorted(set(train_labels))
        if len(topics) < 2:
            return None
        term_lists = [sparse_terms(text) for text in train_texts]
        vocab, idf = vocabulary_and_idf(term_lists)
        n_docs = len(train_texts)
        is_char = np.array([t.startswith("c:") for t in vocab], dtype=bool)
        model = cls(
            topics,
            vocab,
            idf,
            is_char,
            np.zeros((vectors.shape[1], len(topics)), np.float32),
            np.zeros((len(vocab), len(topics)), np.float32),
            np.zeros(len(topics), np.float32),
        )
        indptr, indices, data = [0], [], []
        for terms in term_lists:
            ids, values = model._sparse_row(terms)
            indices.extend(ids.tolist())
            data.extend(values.tolist())
            indptr.append(len(indices))
        sparse = csr_matrix((data, indices, indptr), shape=(n_docs, len(vocab)), dtype=np.float32)
        features = hstack([csr_matrix(train_vectors), sparse]).tocsr()
        topic_no = {t: i for i, t in enumerate(topics)}
        y = np.array([topic_no[label] for label in train_labels])
        clf = LogisticRegression(C=options.c, max_iter=options.max_iter)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            clf.fit(features, y)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            log.warning("topic classifier stopped after %d iterations without converging", options.max_iter)
        coef = clf.coef_.astype(np.float32)  # (n_topics, dim + n_terms)
        intercept = clf.intercept_.astype(np.float32)
        if len(topics) == 2:  # binary: sklearn keeps one row for the second class
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
        dim = vectors.shape[1]
        model.dense_weights = np.ascontiguousarray(coef[:, :dim].T)
        model.sparse_weights = np.ascontiguousarray(coef[:, dim:].T)
        model.intercept = intercept
        return model

    # ---------- storage ----------
    def save(self, path: Path) -> None:
        """Write plain arrays to `path` (.npz, no pickle)."""
        terms = np.array(sorted(self.vocab, key=self.vocab.__getitem__), dtype=np.str_)
        np.savez(
            path,
            topics=np.array(self.topics, dtype=np.str_),
            terms=terms,
            idf=self.idf,
            is_char=self.is_char,
            dense_weights=self.dense_weights,
            sparse_weights=self.sparse_weights,
            intercept=self.intercept,
        )

    @classmethod
    def load(cls, path: Path) -> TopicClassifier:
        """Read a classifier written by `save`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                model = cls(
                    topics=[str(t) for t in z["topics"].tolist()],
                    vocab={str(t): i for i, t in enumerate(z["terms"].tolist())},
                    idf=z["idf"],
                    is_char=z["is_char"],
                    dense_weights=z["dense_weights"],
                    sparse_weights=z["sparse_weights"],
                    intercept=z["intercept"],
                )
        except (OSError, KeyError, ValueError) as exc:
            raise IndexFormatError(f"cannot load the topic classifier {path}: {exc}") from exc
        n_topics = len(model.topics)
        if (
            model.sparse_weights.shape != (len(model.vocab), n_topics)
            or model.dense_weights.shape[1] != n_topics
            or model.intercept.shape != (n_topics,)
            or model.idf.shape != (len(model.vocab),)
        ):
            raise IndexFormatError(f"{path}: classifier arrays disagree in shape")
        return model


def _training_rows(labels: Sequence[str], options: ClassifierOptions) -> np.ndarray:
    """All rows, or a stratified seeded sample of `max_rows` when the corpus is larger."""
    n = len(labels)
    if n <= options.max_rows:
        return np.arange(n)
    rng = np.random.default_rng(options.seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    share = options.max_rows / n
    picked: list[int] = []
    for rows in by_label.values():
        take = max(1, round(len(rows) * share))
        picked.extend(rng.choice(rows, size=min(take, len(rows)), replace=False).tolist())
    return np.array(sorted(picked))
