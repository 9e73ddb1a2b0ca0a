"""The calibrated fusion weights and abstain threshold, per encoder (`knowledge/calibration.json`)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Calibration:
    """Fusion weights of the lexical boost and the topic classifier, and the abstain threshold, for one encoder."""

    encoder: str
    lexical_weight: float
    abstain_threshold: float
    # Share of the topic classifier's probability in the fused score (0: similarity search alone).
    topic_weight: float = 0.0
    # Abstain when an out-of-scope anchor is at least this close compared with the best hit's dense score
    # (anchor similarity >= hit similarity + margin); None: anchors are not used.
    negative_margin: float | None = None
    source: str = ""
    metrics: dict[str, Any] = field(default_factory=dict, compare=False)


def load_calibration(path: Path, encoder: str) -> Calibration | None:
    """The calibration stored for `encoder`, or None when there is none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    entry = data.get("encoders", {}).get(encoder)
    if not entry:
        return None
    return Calibration(
        encoder=encoder,
        lexical_weight=float(entry["lexical_weight"]),
        abstain_threshold=float(entry["abstain_threshold"]),
        topic_weight=float(entry.get("topic_weight", 0.0)),
        negative_margin=None if entry.get("negative_margin") is None else float(entry["negative_margin"]),
        source=str(path),
        metrics=dict(entry.get("metrics", {})),
    )


def save_calibration(path: Path, calibration: Calibration, extra: dict[str, Any]) -> None:
    """Store `calibration` under its encoder in `path`, keeping the other encoders' entries."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    record = asdict(calibration)
    record.pop("encoder")
    record.pop("source")
    record.update(extra)
    data.setdefault("encoders", {})[calibration.encoder] = record
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
