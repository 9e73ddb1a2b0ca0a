"""Evaluates the trained model on the held-out NLU test set (bot/tests/nlu_test.yml), as production reads it.

Starts a Rasa server with the model (its HTTP API on a free local port), sends every test message through
``/model/parse`` after the hub's own text normalisation (Traditional -> Simplified), and prints:
intent macro-F1 per language (an example is Chinese when it has a CJK character), out-of-scope recall, and
entity precision/recall/F1 per entity type (exact span and type). Writes bot/eval/nlu_eval.json.
Targets: macro-F1 >= 0.92 zh, >= 0.90 en; out-of-scope recall >= 0.85; entity F1 >= 0.90 for amount, term, mobile.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from textkit.chinese import to_simplified  # noqa: E402

ANNOTATION = re.compile(r"\[([^\]]+)\]\(([a-z_]+)\)|\[([^\]]+)\](\{[^}]+\})")
CJK = re.compile(r"[\u3400-\u9fff]")
TARGETS = {"macro_f1_zh": 0.92, "macro_f1_en": 0.90, "out_of_scope_recall": 0.85}
ENTITY_TARGETS = ("amount", "term", "mobile")


def parse_example(line: str) -> tuple[str, list[tuple[str, str]]]:
    """The plain text of a Rasa training example and its (entity, value text) annotations."""
    entities: list[tuple[str, str]] = []
    out, last = [], 0
    for match in ANNOTATION.finditer(line):
        out.append(line[last : match.start()])
        value = match.group(1) or match.group(3)
        entity = match.group(2) or json.loads(match.group(4)).get("entity")
        out.append(value)
        entities.append((entity, value))
        last = match.end()
    out.append(line[last:])
    return "".join(out), entities


def load_examples(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in data["nlu"]:
        if "intent" not in block:
            continue
        for raw in block["examples"].splitlines():
            raw = raw.strip()
            if raw.startswith("- "):
                text, entities = parse_example(raw[2:].strip())
                examples.append({"text": text, "intent": block["intent"], "entities": entities})
    return examples


def resolve_overlaps(entities: list[dict[str, object]]) -> list[tuple[str, str]]:
    """The entities as the assistant uses them: where two extractors found overlapping spans of one entity type
    (DIET and, later in the pipeline, the regexes), the later one stands, as a slot mapping takes the last value."""
    kept: list[dict[str, object]] = []
    for entity in entities:
        kept = [
            k
            for k in kept
            if not (k["entity"] == entity["entity"] and k["start"] < entity["end"] and entity["start"] < k["end"])  # type: ignore[operator]
        ]
        kept.append(entity)
    return [(str(e["entity"]), str(e.get("text") or e["value"])) for e in kept]


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {gold for gold, _ in pairs}
    scores = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        scores.append(f1(tp, fp, fn)[2])
    return sum(scores) / len(scores) if scores else 0.0


BLIND = REPO / "bot" / "tests" / "blind"
MONEY_INTENTS = frozenset({"apply_loan", "drawdown", "repay", "renew_loan"})
HANDOFF_INTENTS = frozenset({"request_human", "complain", "report_fraud"})
# What the model should make of each blind group's messages (bot/tests/blind/, written without the training data).
BLIND_EXPECTED: dict[str, Any] = {
    "out_of_scope": lambda m, p: p == "out_of_scope",
    "near_domain": lambda m, p: p == "other_banking",
    "person_requests": lambda m, p: p in HANDOFF_INTENTS,
    "ambiguous": lambda m, p: p in m.get("readings", ()) or p == "nlu_fallback",
    "in_journey": lambda m, p: {
        "loan_statement": p != "out_of_scope",
        "dont_know": p == "dont_know",
        "repeat": p == "repeat_last",
    }.get(str(m.get("kind")), p not in ("out_of_scope", "nlu_fallback")),
}


def blind_figures(parse: Callable[[str], str]) -> dict[str, Any]:
    """Each blind group through the model: the share the model reads as the group expects, by language, and how
    many of the out-of-scope groups' messages it reads as a money request."""
    figures: dict[str, Any] = {}
    for group, expected in BLIND_EXPECTED.items():
        path = BLIND / f"{group}.yml"
        if not path.exists():
            continue
        messages = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
        rows = [(m, parse(str(m["text"]))) for m in messages]
        group_figures: dict[str, Any] = {"messages": len(rows)}
        for language in ("zh", "en"):
            mine = [(m, p) for m, p in rows if m["language"] == language]
            group_figures[f"expected_{language}"] = round(sum(expected(m, p) for m, p in mine) / max(len(mine), 1), 4)
        group_figures["expected"] = round(sum(expected(m, p) for m, p in rows) / max(len(rows), 1), 4)
        group_figures["money_intent"] = sum(p in MONEY_INTENTS for _, p in rows)
        group_figures["predicted"] = dict(Counter(p for _, p in rows).most_common())
        figures[group] = group_figures
    return figures


