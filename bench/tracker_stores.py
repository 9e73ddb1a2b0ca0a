"""Rasa's tracker stores compared on this bot: in-memory, SQLite, PostgreSQL and Redis, one Rasa process each.

For each store, a Rasa server is started through scripts/rasa_server.py (as `make run` starts it) on a free port,
against the running system's action server (`make run`, 127.0.0.1:5055), with its lock store in Redis. Then
--customers concurrent senders each run --rounds journeys of seven messages (a loan application's start and
its four answers, then two FAQ questions in the same conversation, so the tracker grows as a real one does).
Latency = webhook POST -> response; throughput = messages / wall time. The stores run in the order given and then
in reverse (A B C D D C B A), so a drift of the machine falls on all of them; the figures of both runs are merged.
Also prints each Rasa process's resident memory at the end of its run.

Needs: PostgreSQL (--postgres, default postgresql://postgres@127.0.0.1:5432, database bench_rasa_tracker made
here) and Redis (--redis, default redis://127.0.0.1:6379/9, flushed here).
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
import psycopg
import redis
from common import local_only, percentile

ROOT = Path(__file__).resolve().parent.parent
JOURNEY = [
    ("我要申请贷款", "企业全称"),
    ("上海东方贸易有限公司", "信用代码"),
    ("91310000MA1FL8L47U", "联系人姓名"),
    ("张伟", "手机号码"),
    ("13800000001", "金额"),
    ("提款多久到账", ""),
    ("贷款利率是多少", ""),
]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the launcher execs Rasa, so usually one process)."""
    total = 0
    pids = [pid]
    for child in Path("/proc").glob("[0-9]*"):
        try:
            if int((child / "stat").read_text().split()[3]) == pid:
                pids.append(int(child.name))
        except (OSError, ValueError, IndexError):
            continue
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def start_rasa(store_url: str, *, action_url: str, redis_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "RASA_TRACKER_STORE_URL": store_url,
        "REDIS_URL": redis_url,
        "ACTION_ENDPOINT_URL": f"{action_url}/webhook",
        "ACTION_SERVER_TOKEN": os.environ.get("ACTION_SERVER_TOKEN", "dev-action-server-token"),
    }
    argv = [sys.executable, "-m", "scripts.rasa_server", "--port", str(port)]
    argv += ["--endpoints-file", str(log.with_suffix(".endpoints.yml"))]
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Rasa with {store_url} exited: see {log}")
        try:
            probe = {"sender": f"probe-{uuid.uuid4().hex}", "message": "你好"}
            if httpx.post(f"{base}/webhooks/rest/webhook", json=probe, timeout=60).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.kill()
    raise SystemExit(f"Rasa with {store_url} did not start in 5 minutes: see {log}")


async def customer(client: httpx.AsyncClient, base: str, rounds: int, latencies: list[float], wrong: list[str]) -> None:
    for _ in range(rounds):
        sender = f"bench-store-{uuid.uuid4().hex}"
        for text, expected in JOURNEY:
            started = time.perf_counter()
            response = await client.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text})
            latencies.append((time.perf_counter() - started) * 1000)
            reply = " ".join(str(m.get("text", "")) for m in response.json())
            if response.status_code != 200 or (expected and expected not in reply) or not reply:
                wrong.append(f"{text} -> {reply[:60]}")


async def measure(base: str, customers: int, rounds: int) -> tuple[list[float], float, list[str]]:
    latencies: list[float] = []
    wrong: list[str] = []
    async with httpx.AsyncClient(timeout=60) as client:
        await customer(client, base, 1, [], [])  # warm-up
        started = time.perf_counter()
        await asyncio.gather(*(customer(client, base, rounds, latencies, wrong) for _ in range(customers)))
        wall = time.perf_counter() - started
    return latencies, wall, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", default="memory,sqlite,postgresql,redis")
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--actions", default="http://127.0.0.1:5055")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    local_only(args.actions)
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_rasa_tracker WITH (FORCE)")
        conn.execute("CREATE DATABASE bench_rasa_tracker")
    redis.Redis.from_url(args.redis).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="bench-stores-"))
    urls = {
        "memory": "memory",
        "sqlite": f"sqlite:///{workdir / 'tracker.db'}",
        "postgresql": f"{args.postgres}/bench_rasa_tracker",
        "redis": args.redis,
    }
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    results: dict[str, dict[str, list[float]]] = {s: {"ms": [], "rate": [], "rss": []} for s in stores}
    failures: dict[str, list[str]] = {s: [] for s in stores}
    for store in [*stores, *reversed(stores)]:
        process, base = start_rasa(urls[store], action_url=args.actions, redis_url=args.redis, log=workdir / store)
        try:
            latencies, wall, wrong = asyncio.run(measure(base, args.customers, args.rounds))
            results[store]["ms"] += latencies
            results[store]["rate"].append(len(latencies) / wall)
            results[store]["rss"].append(rss_mb(process.pid))
            failures[store] += wrong
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(
        f"{args.customers} concurrent senders x {args.rounds} journeys of {len(JOURNEY)} messages, each store run "
        "twice (A..D, D..A); latency = webhook POST -> response straight to Rasa (ms)"
    )
    print(f"{'store':<11} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'msg/s':>14} {'Rasa RSS MB':>12} {'wrong':>6}")
    for store in stores:
        ms, rate = results[store]["ms"], results[store]["rate"]
        rates = "/".join(f"{r:.1f}" for r in rate)
        print(
            f"{store:<11} {len(ms):>5} {percentile(ms, 50):>7.0f} {percentile(ms, 95):>7.0f} {percentile(ms, 99):>7.0f} "
            f"{rates:>14} {statistics.mean(results[store]['rss']):>12.0f} {len(failures[store]):>6}"
        )
    for store in stores:
        for line in failures[store][:3]:
            print(f"  {store} wrong: {line}")


if __name__ == "__main__":
    main()
