"""Benchmark of the FAQ index: query latency (encoding on one thread), build time and peak memory for the
real corpus and a synthetic 50,000-entry corpus, flat vs HNSW.

    .venv/bin/python bench/knowledge.py [--synthetic-entries 50000] [--json]

Each part runs in its own process so that its peak RSS (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path and its name would shadow the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _percentiles(samples: list[float]) -> dict[str, float]:
    import numpy as np

    arr = np.array(samples)
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
    }


def _queries(limit: int) -> list[str]:
    path = ROOT / "knowledge" / "eval" / "queries.jsonl"
    if path.exists():
        return [json.loads(line)["query"] for line in path.read_text("utf-8").splitlines() if line.strip()][:limit]
    return ["提款多久到账", "贷款利率是多少", "How do I repay early?", "无还本续贷怎么申请"] * (limit // 4)


def _latency(settings: Any, queries: list[str]) -> dict[str, Any]:
    from knowledge.search import FaqSearcher

    searcher = FaqSearcher(settings, log_abstentions=False)
    for q in queries[:20]:
        searcher.search(q)
    samples = []
    for q in queries:
        t0 = time.perf_counter()
        searcher.search(q)
        samples.append((time.perf_counter() - t0) * 1000)
    encode = []
    for q in queries[:200]:
        t0 = time.perf_counter()
        searcher._state.encoder.encode([q])
        encode.append((time.perf_counter() - t0) * 1000)
    return {"search": _percentiles(samples), "encode_only": _percentiles(encode), "n_queries": len(samples)}


def part_real() -> dict[str, Any]:
    from knowledge.config import KnowledgeSettings
    from knowledge.corpus import load_corpus
    from knowledge.encoders import create_encoder
    from knowledge.index import BuildOptions, build_index

    with tempfile.TemporaryDirectory() as tmp:
        settings = KnowledgeSettings(index_dir=Path(tmp) / "index")
        t0 = time.perf_counter()
        encoder = create_encoder(settings.encoder, threads=1)
        load_s = time.perf_counter() - t0
        corpus = load_corpus(settings.corpus_dir)
        t0 = time.perf_counter()
        path = build_index(corpus, encoder, settings.index_dir, BuildOptions(progress=False))
        build_s = time.perf_counter() - t0
        manifest = json.loads((path / "manifest.json").read_text("utf-8"))
        latency = _latency(settings, _queries(500))
    return {
        "part": "real",
        "entries": manifest["entry_count"],
        "vectors": manifest["vector_count"],
        "index_type": manifest["index_type"],
        "encoder_load_s": round(load_s, 2),
        "build_s": round(build_s, 2),
        "latency": latency,
        "peak_rss_mb": _rss_mb(),
    }


def synthetic_entries(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Entries whose phrasings recombine jieba tokens / words of two real phrasings of the entry's topic
    (a larger FAQ of the same bank: topics stay consistent, so the topic classifier has something to learn)."""
    from knowledge.config import KnowledgeSettings
    from knowledge.corpus import load_corpus
    from knowledge.text import tokenize

    rng = random.Random(seed)
    corpus = load_corpus(KnowledgeSettings().corpus_dir)
    topics = sorted(corpus.topics)
    zh_pool = {t: [tokenize(q) for e in corpus.entries if e.topic == t for q in e.questions["zh"]] for t in topics}
    en_pool = {t: [q.split() for e in corpus.entries if e.topic == t for q in e.questions["en"]] for t in topics}

    def recombine(pool: list[list[str]], sep: str) -> str:
        a, b = rng.choice(pool), rng.choice(pool)
        cut_a, cut_b = rng.randint(1, max(1, len(a))), rng.randint(0, max(0, len(b) - 1))
        return sep.join(a[:cut_a] + b[cut_b:])

    def distinct(pool: list[list[str]], sep: str, count: int) -> list[str]:
        out: dict[str, None] = {}
        while len(out) < count:
            out.setdefault(recombine(pool, sep), None)
        return list(out)

    entries = []
    for i in range(n):
        topic = rng.choice(topics)
        entries.append(
            {
                "id": f"synthetic-{i:06d}",
                "topic": topic,
                "version": 1,
                "effective_date": "2026-11-01",
                "questions": {
                    "zh": distinct(zh_pool[topic], "", 3),
                    "en": distinct(en_pool[topic], " ", 2),
                },
                "answer": {"zh": "合成答案", "en": "synthetic answer"},
            }
        )
    return entries


