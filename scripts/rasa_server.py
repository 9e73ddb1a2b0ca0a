"""Starts the Rasa server (or several) with durable, shared dialogue state.

Rasa runs in its own Python 3.10 environment and reads its stores from ``endpoints.yml``; this launcher, run from
the main environment, writes that file from the same variables as the rest of the system and then starts
``rasa run``:

* **Tracker store** (what the assistant remembers of a conversation: the form in progress, the slots):
  ``RASA_TRACKER_STORE_URL`` when set, else derived from the hub's ``DATABASE_URL``:

  - PostgreSQL: the hub's own database, in the schema ``rasa`` (migration 0005 makes it), so one database and one
    backup hold both the transcript and the dialogue state;
  - SQLite (the embedded default): ``var/rasa/tracker.db`` beside the hub's file;
  - ``redis://...``: Rasa's Redis tracker store (measured against SQL in the README; chosen only when asked);
  - ``memory``: Rasa's in-memory store (forgets every form when Rasa restarts; for experiments only).

* **Lock store** (one message of a conversation at a time across Rasa processes): Rasa's ``RedisLockStore`` on
  ``REDIS_URL``, keys prefixed ``rasa``. A lock outlives a killed holder by ``TICKET_LOCK_LIFETIME`` seconds
  (set here to 20, above the hub's 15 s wait for a reply, unless the environment says otherwise).

``python -m scripts.rasa_server --port 5005 [--replicas N]``: N processes on consecutive ports (the hub spreads
conversations across them, see ``RASA_URL``). If one of them exits, the others are stopped and the launcher exits
with its code, so the process manager (honcho, Kubernetes) sees the failure and restarts.
``python -m scripts.rasa_server --print-endpoints`` prints the file instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

REPO = Path(__file__).resolve().parents[1]
BOT = REPO / "bot"
# `make run` starts this launcher from .venv and Rasa from .venv-rasa; the Rasa image runs both from one venv.
_BESIDE = Path(sys.executable).parent / "rasa"
RASA_BIN = _BESIDE if _BESIDE.exists() else REPO / ".venv-rasa" / "bin" / "rasa"
TRACKER_SCHEMA = "rasa"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/hub.db"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6390/0"
DEFAULT_LOCK_LIFETIME_SECONDS = "20"


class LaunchError(Exception):
    """The stores' settings cannot be turned into Rasa's endpoints."""


def tracker_store_config(*, tracker_url: str | None, database_url: str) -> tuple[dict[str, Any] | None, str | None]:
    """Rasa's ``tracker_store`` section and the PostgreSQL schema it lives in (None: no schema to set)."""
    url = tracker_url or _tracker_url_from_hub(database_url)
    if url == "memory":
        return None, None
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme in ("redis", "rediss"):
        return {"type": "redis", **_redis_fields(url), "key_prefix": "rasa"}, None
    if scheme == "sqlite":
        path = Path(url.split(":///", 1)[1]) if ":///" in url else None
        if path is None or not str(path):
            raise LaunchError(f"a SQLite tracker store needs a file path: {url!r}")
        path = path if path.is_absolute() else REPO / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return {"type": "SQL", "url": f"sqlite:///{path}"}, None
    if scheme in ("postgresql", "postgres"):
        # Rasa's SQLAlchemy 1.4 talks to PostgreSQL through psycopg2, its default driver.
        return {"type": "SQL", "url": "postgresql://" + url.split("://", 1)[1]}, (
            None if tracker_url else TRACKER_SCHEMA
        )
    raise LaunchError(f"unsupported tracker store {scheme!r}: PostgreSQL, SQLite, Redis or 'memory'")


def _tracker_url_from_hub(database_url: str) -> str:
    scheme = urlsplit(database_url).scheme.split("+", 1)[0]
    if scheme == "sqlite":
        hub_file = Path(database_url.split(":///", 1)[1])
        return f"sqlite:///{hub_file.parent / 'rasa' / 'tracker.db'}"
    return database_url


