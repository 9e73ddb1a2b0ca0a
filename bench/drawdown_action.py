"""Latency of the drawdown submission (action_submit_drawdown) run through the action server itself.

Measures POST http://127.0.0.1:5055/webhook -> response for the action-server request Rasa would send after a
confirmed drawdown form: next_action "action_submit_drawdown", a tracker with customer_id=C1001,
verified_by=bank_token, drawdown_amount "1000", drawdown_term 6, receiving_account SA100101, confirmed, language zh,
a fresh sender and message_id per request (so a fresh idempotency key), and the domain merged from bot/domain/*.yml.
The time includes the action server, its lending-core client and the core's drawdown (line lock, loan row, commit);
no Rasa server is involved. Runs --requests requests at each --concurrency (default 200 at 1 and at 10) and prints
n, mean, p50, p95 (ms) and throughput; a reply counts as a drawdown result when its responses hold
utter_drawdown_done (done) or utter_core_rejected (refused); anything else is counted as failed.
Then a replay: one request sent twice with the same sender and message_id must give the same loan number, and the
line must move once.

EVERY REQUEST MOVES MONEY in the demo lending core: 1,000 yuan drawn per request, C1001's available line shrinks
(the default run draws 401,000 yuan). The available line is printed before and after. To restore the demo data,
delete var/lending_core.db and seed again (lending_core/DEMO_DATA.md). Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import yaml
from common import local_only, percentile

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_DIR = ROOT / "bot" / "domain"
CUSTOMER = "C1001"
AMOUNT = Decimal("1000")
DONE, REFUSED = "utter_drawdown_done", "utter_core_rejected"


def load_domain() -> dict[str, Any]:
    """bot/domain/*.yml merged as Rasa does: mappings (forms, slots, responses, ...) joined, lists concatenated."""
    merged: dict[str, Any] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in part.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(v for v in value if v not in merged[key])
            else:
                merged.setdefault(key, value)
    return merged


def action_request(domain: dict[str, Any], sender_id: str, message_id: str) -> dict[str, Any]:
    slots = {
        "customer_id": CUSTOMER,
        "verified_by": "bank_token",
        "drawdown_amount": str(AMOUNT),
        "drawdown_term": 6,
        "receiving_account": "SA100101",
        "confirmed": True,
        "language": "zh",
    }
    tracker = {
        "sender_id": sender_id,
        "slots": slots,
        "latest_message": {
            "text": "确认",
            "intent": {"name": "affirm", "confidence": 1.0},
            "entities": [],
            "message_id": message_id,
        },
        "latest_event_time": time.time(),
        "followup_action": None,
        "paused": False,
        "events": [],
        "latest_input_channel": "rest",
        "active_loop": {},
        "latest_action": {"action_name": "action_listen"},
        "latest_action_name": "action_listen",
    }
    return {
        "next_action": "action_submit_drawdown",
        "sender_id": sender_id,
        "tracker": tracker,
        "domain": domain,
        "version": "3.6.21",
    }


def outcome(response: httpx.Response) -> tuple[str, str | None]:
    """("done" | "refused" | "failed", the loan number when done)."""
    if response.status_code != 200:
        return "failed", None
    for item in response.json().get("responses", []):
        if item.get("response") == DONE:
            return "done", item.get("loan_number")
        if item.get("response") == REFUSED:
            return "refused", None
    return "failed", None


async def available(client: httpx.AsyncClient, core: str, key: str) -> Decimal:
    response = await client.get(f"{core}/api/v1/customers/{CUSTOMER}/credit-line", headers={"X-Api-Key": key})
    response.raise_for_status()
    return Decimal(response.json()["available"])


async def run(
    client: httpx.AsyncClient, url: str, domain: dict[str, Any], requests: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    counts = {"done": 0, "refused": 0, "failed": 0}
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:  # the shared iterator bounds the total number of requests
            body = action_request(domain, f"bench-drawdown-{uuid.uuid4().hex}", uuid.uuid4().hex)
            started = time.perf_counter()
            response = await client.post(url, json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            counts[outcome(response)[0]] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"latencies": latencies, "counts": counts, "throughput": len(latencies) / elapsed}


async def replay(client: httpx.AsyncClient, url: str, domain: dict[str, Any]) -> list[tuple[float, str, str | None]]:
    body = action_request(domain, f"bench-drawdown-replay-{uuid.uuid4().hex}", uuid.uuid4().hex)
    results = []
    for _ in range(2):
        started = time.perf_counter()
        response = await client.post(url, json=body)
        results.append(((time.perf_counter() - started) * 1000, *outcome(response)))
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--actions", default="http://127.0.0.1:5055")
    parser.add_argument("--core", default="http://127.0.0.1:8100")
    parser.add_argument("--core-key", default="dev-lending-core-key", help="the lending core's X-Api-Key")
    parser.add_argument(
        "--action-token",
        default=os.environ.get("ACTION_SERVER_TOKEN", "dev-action-server-token"),
        help="the action server's X-Action-Token (the one Rasa sends)",
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    if not 1 <= args.requests <= 2000 or not all(1 <= c <= 100 for c in args.concurrency):
        parser.error("--requests must be 1..2000 and --concurrency 1..100")
    url = f"{local_only(args.actions)}/webhook"
    core = local_only(args.core)
    domain = load_domain()
    total = AMOUNT * (args.requests * len(args.concurrency) + 1)

    async with httpx.AsyncClient(timeout=60, headers={"X-Action-Token": args.action_token}) as client:
        print(f"NOTE: every request draws {AMOUNT:,.0f} yuan from {CUSTOMER}'s line in the demo lending core")
        print(f"      (this run: up to {total:,.0f} yuan; {CUSTOMER}'s available line shrinks by that much)")
        before = await available(client, core, args.core_key)
        print(f"{CUSTOMER} available line before: {before:,.2f}")
        print(f"{args.requests} requests per level; latency = POST /webhook -> response (ms)")
        print(
            f"{'concurrent':>10} {'n':>5} {'mean':>8} {'p50':>8} {'p95':>8} {'req/s':>8} {'done':>5} {'refused':>7} {'failed':>6}"
        )
        for concurrency in args.concurrency:
            r = await run(client, url, domain, args.requests, concurrency)
            lat, c = r["latencies"], r["counts"]
            print(
                f"{concurrency:>10} {len(lat):>5} {statistics.fmean(lat):>8.1f} {statistics.median(lat):>8.1f} "
                f"{percentile(lat, 95):>8.1f} {r['throughput']:>8.1f} {c['done']:>5} {c['refused']:>7} {c['failed']:>6}"
            )
        mid = await available(client, core, args.core_key)
        (first_ms, first, first_loan), (second_ms, second, second_loan) = await replay(client, url, domain)
        after = await available(client, core, args.core_key)

    same = first == "done" and first_loan is not None and first_loan == second_loan
    moved_once = mid - after == AMOUNT
    print(
        f"replay (same sender and message_id twice): 1st {first_ms:.1f} ms {first} {first_loan}, "
        f"2nd {second_ms:.1f} ms {second} {second_loan}: "
        f"{'same loan number' if same else 'DIFFERENT LOAN NUMBERS'}, line moved "
        f"{mid - after:,.2f} ({'once' if moved_once else 'NOT once'})"
    )
    print(f"{CUSTOMER} available line after:  {after:,.2f} (drawn in this run: {before - after:,.2f})")


if __name__ == "__main__":
    asyncio.run(main())