def start_rasa(model: Path, port: int) -> subprocess.Popen[bytes]:
    rasa = REPO / ".venv-rasa" / "bin" / "rasa"
    argv = [str(rasa), "run", "--enable-api", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        argv,
        cwd=REPO / "bot",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
            "ACTION_SERVER_TOKEN": "unused",
        },
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("rasa exited before it was ready")
        try:
            if httpx.post(f"http://127.0.0.1:{port}/model/parse", json={"text": "你好"}, timeout=30).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.kill()
    raise RuntimeError("rasa did not become ready")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test-set", type=Path, default=REPO / "bot" / "tests" / "nlu_test.yml")
    parser.add_argument("--model", type=Path, default=REPO / "bot" / "models" / "current.tar.gz")
    parser.add_argument("--port", type=int, default=5095)
    parser.add_argument("--out", type=Path, default=REPO / "bot" / "eval" / "nlu_eval.json")
    args = parser.parse_args()

    examples = load_examples(args.test_set)
    process = start_rasa(args.model, args.port)
    try:
        with httpx.Client(timeout=30) as client:
            for example in examples:
                parsed = client.post(
                    f"http://127.0.0.1:{args.port}/model/parse", json={"text": to_simplified(str(example["text"]))}
                ).json()
                example["predicted"] = parsed["intent"]["name"]
                example["predicted_entities"] = resolve_overlaps(parsed["entities"])

            def intent_of(text: str) -> str:
                body = {"text": to_simplified(text)}
                return str(client.post(f"http://127.0.0.1:{args.port}/model/parse", json=body).json()["intent"]["name"])

            blind = blind_figures(intent_of)
    finally:
        process.terminate()
        process.wait(timeout=30)

    by_language: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for example in examples:
        language = "zh" if CJK.search(str(example["text"])) else "en"
        by_language[language].append((str(example["intent"]), str(example["predicted"])))
    oos = [e for e in examples if e["intent"] == "out_of_scope"]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for example in examples:
        gold = Counter((ent, to_simplified(value)) for ent, value in example["entities"])
        predicted = Counter(example["predicted_entities"])
        for (entity, value), n in gold.items():
            hit = min(n, predicted.get((entity, value), 0))
            counts[entity]["tp"] += hit
            counts[entity]["fn"] += n - hit
        for (entity, value), n in predicted.items():
            counts[entity]["fp"] += n - min(n, gold.get((entity, value), 0))
    figures: dict[str, Any] = {
        "examples": len(examples),
        "examples_zh": len(by_language["zh"]),
        "examples_en": len(by_language["en"]),
        "macro_f1_zh": round(macro_f1(by_language["zh"]), 4),
        "macro_f1_en": round(macro_f1(by_language["en"]), 4),
        "accuracy": round(sum(e["intent"] == e["predicted"] for e in examples) / len(examples), 4),
        "out_of_scope_recall": round(sum(e["predicted"] == "out_of_scope" for e in oos) / max(len(oos), 1), 4),
        "entities": {
            entity: dict(
                zip(("precision", "recall", "f1"), (round(x, 4) for x in f1(c["tp"], c["fp"], c["fn"])), strict=True)
            )
            for entity, c in sorted(counts.items())
        },
    }
    per_intent: dict[str, Counter[str]] = defaultdict(Counter)
    for example in examples:
        per_intent[example["intent"]]["n"] += 1
        per_intent[example["intent"]]["correct"] += example["intent"] == example["predicted"]
    figures["intent_recall"] = {i: round(c["correct"] / c["n"], 3) for i, c in sorted(per_intent.items())}
    figures["blind_groups"] = blind
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print(
        f"held-out NLU test set: {figures['examples']} messages ({figures['examples_zh']} zh, {figures['examples_en']} en)"
    )
    for key, target in TARGETS.items():
        status = "ok" if figures[key] >= target else "BELOW TARGET"
        print(f"  {key:<22} {figures[key]:.4f}  (target >= {target})  {status}")
    for entity in ENTITY_TARGETS:
        scores = figures["entities"].get(entity, {"f1": 0.0, "precision": 0.0, "recall": 0.0})
        status = "ok" if scores["f1"] >= 0.90 else "BELOW TARGET"
        print(
            f"  entity {entity:<15} F1 {scores['f1']:.4f} (P {scores['precision']:.3f}, R {scores['recall']:.3f})"
            f"  (target >= 0.90)  {status}"
        )
    print(f"  intent accuracy        {figures['accuracy']:.4f}")
    print("blind groups through the model (bot/tests/blind/): read as expected")
    for group, group_figures in blind.items():
        print(
            f"  {group:<16} {group_figures['expected']:.3f} (zh {group_figures['expected_zh']:.3f}, "
            f"en {group_figures['expected_en']:.3f}) of {group_figures['messages']}; "
            f"read as a money request: {group_figures['money_intent']}"
        )
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
