"""The WeChat channel under load: how fast the hub acknowledges callbacks, and how long until the reply is at
WeChat's API.

Needs `make run` (its Rasa, action server, lending core and embedded Redis). The script starts what `make run`
does not have: a fake of WeChat's API (tests/utils/fake_wechat.py, in this process) and a second hub with the
WeChat channel on (port 8010, its own SQLite database under var/bench/, the same Rasa and Redis), and stops them
at the end.

Each phase sends safe-mode callbacks (encrypted with wechatpy, as WeChat sends them) at a fixed rate from many
customers, each message its own customer's "你好", and prints:
- acknowledged: callbacks per second the hub answered "success", and the time to that answer (p50/p95/p99);
- delivered: from the callback to the reply arriving at the fake API (p50/p95/p99), once every reply is in;
- the hub's memory (RSS) before and after.

With `--database-url postgresql+psycopg://postgres@127.0.0.1:5432/<an empty database>` the hub runs on
PostgreSQL, as in production; by default on SQLite, as `make run` does.

    .venv/bin/python bench/wechat.py                      # 200/s for 10 s, then 5/s for 20 s
    .venv/bin/python bench/wechat.py --rate 200 --seconds 10 --steady-rate 5 --steady-seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
from common import local_only, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.utils.fake_wechat import (  # noqa: E402
    APP_ID,
    APP_SECRET,
    ENCODING_AES_KEY,
    TOKEN,
    Customer,
    FakeWeChat,
    start_fake_wechat,
)

GREETING = "智能客服"


def start_hub(port: int, api: str, redis_url: str, database_url: str | None) -> subprocess.Popen[bytes]:
    database = ROOT / "var" / "bench" / "wechat-hub.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    for stale in (database, database.with_suffix(".db-wal"), database.with_suffix(".db-shm")):
        stale.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{database}",
        "REDIS_URL": redis_url,
        "BUSINESS_HOURS_FILE": str(ROOT / "businesshours" / "around_the_clock.yaml"),
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_ENCODING_AES_KEY": ENCODING_AES_KEY,
        "WECHAT_API_BASE": api,
        "MESSAGES_PER_MINUTE": "1000",
    }
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "handoff", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = (ROOT / "var" / "bench" / "wechat-hub.log").open("wb")
    return subprocess.Popen(
        [python, "-m", "handoff", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(120):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit("the benchmark's hub did not start (var/bench/wechat-hub.log)")


async def phase(base: str, fake: FakeWeChat, rate: float, seconds: float, label: str) -> None:
    total = int(rate * seconds)
    acks: list[float] = []
    sent_at: dict[str, float] = {}
    failures = 0
    busy = 0
    # WeChat's servers open many connections at once; httpx's pool slows down past about a hundred, so the load
    # generator keeps at most 100 callbacks in flight (the time one waits for a slot counts in its latency).
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        customers = [Customer(client) for _ in range(total)]
        # Encrypt before the clock starts: the load generator's own AES is not the hub's time.
        bodies = [(c, c.text_xml("你好")) for c in customers]

        async def one(customer: Customer, xml: str) -> None:
            nonlocal failures, busy
            started = time.perf_counter()
            sent_at[customer.openid] = started
            try:
                response = await customer.post(xml)
            except httpx.HTTPError:
                failures += 1
                return
            if response.status_code == 503:
                busy += 1  # WeChat would retry it
                return
            if response.status_code != 200 or response.text != "success":
                failures += 1
                return
            acks.append(time.perf_counter() - started)

        began = time.perf_counter()
        tasks = []
        for index, (customer, xml) in enumerate(bodies):
            delay = began + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(customer, xml)))
        await asyncio.gather(*tasks)
        sending = time.perf_counter() - began

    deadline = time.perf_counter() + 600
    delivered: dict[str, float] = {}
    while time.perf_counter() < deadline and len(delivered) < len(acks):
        with fake.lock:
            for sent in fake.sent:
                if sent.touser in sent_at and sent.touser not in delivered and GREETING in sent.content:
                    delivered[sent.touser] = sent.at
        await asyncio.sleep(0.2)
    # fake.sent times are time.monotonic(); perf_counter and monotonic share a clock on Linux, checked here
    offset = time.monotonic() - time.perf_counter()
    latencies = [delivered[openid] - offset - sent_at[openid] for openid in delivered]
    ms = [a * 1000 for a in acks] or [float("nan")]
    print(f"\n== {label}: {total} callbacks at {rate:g}/s from {total} customers (safe mode) ==")
    print(
        f"acknowledged: {len(acks)} in {sending:.1f} s = {len(acks) / sending:.1f}/s; "
        f"503 busy (WeChat retries): {busy}; other failures: {failures}"
    )
    print(
        f"  time to 'success': p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
        f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms"
    )
    if latencies:
        print(
            f"delivered: {len(latencies)}/{total} replies at the API; callback -> reply p50 "
            f"{percentile(latencies, 50):.2f} s, p95 {percentile(latencies, 95):.2f} s, "
            f"p99 {percentile(latencies, 99):.2f} s (the one Rasa process answers about 15 a second)"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6390/3", help="make run's embedded Redis")
    parser.add_argument(
        "--database-url", help="the hub's database (an empty PostgreSQL database, migrated here); default SQLite"
    )
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--steady-rate", type=float, default=5)
    parser.add_argument("--steady-seconds", type=float, default=20)
    args = parser.parse_args()
    base = local_only(f"http://127.0.0.1:{args.port}")
    import redis  # the benchmark's own Redis database: locks and tokens of an earlier run must not linger

    redis.Redis.from_url(args.redis_url).flushdb()
    fake, server, _thread = start_fake_wechat()
    hub = start_hub(args.port, fake.url, args.redis_url, args.database_url)
    try:
        await wait_ready(base)
        rss_before = psutil.Process(hub.pid).memory_info().rss / 2**20
        await phase(base, fake, args.steady_rate, args.steady_seconds, "steady")
        await phase(base, fake, args.rate, args.seconds, "burst")
        rss_after = psutil.Process(hub.pid).memory_info().rss / 2**20
        print(f"\nhub RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB after")
    finally:
        hub.terminate()
        try:
            hub.wait(timeout=20)
        except subprocess.TimeoutExpired:
            hub.kill()
        server.should_exit = True


if __name__ == "__main__":
    asyncio.run(main())
