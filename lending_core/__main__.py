"""Command line: ``python -m lending_core serve [--host H] [--port P] | migrate | seed``."""

from __future__ import annotations

import argparse
import asyncio

from lending_core.config import Settings, get_settings


async def _seed(settings: Settings) -> list[str]:
    from lending_core.clock import SystemClock
    from lending_core.db import create_engine_for, create_sessionmaker
    from lending_core.seed import seed_demo

    clock = SystemClock(fixed_today=settings.fixed_today)
    engine = create_engine_for(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            return await seed_demo(session=session, today=clock.today(), now=clock.now(), rules=settings.rules)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lending_core", description="Reference lending core")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API (migrates first)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-migrate", action="store_true")
    commands.add_parser("migrate", help="apply the Alembic migrations")
    commands.add_parser("seed", help="create the demo customers (idempotent)")
    args = parser.parse_args(argv)
    settings = get_settings()

    from lending_core.migrate import upgrade

    if args.command == "migrate":
        upgrade(settings)
    elif args.command == "seed":
        upgrade(settings)
        created = asyncio.run(_seed(settings))
        print(f"seeded {len(created)} customers: {', '.join(created) or 'none new'}")
    else:
        import uvicorn

        import servicemetrics

        if not args.no_migrate:
            upgrade(settings)
        servicemetrics.prepare_workers("lending-core", args.workers)
        uvicorn.run(
            "lending_core.api.app:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            log_level="warning",
        )


if __name__ == "__main__":
    main()
