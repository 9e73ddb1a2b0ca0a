"""Side-by-side baseline: the same corpus as a Rasa ResponseSelector (retrieval intent `faq/<topic>`).

Writes a tiny Rasa project in a temporary folder, trains it with `rasa train nlu` in the Rasa environment,
serves it with `rasa run --enable-api` on a free loopback port, and sends every query to /model/parse.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from knowledge.corpus import Corpus
from knowledge.errors import KnowledgeError
from knowledge.evaluate import EvalQuery, Outcome, metrics
from knowledge.text import DOMAIN_WORDS, normalize
from knowledge.tune import MAX_NULL_ACCEPT, THRESHOLD_GRID

GREETINGS = ["你好", "您好", "在吗", "哈喽", "早上好", "hi", "hello", "good morning", "hey there"]


class RasaError(KnowledgeError):
    """Training or serving the Rasa baseline failed."""


def topic_key(topic: str) -> str:
    """Response key for a topic slug (`loan.term` -> `loan__term`)."""
    return topic.replace(".", "__")


def key_topic(key: str) -> str:
    """Inverse of `topic_key` (also accepts a full `faq/<key>`)."""
    return key.split("/", 1)[-1].replace("__", ".")


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def write_project(corpus: Corpus, folder: Path, epochs: int) -> None:
    """config.yml, domain.yml, data/nlu.yml and a jieba user dictionary for the corpus."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "jieba").mkdir(exist_ok=True)
    (folder / "jieba" / "user.dict").write_text("".join(f"{w} 20000\n" for w in DOMAIN_WORDS), "utf-8")
    config = {
        "recipe": "default.v1",
        "language": "zh",
        "assistant_id": "faq-baseline",
        "pipeline": [
            {"name": "JiebaTokenizer", "dictionary_path": str(folder / "jieba")},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
            {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True},
            {"name": "ResponseSelector", "epochs": epochs, "constrain_similarities": True},
        ],
        "policies": [],
    }
    examples: dict[str, list[str]] = {}
    responses: dict[str, list[dict[str, str]]] = {}
    for entry in corpus.entries:
        key = topic_key(entry.topic)
        examples.setdefault(key, []).extend(normalize(q) for _, q in entry.phrasings())
        responses.setdefault(f"utter_faq/{key}", []).append({"text": entry.answer("zh")})
    nlu = [
        {"intent": f"faq/{key}", "examples": "".join(f"- {q}\n" for q in dict.fromkeys(qs))}
        for key, qs in sorted(examples.items())
    ]
    nlu.append({"intent": "greet", "examples": "".join(f"- {g}\n" for g in GREETINGS)})
    domain = {"version": "3.1", "intents": ["faq", "greet"], "responses": responses}
    (folder / "config.yml").write_text(_dump(config), "utf-8")
    (folder / "domain.yml").write_text(_dump(domain), "utf-8")
    (folder / "data" / "nlu.yml").write_text(_dump({"version": "3.1", "nlu": nlu}), "utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, payload: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def _parse_outcome(q: EvalQuery, parsed: dict[str, Any], latency_ms: float) -> tuple[list[str], float]:
    selector = parsed.get("response_selector", {}).get("default", {})
    ranking = selector.get("ranking") or []
    topics = [key_topic(r["intent_response_key"]) for r in ranking if r.get("intent_response_key")]
    is_faq = (parsed.get("intent") or {}).get("name") == "faq"
    confidence = float(selector.get("response", {}).get("confidence") or 0.0) if is_faq else 0.0
    return topics, confidence


def _threshold(scored: Sequence[tuple[EvalQuery, list[str], float]], max_null_accept: float) -> float:
    """The confidence threshold chosen with the searcher's calibration objective."""
    top = np.array([s for _, _, s in scored])
    correct = np.array([bool(t) and t[0] == q.topic for q, t, _ in scored])
    is_null = np.array([q.topic is None for q, _, _ in scored])
    n_in, n_null = max(int((~is_null).sum()), 1), max(int(is_null.sum()), 1)
    best: tuple[float, float] | None = None
    for t in THRESHOLD_GRID:
        answered = top >= t
        if float((answered & is_null).sum()) / n_null > max_null_accept:
            continue
        utility = float((answered & correct & ~is_null).sum()) - float((answered & ~correct & ~is_null).sum())
        if best is None or utility / n_in > best[1]:
            best = (t, utility / n_in)
    return best[0] if best else 1.0


def evaluate_rasa(
    corpus: Corpus,
    queries: Sequence[EvalQuery],
    *,
    dev: Sequence[EvalQuery] | None,
    rasa_bin: Path,
    epochs: int = 50,
    keep_dir: Path | None = None,
    max_null_accept: float = MAX_NULL_ACCEPT,
) -> dict[str, Any]:
    """Train, serve and query the Rasa baseline; the same figures as `knowledge eval`."""
    if not rasa_bin.exists():
        raise RasaError(f"{rasa_bin} not found (the Rasa 3.6 environment)")
    folder = keep_dir or Path(tempfile.mkdtemp(prefix="faq-rasa-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    server: subprocess.Popen[bytes] | None = None
    try:
        write_project(corpus, folder, epochs)
        started = time.perf_counter()
        train = subprocess.run(
            [
                str(rasa_bin),
                "train",
                "nlu",
                "--config",
                "config.yml",
                "--nlu",
                "data/nlu.yml",
                "--domain",
                "domain.yml",
                "--out",
                "models",
                "--fixed-model-name",
                "faq",
            ],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        train_seconds = time.perf_counter() - started
        if train.returncode != 0:
            raise RasaError(f"rasa train nlu failed:\n{train.stdout[-3000:]}\n{train.stderr[-3000:]}")
        port = _free_port()
        log = (folder / "server.log").open("wb")
        server = subprocess.Popen(
            [
                str(rasa_bin),
                "run",
                "--enable-api",
                "-m",
                "models/faq.tar.gz",
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/model/parse"
        deadline = time.monotonic() + 300
        while True:
            try:
                _post(url, {"text": "你好"}, timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RasaError(f"rasa server did not come up (see {folder / 'server.log'})") from exc
                time.sleep(1.0)

        def run(items: Sequence[EvalQuery]) -> list[tuple[EvalQuery, list[str], float, float]]:
            out = []
            for q in items:
                t0 = time.perf_counter()
                parsed = _post(url, {"text": normalize(q.query)})
                latency = (time.perf_counter() - t0) * 1000
                topics, confidence = _parse_outcome(q, parsed, latency)
                out.append((q, topics, confidence, latency))
            return out

        threshold = 0.0
        if dev:
            threshold = _threshold([(q, t, c) for q, t, c, _ in run(dev)], max_null_accept)
        results = run(queries)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if keep_dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    outcomes = [Outcome(q, topics, conf, conf < threshold, latency) for q, topics, conf, latency in results]
    figures = metrics(outcomes)
    figures.update(
        {
            "system": "rasa-response-selector",
            "confidence_threshold": threshold,
            "train_seconds": round(train_seconds, 1),
            "epochs": epochs,
            "latency_note": "HTTP round trip to rasa run --enable-api /model/parse",
        }
    )
    return figures
