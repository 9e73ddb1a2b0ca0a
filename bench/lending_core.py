"""Benchmark of the lending core: drawdowns and credit-line queries with N concurrent clients.

By default it creates and migrates the PostgreSQL database `lending_bench`, adds one bench customer per
client (large limits, so no rule refuses), starts `python -m lending_core serve` on a free port and
measures throughput and p50/p95 latency. `--url` targets a running core instead (its database must hold
the bench customers: run once without --url against the same database, or pass --setup-only).

    .venv/bin/python bench/lending_core.py --clients 20 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
from common import percentile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lending_core.clock import SystemClock  # noqa: E402
from lending_core.config import Settings  # noqa: E402
from lending_core.db import create_engine_for, create_sessionmaker  # noqa: E402
from tests.utils.lending import TEST_OTP_SECRET, ensure_database  # noqa: E402

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/lending_bench"
API_KEY = "bench-lending-core-key"


async def setup_customers(settings: Settings, count: int) -> None:
    from sqlalchemy import delete, select

    from lending_core.models import CreditLine, Customer, Loan, Repayment
    from tests.utils.lending import add_customer

    engine = create_engine_for(settings)
    clock = SystemClock()
    try:
        async with create_sessionmaker(engine)() as session:
            ids = [f"B{index:04d}" for index in range(count)]
            await session.execute(delete(Repayment))
            await session.execute(delete(Loan).where(Loan.customer_id.in_(ids)))
            await session.commit()
            for index, customer_id in enumerate(ids):
                line = (
                    await session.execute(select(CreditLine).where(CreditLine.customer_id == customer_id))
                ).scalar_one_or_none()
                if line is not None:
                    line.used_amount = Decimal(0)
                    await session.commit()
                    continue
                if await session.get(Customer, customer_id) is None:
                    await add_customer(
                        session=session,
                        customer_id=customer_id,
                        mobile=f"1370000{index:04d}",
                        today=clock.today(),
                        now=clock.now(),
                        rules=settings.rules,
                        limit=Decimal("900000000"),
                    )
    finally:
        await engine.dispose()


async def run_load(url: str, clients: int, seconds: float, kind: str) -> tuple[int, int, list[float], float]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(index: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        customer = f"B{index:04d}"
        while time.perf_counter() < stop:
            started = time.perf_counter()
            if kind == "drawdown":
                response = await http.post(
                    f"/api/v1/customers/{customer}/drawdowns",
                    json={
                        "amount": "1000.00",
                        "account_id": f"SA{customer}",
                        "term_months": 6,
                        "verification": {"method": "channel", "verified_by": "bank_token"},
                    },
                    headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
                )
                ok = response.status_code == 201
            else:
                response = await http.get(f"/api/v1/customers/{customer}/credit-line")
                ok = response.status_code == 200
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers={"X-Api-Key": API_KEY}, limits=limits, timeout=30) as http:
        began = time.perf_counter()
        await asyncio.gather(*(worker(index, http) for index in range(clients)))
        elapsed = time.perf_counter() - began
    return len(latencies), errors, latencies, elapsed


def start_core(settings: Settings, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {
        "LENDING_CORE_ENVIRONMENT": "test",
        "LENDING_CORE_DATABASE_URL": settings.database_url,
        "LENDING_CORE_API_KEY": API_KEY,
        "LENDING_CORE_OTP_SECRET": TEST_OTP_SECRET,
    }
    command = [sys.executable, "-m", "lending_core", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the core did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("LENDING_CORE_BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--url", help="target a running core instead of starting one")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the started core")
    parser.add_argument("--setup-only", action="store_true")
    args = parser.parse_args()

    settings = Settings(environment="test", database_url=args.database_url, api_key=API_KEY, otp_secret=TEST_OTP_SECRET)
    if settings.database_url.startswith("postgresql"):
        ensure_database(settings.database_url)
    from lending_core.migrate import upgrade

    upgrade(settings)
    asyncio.run(setup_customers(settings, args.clients))
    if args.setup_only:
        return
    process, url = (None, args.url) if args.url else start_core(settings, args.workers)
    try:
        print(
            f"lending core at {url}, database {settings.database_url.split('@')[-1]}, "
            f"{args.clients} concurrent clients, {args.seconds:.0f} s per test, {dt.date.today()}"
        )
        for kind in ("credit-line", "drawdown"):
            count, errors, latencies, elapsed = asyncio.run(run_load(url, args.clients, args.seconds, kind))
            print(
                f"{kind:12s} requests={count:6d} errors={errors} throughput={count / elapsed:8.1f}/s "
                f"p50={percentile(latencies, 50) * 1000:7.1f} ms p95={percentile(latencies, 95) * 1000:7.1f} ms "
                f"mean={statistics.fmean(latencies) * 1000:7.1f} ms"
            )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
