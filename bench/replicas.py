"""One of each process against `make run REPLICAS=N`, side by side in one run, through the hub.

For each round, the two settings are started in turn with `make run` (the order alternates between rounds, so a
drift of the machine falls on both): the system comes up on its embedded defaults (or on DATABASE_URL/REDIS_URL
when set), the bench waits until the hub's /readyz says "ready" and every Rasa process answers, warms it, then
--customers concurrent customers each send --messages messages through the hub's websocket, waiting for each
reply (the same customers and messages as bench/e2e_latency.py). Latency = message sent -> first bot reply.
Also the CPU seconds each kind of process spent during the measurement (from /proc), per reply, and the
resident memory of each kind after it.

Nothing else may be listening on the ports of `make run` (8000, 5005.., 5055, 8100, 6390).
`python bench/replicas.py --replicas 2 --rounds 2 --customers 20 --messages 30`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from common import percentile
from e2e_latency import hub_customer

ROOT = Path(__file__).resolve().parent.parent
HUB = "http://127.0.0.1:8000"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
KINDS = {
    "rasa": "rasa",
    "actions": "actions.server",
    "hub": "handoff serve",
    "core": "lending_core serve",
    "redis": "redis-server",
}


def by_kind() -> tuple[dict[str, float], dict[str, float]]:
    """CPU seconds (user + system) so far and resident memory (MB) of every process of the system, summed by kind,
    with the worker processes that uvicorn, Sanic and the Rasa launcher start (their command lines do not say what
    they serve)."""
    commands: dict[int, str] = {}
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    rss: dict[int, float] = {}
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(proc.name)
        commands[pid], parents[pid] = command, int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        rss[pid] = int(fields[21]) * page_mb
    totals = dict.fromkeys(KINDS, 0.0)
    memory = dict.fromkeys(KINDS, 0.0)
    for pid in cpu:
        ancestor: int | None = pid
        while ancestor in commands:
            kind = next((k for k, marker in KINDS.items() if marker in commands[ancestor]), None)
            if kind and "honcho" not in commands[ancestor]:
                totals[kind] += cpu[pid]
                memory[kind] += rss[pid]
                break
            ancestor = parents.get(ancestor)
    return totals, memory


def start(replicas: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REPLICAS": str(replicas)}
    return subprocess.Popen(
        ["make", "run", f"REPLICAS={replicas}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(process: subprocess.Popen[bytes], replicas: int, log: Path) -> None:
    deadline = time.monotonic() + 900
    rasa = [f"http://127.0.0.1:{5005 + i}/" for i in range(replicas)]
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"make run exited with {process.returncode}: see {log}")
        try:
            ready = httpx.get(f"{HUB}/readyz", timeout=3).json().get("status") == "ready"
            if ready and all(httpx.get(url, timeout=3).status_code == 200 for url in rasa):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(2)
    raise SystemExit(f"not ready in 15 minutes: see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    time.sleep(3)  # the ports are free again


async def measure(customers: int, messages: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(hub_customer(HUB, messages, latencies) for _ in range(customers)))
    return latencies, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--messages", type=int, default=30)
    args = parser.parse_args()
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[int, int, list[float], float, dict[str, float]]] = []
    memories: dict[int, dict[str, float]] = {}
    for round_number in range(args.rounds):
        order = (1, args.replicas) if round_number % 2 == 0 else (args.replicas, 1)
        for replicas in order:
            log = logs / f"replicas-{replicas}-round-{round_number}.log"
            process = start(replicas, log)
            try:
                wait_ready(process, replicas, log)
                asyncio.run(measure(4, 3))  # warm-up
                before, _ = by_kind()
                latencies, wall = asyncio.run(measure(args.customers, args.messages))
                after, memory = by_kind()
            finally:
                stop(process)
            cpu = {kind: after[kind] - before[kind] for kind in KINDS}
            rows.append((round_number, replicas, latencies, wall, cpu))
            memories[replicas] = memory
            print(f"round {round_number} REPLICAS={replicas}: {len(latencies) / wall:.1f} msg/s", file=sys.stderr)
    print(
        f"{args.customers} customers x {args.messages} messages through the hub's websocket, `make run` with "
        f"REPLICAS=1 and REPLICAS={args.replicas}, alternating; latency = sent -> first bot reply (ms); "
        "CPU = process CPU seconds per reply"
    )
    print(
        f"{'round':>5} {'REPLICAS':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'msg/s':>7}"
        + "".join(f" {'cpu ' + kind:>12}" for kind in KINDS)
    )
    for round_number, replicas, latencies, wall, cpu in rows:
        n = len(latencies)
        print(
            f"{round_number:>5} {replicas:>8} {percentile(latencies, 50):>7.0f} {percentile(latencies, 95):>7.0f} "
            f"{percentile(latencies, 99):>7.0f} {n / wall:>7.1f}"
            + "".join(f" {cpu[kind] / n * 1000:>10.1f}ms" for kind in KINDS)
        )
    for replicas in sorted({r for _, r, _, _, _ in rows}):
        mine = [(lat, wall) for _, r, lat, wall, _ in rows if r == replicas]
        rate = sum(len(lat) for lat, _ in mine) / sum(wall for _, wall in mine)
        merged = [x for lat, _ in mine for x in lat]
        print(f"REPLICAS={replicas}: {rate:.1f} msg/s overall, p95 {percentile(merged, 95):.0f} ms")
        print(
            "  resident memory after the last run (MB): "
            + ", ".join(f"{k} {v:.0f}" for k, v in memories[replicas].items())
        )


if __name__ == "__main__":
    main()
