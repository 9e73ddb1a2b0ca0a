"""The command line: build, search, calibrate and eval, with --json output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from knowledge_fixtures import FIXTURE_ENTRIES, write_corpus

from knowledge.cli import main
from knowledge.config import REPO_ROOT

QUERIES = [
    {"query": "提取的钱要多久才能到账户", "topic": "drawdown.arrival_time"},
    {"query": "when will my drawdown land in the account", "topic": "drawdown.arrival_time"},
    {"query": "你们贷款年利率大概多少", "topic": "loan.interest_rate"},
    {"query": "什么材料都要准备啥", "topic": "loan.materials"},
    {"query": "客服晚上几点下班", "topic": "service.hours"},
    {"query": "今天天气怎么样", "topic": None},
    {"query": "recommend a good movie", "topic": None},
    {"query": "帮我订一张去上海的机票", "topic": None},
]


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "KNOWLEDGE_CORPUS_DIR": str(write_corpus(tmp_path / "faq", FIXTURE_ENTRIES)),
        "KNOWLEDGE_INDEX_DIR": str(tmp_path / "index"),
        "KNOWLEDGE_ABSTAIN_LOG": str(tmp_path / "abstained.jsonl"),
        "KNOWLEDGE_CALIBRATION_FILE": str(tmp_path / "calibration.json"),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "queries.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUERIES), encoding="utf-8"
    )
    return values


def _last_json(out: str) -> Any:
    """The last line of the command's output, a JSON object or array."""
    return json.loads(out.strip().splitlines()[-1])


def test_build_search_calibrate_eval(env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--json", "--quiet"]) == 0
    manifest = _last_json(capsys.readouterr().out)
    assert manifest["entry_count"] == len(FIXTURE_ENTRIES) and manifest["encoder"] == "use-multilingual"

    assert main(["calibrate", "--dev", str(tmp_path / "queries.jsonl"), "--json"]) == 0
    chosen = _last_json(capsys.readouterr().out)
    stored = json.loads(Path(env["KNOWLEDGE_CALIBRATION_FILE"]).read_text(encoding="utf-8"))
    record = stored["encoders"]["use-multilingual"]
    assert record["lexical_weight"] == chosen["lexical_weight"]
    assert record["abstain_threshold"] == chosen["abstain_threshold"]
    assert record["topic_weight"] == chosen["topic_weight"]
    assert {(row["lexical_weight"], row["topic_weight"]) for row in record["grid"]} >= {(0.0, 0.0), (0.3, 0.4)}
    assert record["grid"] and record["dev_queries"] == len(QUERIES)

    assert main(["eval", "--queries", str(tmp_path / "queries.jsonl"), "--json"]) == 0
    figures = _last_json(capsys.readouterr().out)
    for key in (
        "accuracy_at_1",
        "recall_at_3",
        "mrr",
        "abstention_precision",
        "abstention_recall",
        "null_wrong_answer_rate",
        "latency_p50_ms",
        "latency_p95_ms",
    ):
        assert key in figures and key in figures["by_language"]["zh"] and key in figures["by_language"]["en"]
    assert figures["accuracy_at_1"] == 1.0 and figures["null_wrong_answer_rate"] == 0.0
    assert figures["abstain_threshold"] == chosen["abstain_threshold"]
    assert figures["topic_weight"] == chosen["topic_weight"]
    assert figures["queries"] == len(QUERIES) and figures["out_of_scope"] == 3

    assert main(["search", "提款多久到账", "--json"]) == 0
    result = _last_json(capsys.readouterr().out)
    assert result["hits"][0]["entry_id"] == "drawdown-arrival-001" and result["hits"][0]["version"] == 1
    assert not result["abstained"] and len(result["hits"]) == 3


def test_search_without_index_is_a_clean_error(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "提款多久到账"]) == 2
    assert "python -m knowledge build" in capsys.readouterr().err


def test_module_entry_point(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "knowledge", "build", "--quiet"],
        cwd=REPO_ROOT,
        env=os.environ,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [sys.executable, "-m", "knowledge", "search", "利率多少", "--json", "--language", "en"],
        cwd=REPO_ROOT,
        env=os.environ,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = _last_json(out)
    assert result["language"] == "en" and result["hits"][0]["topic"] == "loan.interest_rate"
    assert result["hits"][0]["answer"].startswith("The annual rate")


def test_cv_classifier_reports_accuracy_per_c_and_language(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    anchors = tmp_path / "out_of_scope.yaml"
    anchors.write_text("version: 1\nphrasings:\n  zh: [明天会下雨吗, 讲个笑话]\n  en: [what's the weather]\n", "utf-8")
    monkeypatch.setenv("KNOWLEDGE_OUT_OF_SCOPE_FILE", str(anchors))
    assert main(["cv-classifier", "--c", "1,100", "--folds", "5", "--json"]) == 0
    rows = _last_json(capsys.readouterr().out)
    assert [row["c"] for row in rows] == [1.0, 100.0]
    for row in rows:
        assert row["phrasings"] == 5 * len(FIXTURE_ENTRIES)
        assert 0.0 <= row["accuracy_zh"] <= 1.0 and 0.0 <= row["accuracy_en"] <= 1.0
    # held-out phrasings of six distinct topics are mostly recognised by a classifier trained on the rest
    assert rows[1]["accuracy"] >= 0.7
    # too few phrasings per topic for the number of folds is a clean error, not a crash
    assert main(["cv-classifier", "--folds", "6"]) == 2
    assert "at least 6 phrasings" in capsys.readouterr().err