def _redis_fields(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise LaunchError(f"not a Redis URL: {url!r}")
    database = parts.path.lstrip("/") or "0"
    if not database.isdigit():
        raise LaunchError(f"the Redis database must be a number: {url!r}")
    fields: dict[str, Any] = {"url": parts.hostname, "port": parts.port or 6379, "db": int(database)}
    if parts.password:
        fields["password"] = unquote(parts.password)
    if parts.username:
        fields["username"] = unquote(parts.username)
    if parts.scheme == "rediss":
        fields["use_ssl"] = True
    return fields


def endpoints(environ: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The endpoints file's content and the environment Rasa needs beside it."""
    tracker, schema = tracker_store_config(
        tracker_url=environ.get("RASA_TRACKER_STORE_URL") or None,
        database_url=environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
    )
    config: dict[str, Any] = {
        "action_endpoint": {
            "url": environ.get("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook"),
            "headers": {"X-Action-Token": "${ACTION_SERVER_TOKEN}"},
        },
        "lock_store": {
            "type": "redis",
            **_redis_fields(environ.get("REDIS_URL") or DEFAULT_REDIS_URL),
            "key_prefix": "rasa",
        },
    }
    if tracker is not None:
        config["tracker_store"] = tracker
    extra = {"TICKET_LOCK_LIFETIME": environ.get("TICKET_LOCK_LIFETIME", DEFAULT_LOCK_LIFETIME_SECONDS)}
    if schema:
        extra["POSTGRESQL_SCHEMA"] = schema
    return config, extra


def write_endpoints(path: Path, environ: dict[str, str]) -> dict[str, str]:
    """Write the endpoints file (readable by its owner only: it may hold passwords); returns Rasa's extra env."""
    config, extra = endpoints(environ)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("# Written by scripts/rasa_server.py at start; edit the environment, not this file.\n")
        yaml.safe_dump(config, out, sort_keys=False, allow_unicode=True)
    return extra


def _dotenv(path: Path) -> dict[str, str]:
    """The repository's .env, read as the hub reads it (the environment wins). The Rasa image has none and no
    python-dotenv: there the environment alone is read."""
    try:
        from dotenv import dotenv_values
    except ImportError:
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def rasa_argv(*, endpoints_path: Path, port: int, interface: str, model: Path) -> list[str]:
    return [
        str(RASA_BIN),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints_path),
        "--credentials",
        str(BOT / "credentials.yml"),
        "--interface",
        interface,
        "--port",
        str(port),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.rasa_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("REPLICAS", "1") or 1))
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--model", type=Path, default=BOT / "models" / "current.tar.gz")
    parser.add_argument("--endpoints-file", type=Path, default=REPO / "var" / "rasa" / "endpoints.yml")
    parser.add_argument("--print-endpoints", action="store_true")
    args = parser.parse_args()
    environ = {**_dotenv(REPO / ".env"), **os.environ}
    try:
        if args.print_endpoints:
            config, extra = endpoints(environ)
            print(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), end="")
            print("# environment: " + " ".join(f"{k}={v}" for k, v in extra.items()))
            return
        extra = write_endpoints(args.endpoints_file, environ)
    except LaunchError as exc:
        raise SystemExit(f"rasa_server: {exc}") from None
    env = {**environ, **extra, "RASA_TELEMETRY_ENABLED": "false"}
    if args.replicas < 1:
        raise SystemExit("rasa_server: --replicas must be at least 1")
    argvs = [
        rasa_argv(endpoints_path=args.endpoints_file, port=args.port + i, interface=args.interface, model=args.model)
        for i in range(args.replicas)
    ]
    if len(argvs) == 1:
        os.chdir(BOT)
        os.execve(argvs[0][0], argvs[0], env)
    sys.exit(_run_all(argvs, env))


def _run_all(argvs: list[list[str]], env: dict[str, str]) -> int:
    """Run the replicas; the first to exit stops the others, and its code is the launcher's."""
    children = [subprocess.Popen(argv, cwd=BOT, env=env) for argv in argvs]

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _, status = os.wait()
    code = os.waitstatus_to_exitcode(status)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        child.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    main()
