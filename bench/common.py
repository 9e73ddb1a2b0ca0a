"""What the benchmark scripts share: a nearest-rank percentile and the loopback-only guard.

The scripts run as `python bench/<name>.py`, so this folder is on their import path.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile `pct` (0-100) of `values`."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def local_only(url: str) -> str:
    """`url` without a trailing slash; exits unless it points at 127.0.0.1 (benchmarks load this machine only)."""
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit(f"refusing {url}: this benchmark talks to 127.0.0.1 only")
    return url.rstrip("/")
