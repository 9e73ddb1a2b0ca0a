"""Assistant reply latency straight through the Rasa server, by kind of message, and the model's size and training time.

Measures, one message at a time (no concurrency), time from POST /webhooks/rest/webhook sent -> response received
(NLU, policies, every custom action on the action server and its lending-core calls included; the hub is not):
  * FAQ: each question from a fresh sender ("提款多久到账", "贷款利率是多少", "what documents do I need to apply", ...);
  * form: a fresh sender starts a loan application ("我要申请贷款", reported as "form start"), then answers the
    company name, credit code 91310000MA1FL8L47U, contact name and mobile; each answer's reply time is reported
    on its own row and all four together as "form step" (the start is not in it). A step counts as failed when
    its reply is not the next question of the form (an answer refused or misread);
  * fallback: out-of-scope or unintelligible messages, each from a fresh sender.
Prints n, mean, p50 and p95 per kind (ms). Then the model: the size of bot/models/current.tar.gz and, with
--train only (it takes minutes and two busy cores), the wall time of a full training:
`rasa train --domain domain --fixed-model-name bench --out <tmpdir> --force` in bot/ with a fresh, empty Rasa
cache (RASA_CACHE_DIRECTORY in the temporary directory, so nothing is reused and bot/.rasa is not touched).
Targets: form step reply p95 <= 100 ms; full training <= 5 minutes.

Targets a running system (`make run`): --rasa http://127.0.0.1:5005. Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from common import local_only, percentile

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
MODEL = BOT / "models" / "current.tar.gz"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
TRAIN_TIMEOUT_S = 30 * 60

FAQ = [
    "提款多久到账",
    "贷款利率是多少",
    "what documents do I need to apply",
    "提前还款有手续费吗",
    "how long does the approval take",
    "无还本续贷需要什么条件",
]
FALLBACK = ["今天天气怎么样", "帮我订一张去北京的机票", "asdfgh qwerty", "who won the football game last night"]
FORM_START = "我要申请贷款"
# (step name, the customer's answer, a piece of the next question the reply must contain)
FORM_STEPS = [
    ("company name", "上海东方贸易有限公司", "信用代码"),
    ("credit code", "91310000MA1FL8L47U", "联系人姓名"),
    ("contact name", "张伟", "手机号码"),
    ("mobile", "13800000001", "金额"),
]
FORM_STEP_P95_TARGET_MS = 100.0
TRAIN_TARGET_S = 5 * 60


class Rasa:
    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client = client
        self.url = f"{base}/webhooks/rest/webhook"

    async def send(self, sender: str, text: str) -> tuple[float, str]:
        """(milliseconds, the reply's text joined) for one message."""
        started = time.perf_counter()
        response = await self.client.post(self.url, json={"sender": sender, "message": text})
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        return elapsed, " ".join(str(m.get("text", "")) for m in response.json())


def fresh_sender() -> str:
    return f"bench-bot-{uuid.uuid4().hex}"


async def measure(rasa: Rasa, rounds: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    times: dict[str, list[float]] = {"FAQ": [], "form start": [], "form step": [], "fallback": []}
    times.update({f"  step: {name}": [] for name, _, _ in FORM_STEPS})
    failures = {"FAQ": 0, "form start": 0, "form step": 0, "fallback": 0}
    for _ in range(rounds):
        for text in FAQ:
            ms, reply = await rasa.send(fresh_sender(), text)
            times["FAQ"].append(ms)
            failures["FAQ"] += not reply.strip()
        sender = fresh_sender()
        ms, reply = await rasa.send(sender, FORM_START)
        times["form start"].append(ms)
        failures["form start"] += "企业全称" not in reply
        for name, answer, next_question in FORM_STEPS:
            ms, reply = await rasa.send(sender, answer)
            times["form step"].append(ms)
            times[f"  step: {name}"].append(ms)
            failures["form step"] += next_question not in reply
        for text in FALLBACK:
            ms, reply = await rasa.send(fresh_sender(), text)
            times["fallback"].append(ms)
            failures["fallback"] += not reply.strip()
    return times, failures


def train() -> tuple[float, int, int]:
    """(seconds, return code, model bytes) of one full training into a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(Path(tmp, "cache"))}
        command = [str(RASA), "train", "--domain", "domain", "--fixed-model-name", "bench", "--out", tmp, "--force"]
        started = time.perf_counter()
        result = subprocess.run(
            command, cwd=BOT, env=env, capture_output=True, text=True, timeout=TRAIN_TIMEOUT_S, check=False
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
        model = Path(tmp, "bench.tar.gz")
        return elapsed, result.returncode, model.stat().st_size if model.exists() else 0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rasa", default="http://127.0.0.1:5005")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of every FAQ, form and fallback message")
    parser.add_argument("--train", action="store_true", help="also time a full model training (minutes)")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 1000:
        parser.error("--rounds must be between 1 and 1000")

    async with httpx.AsyncClient(timeout=60) as client:
        rasa = Rasa(client, local_only(args.rasa))
        await measure(rasa, 1)  # warm-up: model caches, the FAQ index, connection pools
        times, failures = await measure(rasa, args.rounds)

    print(f"{args.rounds} rounds, fresh senders, one message at a time; latency = webhook POST -> response (ms)")
    print(f"{'kind':<22} {'n':>5} {'mean':>8} {'p50':>8} {'p95':>8} {'failed':>7}  target")
    for kind, values in times.items():
        target = ""
        if kind == "form step":
            ok = percentile(values, 95) <= FORM_STEP_P95_TARGET_MS
            target = f"p95 <= {FORM_STEP_P95_TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}"
        failed = str(failures[kind]) if kind in failures else ""
        print(
            f"{kind:<22} {len(values):>5} {statistics.fmean(values):>8.1f} {statistics.median(values):>8.1f} "
            f"{percentile(values, 95):>8.1f} {failed:>7}  {target}"
        )

    size = MODEL.stat().st_size if MODEL.exists() else 0
    print(f"\nmodel {MODEL.relative_to(ROOT)}: {size / 1e6:.1f} MB" if size else f"\nmodel {MODEL} missing")
    if not args.train:
        print("full training: skipped (takes minutes; run with --train); target <= 5 min")
        return
    print("training (empty cache, this takes minutes; the running system shares the CPU) ...", flush=True)
    seconds, code, model_bytes = train()
    verdict = "met" if code == 0 and seconds <= TRAIN_TARGET_S else "MISSED"
    status = "ok" if code == 0 else f"FAILED (exit {code})"
    print(
        f"full training: {seconds:.0f} s ({seconds / 60:.1f} min), {status}, model {model_bytes / 1e6:.1f} MB; "
        f"target <= 5 min: {verdict}"
    )


if __name__ == "__main__":
    asyncio.run(main())
