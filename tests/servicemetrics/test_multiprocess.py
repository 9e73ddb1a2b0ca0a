"""Worker processes sharing a port each write their metrics to the multiprocess directory; ``exposition`` in any
of them gives the sum."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import servicemetrics
from tests.utils.services import REPO

WORKER = """
import servicemetrics
for _ in range({n}):
    servicemetrics.observe_request("test", "GET", "/x/{{id}}", 200, 0.02)
"""
READER = """
import sys, servicemetrics
sys.stdout.write(servicemetrics.exposition().decode())
"""


def run(code: str, directory: Path) -> str:
    env = {**os.environ, servicemetrics.MULTIPROC_ENV: str(directory), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout


def test_the_workers_values_are_summed(tmp_path: Path) -> None:
    run(WORKER.format(n=3), tmp_path)
    run(WORKER.format(n=4), tmp_path)
    text = run(READER, tmp_path)
    assert 'http_requests_total{method="GET",route="/x/{id}",service="test",status="200"} 7.0' in text
    assert 'http_request_duration_seconds_bucket{le="0.025",method="GET",route="/x/{id}",service="test"} 7.0' in text


def test_workers_get_a_fresh_directory_only_when_there_are_several() -> None:
    env = dict(os.environ)
    env.pop(servicemetrics.MULTIPROC_ENV, None)
    code = "import os, servicemetrics; servicemetrics.prepare_workers('x', {n}); print(os.environ.get('{var}', ''))"
    one = subprocess.run(
        [sys.executable, "-c", code.format(n=1, var=servicemetrics.MULTIPROC_ENV)],
        env={**env, "PYTHONPATH": str(REPO)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    two = subprocess.run(
        [sys.executable, "-c", code.format(n=2, var=servicemetrics.MULTIPROC_ENV)],
        env={**env, "PYTHONPATH": str(REPO)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert one == ""
    assert two and Path(two).is_dir() and not any(Path(two).iterdir())
    Path(two).rmdir()
