"""End-to-end reply latency: simulated customers through the hub's websocket vs the same messages straight to Rasa.

Measures, for N concurrent customers each sending M messages one after another (waiting for the reply):
  * through the hub: websocket frame sent -> first bot message received (storage, Redis lock, pub/sub included);
  * straight to Rasa: POST /webhooks/rest/webhook -> response, same messages, same concurrency.
Prints p50/p95/p99, throughput, and the hub's overhead as a ratio of Rasa's p50.

Targets a running system (`make run`): --hub http://127.0.0.1:8000 --rasa http://127.0.0.1:5005.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import httpx
import websockets
from common import percentile

MESSAGES = ["你好", "hello", "再见", "bye", "在吗", "good evening"]


async def hub_customer(hub: str, messages: int, latencies: list[float]) -> None:
    async with httpx.AsyncClient(base_url=hub, timeout=30) as client:
        created = (await client.post("/api/v1/conversations", json={"channel": "web"})).json()
    url = f"{hub.replace('http', 'ws', 1)}/api/v1/conversations/{created['conversation_id']}/ws"
    async with websockets.connect(f"{url}?token={created['resume_token']}") as socket:
        for i in range(messages):
            frame = {"type": "message", "client_msg_id": str(uuid.uuid4()), "text": MESSAGES[i % len(MESSAGES)]}
            started = time.perf_counter()
            await socket.send(json.dumps(frame))
            while True:
                event = json.loads(await socket.recv())
                if event["type"] == "message" and event["message"]["sender"] == "bot":
                    break
                if event["type"] == "error":
                    raise RuntimeError(event)
            latencies.append((time.perf_counter() - started) * 1000)


async def rasa_customer(rasa: str, messages: int, latencies: list[float]) -> None:
    sender = f"bench-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(timeout=30) as client:
        for i in range(messages):
            body = {"sender": sender, "message": MESSAGES[i % len(MESSAGES)]}
            started = time.perf_counter()
            response = await client.post(f"{rasa}/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)


async def run(kind: str, target: str, customers: int, messages: int) -> dict[str, float]:
    latencies: list[float] = []
    customer = hub_customer if kind == "hub" else rasa_customer
    started = time.perf_counter()
    await asyncio.gather(*(customer(target, messages, latencies) for _ in range(customers)))
    elapsed = time.perf_counter() - started
    return {
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "throughput": len(latencies) / elapsed,
        "n": len(latencies),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hub", default="http://127.0.0.1:8000")
    parser.add_argument("--rasa", default="http://127.0.0.1:5005")
    parser.add_argument("--customers", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--messages", type=int, default=30, help="messages per customer")
    args = parser.parse_args()

    # Warm both paths (model caches, connection pools) before measuring.
    await run("rasa", args.rasa, 2, 3)
    await run("hub", args.hub, 2, 3)
    print(f"{args.messages} messages per customer; latency = message sent -> first bot reply (ms)")
    print(f"{'customers':>9} {'path':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'msg/s':>8}")
    for customers in args.customers:
        rasa = await run("rasa", args.rasa, customers, args.messages)
        hub = await run("hub", args.hub, customers, args.messages)
        for name, r in (("rasa", rasa), ("hub", hub)):
            print(
                f"{customers:>9} {name:>6} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {r['throughput']:>8.1f}"
            )
        overhead = (hub["p50"] - rasa["p50"]) / rasa["p50"] * 100
        print(f"{customers:>9} hub overhead at p50: {overhead:+.1f}% of Rasa's p50 (target: at most +10% at 20)")


if __name__ == "__main__":
    asyncio.run(main())
