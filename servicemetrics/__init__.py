"""Prometheus metrics for every process that serves traffic (the hub, the action server, the lending core).

One process: the metrics live in the process and ``GET /metrics`` reads them. Several worker processes on one port
(``serve --workers N``, ``REPLICAS=N``): ``prepare_workers`` gives them a fresh directory in
``PROMETHEUS_MULTIPROC_DIR`` before they start, each worker writes its values to files there (prometheus_client's
multiprocess mode, chosen when the client is first imported in the worker), and whichever worker answers
``/metrics`` sums them all. Every request is counted by route template (never by a raw path, which holds
conversation ids) and timed in a histogram.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: from a fast read to the assistant's slowest replies.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def prepare_workers(name: str, workers: int) -> None:
    """Before worker processes start: an empty directory for their metric files, a fresh one, or the one
    PROMETHEUS_MULTIPROC_DIR already names, emptied (the files of an earlier run's processes would be summed in;
    so one directory per service)."""
    if os.environ.get(MULTIPROC_ENV):
        clear_directory()
        return
    if workers <= 1:
        return
    os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix=f"metrics-{name}-")


def clear_directory() -> None:
    """Empty the multiprocess directory (values of an earlier run must not be summed in)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory and Path(directory).is_dir():
        for entry in Path(directory).iterdir():
            if entry.is_file():
                entry.unlink()
            else:
                shutil.rmtree(entry)


def exposition() -> bytes:
    """The text format of every metric of this process, or of all the workers in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus-client leaves it unannotated
        return generate_latest(registry)
    return generate_latest(REGISTRY)


HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)


def observe_request(service: str, method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(service, method, route, str(status)).inc()
    HTTP_LATENCY.labels(service, method, route).observe(seconds)


class HttpMetrics:
    """ASGI middleware: requests by method, route template and status, and their duration."""

    def __init__(self, app: ASGIApp, *, service: str):
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            observe_request(
                self.service, scope.get("method", "GET"), template(scope), status, time.perf_counter() - started
            )


def template(scope: Scope) -> str:
    """The request's path with its parameters named (``/chats/{conversation_id}``), or ``unmatched`` for a path no
    route took (so a scan of random paths cannot grow the metrics)."""
    if scope.get("route") is None:
        return "unmatched"
    path = str(scope.get("path", ""))
    for name, value in (scope.get("path_params") or {}).items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path
