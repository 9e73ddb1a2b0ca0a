"""The action server as ``REPLICAS=2`` starts it (``--workers 2``: Sanic worker processes on one port): each worker
writes its metrics to files in PROMETHEUS_MULTIPROC_DIR, and ``/metrics`` sums every worker's, whichever answers;
values an earlier run left in the directory are not summed in."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import multiprocess

from servicemetrics import MULTIPROC_ENV
from tests.actions.test_server import CALL
from tests.utils.lending import TEST_API_KEY
from tests.utils.services import Service, answers_200, free_port, start_service
from tests.utils.stack import ACTION_SERVER_TOKEN

CALLS = 'actions_calls_total{action="action_dont_know",status="200"}'
WEBHOOK = 'http_requests_total{method="POST",route="/webhook",service="actions",status="200"}'
# An earlier run's process, long gone, left 1000 calls in the directory.
EARLIER_RUN = (
    "from actions.metrics import ACTION_CALLS; import servicemetrics; "
    "ACTION_CALLS.labels('action_dont_know', '200').inc(1000); "
    "[servicemetrics.observe_request('actions', 'POST', '/webhook', 200, 0.01) for _ in range(1000)]"
)


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("action-metrics")
    subprocess.run(
        [sys.executable, "-c", EARLIER_RUN], env={**os.environ, MULTIPROC_ENV: str(directory)}, check=True, timeout=60
    )
    assert list(directory.glob("counter_*.db"))
    return directory


@pytest.fixture(scope="module")
def two_worker_action_server(metrics_dir: Path) -> Iterator[Service]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = start_service(
        "action-server-two-workers",
        [sys.executable, "-m", "actions.server", "--port", str(port), "--workers", "2"],
        url=base,
        ready=answers_200("/health", base),
        env={
            "ENVIRONMENT": "test",
            "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
            "LENDING_CORE_URL": f"http://127.0.0.1:{free_port()}",  # action_dont_know does not call it
            "LENDING_CORE_API_KEY": TEST_API_KEY,
            MULTIPROC_ENV: str(metrics_dir),
        },
        timeout_seconds=120,
    )
    yield service
    service.stop()


def value(text: str, metric: str) -> float:
    found = re.search(rf"^{re.escape(metric)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def calls_by_worker(directory: Path) -> dict[str, float]:
    """The action calls each worker process wrote to its own file (``counter_<pid>.db``), read file by file."""
    by_pid: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        for metric in multiprocess.MultiProcessCollector.merge([str(path)], accumulate=True):
            for sample in metric.samples:
                if sample.name == "actions_calls_total" and sample.labels == {
                    "action": "action_dont_know",
                    "status": "200",
                }:
                    by_pid[path.stem.removeprefix("counter_")] = sample.value
    return by_pid


async def call(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as fresh:  # a new connection: any worker may take it
        answer = await fresh.post("/webhook", json=CALL, headers={"X-Action-Token": ACTION_SERVER_TOKEN})
        assert answer.status_code == 200, answer.text


async def test_two_workers_are_summed_whichever_answers(two_worker_action_server: Service, metrics_dir: Path) -> None:
    base = two_worker_action_server.url
    sent = 0
    # Calls on new connections, a few at a time, until both workers have answered some (the kernel spreads them).
    while sent < 200 and (sent < 12 or len([n for n in calls_by_worker(metrics_dir).values() if n]) < 2):
        await asyncio.gather(*(call(base) for _ in range(4)))
        sent += 4
    workers = calls_by_worker(metrics_dir)
    assert len(workers) == 2 and all(workers.values()), workers  # two processes, each answered some
    assert sum(workers.values()) == sent  # the earlier run's file is gone: emptied before the workers started
    readings = []
    for _ in range(6):
        async with httpx.AsyncClient(base_url=base, timeout=30) as fresh:
            answer = await fresh.get("/metrics")
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
            readings.append(answer.text)
    for text in readings:
        assert value(text, CALLS) == sent
        assert value(text, WEBHOOK) == sent
        assert f'actions_call_seconds_count{{action="action_dont_know"}} {float(sent)}' in text