def part_synthetic(n_entries: int) -> dict[str, Any]:
    import faiss
    import numpy as np

    from knowledge.config import KnowledgeSettings
    from knowledge.corpus import corpus_from_entries, parse_entry
    from knowledge.encoders import create_encoder
    from knowledge.index import BuildOptions, build_index, load_current

    faiss.omp_set_num_threads(1)
    raw = synthetic_entries(n_entries)
    corpus = corpus_from_entries(parse_entry(e, e["id"]) for e in raw)
    with tempfile.TemporaryDirectory() as tmp:
        settings = KnowledgeSettings(index_dir=Path(tmp) / "index")
        encoder = create_encoder(settings.encoder, threads=1)
        t0 = time.perf_counter()
        path = build_index(
            corpus,
            encoder,
            settings.index_dir,
            BuildOptions(hnsw_min_vectors=settings.hnsw_min_vectors, batch_size=512, progress=True),
        )
        build_s = time.perf_counter() - t0
        manifest = json.loads((path / "manifest.json").read_text("utf-8"))
        rss_after_build = _rss_mb()
        latency = _latency(settings, _queries(300))
        loaded = load_current(settings.index_dir)
        vectors = loaded.vectors.reconstruct_n(0, loaded.vectors.ntotal)
    queries = encoder.encode(_queries(200))
    sizes, rows = [1_000, 5_000, 10_000, 20_000, 50_000, 100_000, len(vectors)], []
    rng = np.random.default_rng(0)
    for size in sorted(set(s for s in sizes if s <= len(vectors))):
        sub = vectors[rng.choice(len(vectors), size, replace=False)]
        flat = faiss.IndexFlatIP(sub.shape[1])
        t0 = time.perf_counter()
        flat.add(sub)
        flat_build = time.perf_counter() - t0
        hnsw = faiss.IndexHNSWFlat(sub.shape[1], settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = settings.hnsw_ef_construction
        t0 = time.perf_counter()
        hnsw.add(sub)
        hnsw_build = time.perf_counter() - t0
        hnsw.hnsw.efSearch = settings.hnsw_ef_search
        timings: dict[str, list[float]] = {"flat": [], "hnsw": []}
        recall = []
        for q in queries:
            t0 = time.perf_counter()
            _, exact = flat.search(q[None, :], 10)
            timings["flat"].append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            _, approx = hnsw.search(q[None, :], 10)
            timings["hnsw"].append((time.perf_counter() - t0) * 1000)
            recall.append(len(set(exact[0]) & set(approx[0])) / 10)
        rows.append(
            {
                "vectors": size,
                "flat_search": _percentiles(timings["flat"]),
                "hnsw_search": _percentiles(timings["hnsw"]),
                "flat_build_s": round(flat_build, 3),
                "hnsw_build_s": round(hnsw_build, 2),
                "hnsw_recall_at_10": round(float(np.mean(recall)), 4),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return {
        "part": "synthetic",
        "entries": manifest["entry_count"],
        "vectors": manifest["vector_count"],
        "index_type": manifest["index_type"],
        "build_s": round(build_s, 1),
        "manifest_build_s": manifest["build_seconds"],
        "peak_rss_after_build_mb": rss_after_build,
        "latency": latency,
        "flat_vs_hnsw": rows,
        "peak_rss_mb": _rss_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic-entries", type=int, default=50_000)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--part", choices=["real", "synthetic"], help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.part == "real":
        print(json.dumps(part_real()))
        return 0
    if args.part == "synthetic":
        print(json.dumps(part_synthetic(args.synthetic_entries)))
        return 0
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(ROOT)}
    parts = ["real"] if args.skip_synthetic else ["real", "synthetic"]
    results = {}
    for part in parts:
        out = subprocess.run(
            [sys.executable, __file__, "--part", part, "--synthetic-entries", str(args.synthetic_entries)],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        results[part] = json.loads(out.strip().splitlines()[-1])
        r = results[part]
        print(
            f"{part}: {r['entries']} entries, {r['vectors']} vectors, {r['index_type']}, build {r['build_s']} s, "
            f"peak RSS {r['peak_rss_mb']} MB, search p50 {r['latency']['search']['p50_ms']} ms "
            f"p95 {r['latency']['search']['p95_ms']} ms (encode alone p95 {r['latency']['encode_only']['p95_ms']} ms)"
        )
        for row in r.get("flat_vs_hnsw", []):
            print(
                f"  {row['vectors']:>7} vectors: flat p50 {row['flat_search']['p50_ms']} ms, "
                f"HNSW p50 {row['hnsw_search']['p50_ms']} ms (recall@10 {row['hnsw_recall_at_10']}, "
                f"build {row['hnsw_build_s']} s)"
            )
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
