"""Command line: build, search, eval, calibrate, cv-classifier, eval-rasa."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from knowledge.calibration import save_calibration
from knowledge.config import KnowledgeSettings
from knowledge.corpus import load_corpus, load_out_of_scope
from knowledge.encoders import create_encoder, encoder_names
from knowledge.errors import KnowledgeError
from knowledge.evaluate import format_metrics, load_queries, metrics
from knowledge.index import BuildOptions, build_index


def _settings(args: argparse.Namespace) -> KnowledgeSettings:
    settings = KnowledgeSettings()
    updates: dict[str, Any] = {}
    if getattr(args, "encoder", None):
        updates["encoder"] = args.encoder
        if args.encoder != settings.encoder:
            updates["model"] = None
    if getattr(args, "model", None):
        updates["model"] = args.model
    if getattr(args, "index_dir", None):
        updates["index_dir"] = Path(args.index_dir)
    return settings.model_copy(update=updates) if updates else settings


def _build(settings: KnowledgeSettings, quiet: bool = False) -> Path:
    corpus = load_corpus(settings.corpus_dir)
    encoder = create_encoder(settings.encoder, settings.model, threads=settings.threads)
    options = BuildOptions(
        hnsw_min_vectors=settings.hnsw_min_vectors,
        hnsw_m=settings.hnsw_m,
        hnsw_ef_construction=settings.hnsw_ef_construction,
        batch_size=settings.encode_batch_size,
        progress=not quiet,
    )
    negatives = load_out_of_scope(settings.out_of_scope_file)
    return build_index(corpus, encoder, settings.index_dir, options, negatives=negatives)


def cmd_build(args: argparse.Namespace) -> int:
    settings = _settings(args)
    path = _build(settings, quiet=args.quiet)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    print(
        json.dumps(manifest, ensure_ascii=False)
        if args.json
        else f"built {path} ({manifest['entry_count']} entries, {manifest['vector_count']} vectors, "
        f"{manifest['index_type']}, {manifest['build_seconds']} s)"
    )
    return 0


def _searcher(settings: KnowledgeSettings, log_abstentions: bool) -> Any:
    from knowledge.search import FaqSearcher

    return FaqSearcher(settings, log_abstentions=log_abstentions)


def cmd_search(args: argparse.Namespace) -> int:
    searcher = _searcher(_settings(args), log_abstentions=not args.no_log)
    result = searcher.search(args.query, language=args.language, k=args.k)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    status = "ABSTAINED (not sure)" if result.abstained else "answered"
    if result.out_of_scope_similarity is not None:
        status += f", out-of-scope anchor similarity {result.out_of_scope_similarity:.3f}"
    print(f"{status}: threshold {result.threshold:.3f}, build {result.build_id}, {result.latency_ms:.1f} ms")
    for n, hit in enumerate(result.hits, 1):
        print(
            f"{n}. {hit.entry_id} v{hit.version} [{hit.topic}] score {hit.score:.3f} "
            f"(dense {hit.dense_score:.3f}, lexical {hit.lexical_score:.3f}, topic {hit.topic_probability:.3f})"
        )
        print(f"   {hit.answer}")
    return 0


def _ensure_index(settings: KnowledgeSettings, rebuild: bool) -> KnowledgeSettings:
    """For eval with another encoder: an index of that encoder in its own folder, built if needed."""
    from knowledge.corpus import load_corpus as _load
    from knowledge.index import current_build_id, load_build

    default = KnowledgeSettings()
    if settings.encoder != default.encoder and settings.index_dir == default.index_dir:
        settings = settings.model_copy(update={"index_dir": settings.index_dir.parent / f"index-{settings.encoder}"})
    corpus_hash = _load(settings.corpus_dir).hash
    try:
        manifest = load_build(settings.index_dir / current_build_id(settings.index_dir)).manifest
        stale = (
            manifest.corpus_hash != corpus_hash
            or manifest.encoder != settings.encoder
            or manifest.negative_count != len(load_out_of_scope(settings.out_of_scope_file))
        )
    except KnowledgeError:
        stale = True
    if stale or rebuild:
        print(f"building the {settings.encoder} index in {settings.index_dir}", file=sys.stderr)
        _build(settings, quiet=True)
    return settings


def cmd_eval(args: argparse.Namespace) -> int:
    from knowledge.tune import run_searcher

    settings = _ensure_index(_settings(args), args.rebuild)
    queries = load_queries(Path(args.queries))
    searcher = _searcher(settings, log_abstentions=False)
    searcher.search("预热 warm-up")
    figures = metrics(run_searcher(searcher, queries, progress=not args.json))
    figures["encoder"] = searcher.index.manifest.encoder
    figures["model"] = searcher.index.manifest.model
    figures["build_id"] = searcher.build_id
    figures["lexical_weight"] = searcher.calibration.lexical_weight
    figures["topic_weight"] = searcher.calibration.topic_weight
    figures["abstain_threshold"] = searcher.calibration.abstain_threshold
    figures["negative_margin"] = searcher.calibration.negative_margin
    figures["calibration_source"] = searcher.calibration.source
    print(format_metrics(f"{figures['encoder']} on {args.queries}", figures))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from knowledge.tune import calibrate

    settings = _ensure_index(_settings(args), args.rebuild)
    searcher = _searcher(settings, log_abstentions=False)
    queries = load_queries(Path(args.dev))
    calibration, report = calibrate(searcher, queries, max_null_accept=args.max_null_accept)
    calibration = replace(calibration, metrics=report["dev_metrics"])
    save_calibration(
        settings.calibration_file,
        calibration,
        {
            "dev_file": args.dev,
            "dev_queries": len(queries),
            "corpus_hash": searcher.index.manifest.corpus_hash,
            "model": searcher.index.manifest.model,
            "objective": report["objective"],
            "max_null_accept": report["max_null_accept"],
            "grid": report["grid"],
        },
    )
    print(format_metrics(f"dev metrics with the chosen values ({args.dev})", report["dev_metrics"]))
    print(
        f"chosen lexical_weight={calibration.lexical_weight} topic_weight={calibration.topic_weight}"
        f" abstain_threshold={calibration.abstain_threshold} negative_margin={calibration.negative_margin}"
        f" -> {settings.calibration_file}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "negative_margin": calibration.negative_margin,
                    "lexical_weight": calibration.lexical_weight,
                    "topic_weight": calibration.topic_weight,
                    "abstain_threshold": calibration.abstain_threshold,
                    **report["dev_metrics"],
                }
            )
        )
    return 0


def cmd_cv_classifier(args: argparse.Namespace) -> int:
    from knowledge.tune import cross_validate_classifier

    settings = _settings(args)
    c_values = [float(c) for c in args.c.split(",")]
    rows = cross_validate_classifier(
        load_corpus(settings.corpus_dir),
        create_encoder(settings.encoder, settings.model, threads=settings.threads),
        c_values,
        negatives=load_out_of_scope(settings.out_of_scope_file),
        folds=args.folds,
    )
    print(f"topic classifier, {args.folds}-fold cross-validation on the corpus phrasings")
    for row in rows:
        langs = " ".join(f"{k.removeprefix('accuracy_')} {v}" for k, v in row.items() if k.startswith("accuracy_"))
        print(f"C={row['c']:<8g} accuracy {row['accuracy']}  ({langs})")
    if args.json:
        print(json.dumps(rows))
    return 0


def cmd_eval_rasa(args: argparse.Namespace) -> int:
    from knowledge.rasa_eval import evaluate_rasa

    settings = _settings(args)
    figures = evaluate_rasa(
        load_corpus(settings.corpus_dir),
        load_queries(Path(args.queries)),
        dev=load_queries(Path(args.dev)) if args.dev else None,
        rasa_bin=Path(args.rasa_bin),
        epochs=args.epochs,
        keep_dir=Path(args.keep_dir) if args.keep_dir else None,
    )
    print(format_metrics(f"Rasa ResponseSelector on {args.queries}", figures))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--encoder", choices=encoder_names(), help="default: KNOWLEDGE_ENCODER")
        sp.add_argument("--model", help="model name or folder (default: KNOWLEDGE_MODEL)")
        sp.add_argument("--index-dir", help="default: KNOWLEDGE_INDEX_DIR")
        sp.add_argument("--json", action="store_true", help="last line: one JSON object")

    b = sub.add_parser("build", help="encode the corpus into a new index build")
    common(b)
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("search", help="search the current index")
    common(s)
    s.add_argument("query")
    s.add_argument("--language", choices=["zh", "en"])
    s.add_argument("-k", type=int, default=3)
    s.add_argument("--no-log", action="store_true", help="do not log an abstention")
    s.set_defaults(func=cmd_search)

    e = sub.add_parser("eval", help="evaluate on a JSONL query file")
    common(e)
    e.add_argument("--queries", required=True)
    e.add_argument("--rebuild", action="store_true")
    e.set_defaults(func=cmd_eval)

    c = sub.add_parser("calibrate", help="grid-search fusion weights and abstain threshold on a dev set")
    common(c)
    c.add_argument("--dev", required=True)
    c.add_argument("--max-null-accept", type=float, default=0.03)
    c.add_argument("--rebuild", action="store_true")
    c.set_defaults(func=cmd_calibrate)

    v = sub.add_parser("cv-classifier", help="cross-validate the topic classifier's C on the corpus phrasings")
    common(v)
    v.add_argument("--c", default="30,100,300,1000", help="comma-separated values of C")
    v.add_argument("--folds", type=int, default=5)
    v.set_defaults(func=cmd_cv_classifier)

    r = sub.add_parser("eval-rasa", help="the same corpus as a Rasa ResponseSelector, same figures")
    common(r)
    r.add_argument("--queries", required=True)
    r.add_argument("--dev", help="dev set to calibrate Rasa's confidence threshold")
    r.add_argument("--rasa-bin", default=str(Path(__file__).resolve().parent.parent / ".venv-rasa/bin/rasa"))
    r.add_argument("--epochs", type=int, default=50)
    r.add_argument("--keep-dir", help="keep the generated Rasa project here")
    r.set_defaults(func=cmd_eval_rasa)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code: int = args.func(args)
    except KnowledgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code
