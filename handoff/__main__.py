"""``python -m handoff serve|migrate``: run the hub or bring its database schema up to date."""

from __future__ import annotations

import argparse
import logging

from handoff.config import get_settings


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    from handoff.db import ensure_sqlite_folder
    from handoff.migrations import ALEMBIC_INI

    ensure_sqlite_folder(get_settings().database_url)
    command.upgrade(Config(str(ALEMBIC_INI)), "head")


def serve(host: str, port: int) -> None:
    import uvicorn

    from handoff.api.main import create_app

    uvicorn.run(create_app(get_settings()), host=host, port=port, log_level="info", ws_max_size=65_536)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m handoff")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the Alembic migrations to DATABASE_URL")
    run = sub.add_parser("serve", help="run the hub")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.command == "migrate":
        migrate()
    else:
        serve(args.host, args.port)


if __name__ == "__main__":
    main()
