"""``python -m handoff``: run the hub, bring its schema up to date, manage staff users, seed the demo.

python -m handoff serve [--host H] [--port P]
python -m handoff migrate
python -m handoff users create USERNAME --role agent --skills general,lending [--name 李娜] [--max-chats 3]
                               [--password-stdin]       (otherwise the password is asked for, never echoed)
python -m handoff users list
python -m handoff users set-password USERNAME [--password-stdin]
python -m handoff users deactivate USERNAME
python -m handoff seed-demo     (development only: the demo staff and canned replies that `make run` prints)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from typing import Any

from handoff.config import SKILLS, get_settings
from handoff.errors import HubError


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    from handoff.db import ensure_sqlite_folder
    from handoff.migrations import ALEMBIC_INI

    ensure_sqlite_folder(get_settings().database_url)
    command.upgrade(Config(str(ALEMBIC_INI)), "head")


def serve(host: str, port: int, workers: int) -> None:
    """Serve the hub; with ``workers`` > 1, that many processes share the one listening socket. Nothing of a
    conversation lives in a process (transcript in the database, leases, queue and events in Redis), so they are
    replicas like hubs on several machines."""
    import uvicorn

    import servicemetrics
    from handoff.api.main import create_app

    get_settings()  # refuse bad settings here, once, before any worker starts
    servicemetrics.prepare_workers("hub", workers)  # before the workers import prometheus_client
    # Workers are new processes that never run main(): uvicorn configures their logging from this, so the hub's
    # own INFO lines (handoff.*) reach the output from every worker, as from a single process.
    log_config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"out": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "root": {"level": "INFO", "handlers": ["out"]},
        "loggers": {"httpx": {"level": "WARNING"}},
    }
    # No per-message compression: chat frames are small, and a deflate context per websocket costs about 300 KB
    # (a thousand customers: 300 MB) and CPU on every frame.
    uvicorn.run(
        "handoff.api.main:create_app" if workers > 1 else create_app(get_settings()),
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        log_config=log_config if workers > 1 else uvicorn.config.LOGGING_CONFIG,
        ws_max_size=65_536,
        ws_per_message_deflate=False,
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("The passwords differ.")
    return first


async def _users(args: argparse.Namespace) -> None:
    from handoff import agents
    from handoff.db import create_engine, create_sessionmaker
    from handoff.models import Role

    engine = create_engine(get_settings().database_url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session:
            if args.users_command == "create":
                user = await agents.create_user(
                    session,
                    username=args.username,
                    display_name=args.name or args.username,
                    password=_read_password(args.password_stdin),
                    role=Role(args.role),
                    skills=[s for s in args.skills.split(",") if s],
                    max_chats=args.max_chats,
                    known_skills=SKILLS,
                    external_id=args.external_id,
                    branch=args.branch,
                )
                await session.commit()
                print(f"created {user.username} ({user.role}, skills: {', '.join(user.skills) or '-'})")
            elif args.users_command == "list":
                for user in await agents.list_users(session):
                    state = "active" if user.is_active else "inactive"
                    manager = f"  {user.external_id} {user.branch}" if user.external_id else ""
                    print(
                        f"{user.username:<16} {user.display_name:<12} {user.role:<16} {state:<9} "
                        f"max {user.max_chats}  {','.join(user.skills)}{manager}"
                    )
            else:
                found = await agents.get_user_by_username(session, username=args.username)
                if found is None:
                    raise SystemExit(f"no user {args.username!r}")
                if args.users_command == "set-password":
                    await agents.set_password(session, user=found, password=_read_password(args.password_stdin))
                else:
                    found.is_active = False
                await session.commit()
                print(f"{args.users_command}: {found.username}")
    except HubError as exc:
        raise SystemExit(exc.message) from exc
    finally:
        await engine.dispose()


def seed_demo(*, only_in_development: bool, month: bool = False, days: int = 30, per_day: int = 40) -> None:
    from handoff.demo import seed

    settings = get_settings()
    if settings.environment != "development":
        if only_in_development:
            print(f"no demo staff: ENVIRONMENT is {settings.environment}")
            return
        raise SystemExit("seed-demo creates users with published passwords: development only")
    if not month:
        asyncio.run(seed(settings))
        return
    from handoff.demo_month import seed_month

    summary = asyncio.run(seed_month(settings, days=days, per_day=per_day))
    print(
        f"demo month: {summary.conversations} conversations, {summary.handoffs} handoffs, "
        f"{summary.service_requests} service requests, {summary.ratings} ratings over the last {days} days"
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m handoff")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the Alembic migrations to DATABASE_URL")
    run = sub.add_parser("serve", help="run the hub")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1, help="processes sharing the port (default 1)")
    demo = sub.add_parser("seed-demo", help="create the demo staff and canned replies (development only)")
    demo.add_argument("--only-in-development", action="store_true", help="outside development, skip quietly")
    demo.add_argument("--month", action="store_true", help="also a month of conversations for the analytics dashboard")
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--per-day", type=int, default=40, help="conversations on a working day (weekends fewer)")
    users = sub.add_parser("users", help="staff users of the console").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create")
    create.add_argument("username")
    create.add_argument("--role", choices=["agent", "supervisor", "account_manager", "admin"], required=True)
    create.add_argument("--skills", default="", help=f"comma-separated, of: {','.join(SKILLS)}")
    create.add_argument("--name", help="the display name customers see (default: the username)")
    create.add_argument("--max-chats", type=int, default=3)
    create.add_argument("--external-id", help="an account manager's id in the lending core (e.g. AM001)")
    create.add_argument("--branch", help="an account manager's branch, as the lending core names it")
    create.add_argument("--password-stdin", action="store_true")
    users.add_parser("list")
    password = users.add_parser("set-password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    users.add_parser("deactivate").add_argument("username")
    args = parser.parse_args()
    if args.command == "migrate":
        migrate()
    elif args.command == "serve":
        serve(args.host, args.port, max(1, args.workers))
    elif args.command == "seed-demo":
        seed_demo(only_in_development=args.only_in_development, month=args.month, days=args.days, per_day=args.per_day)
    else:
        asyncio.run(_users(args))


if __name__ == "__main__":
    main()
