"""The analytics dashboard's queries on 1,000,000 stored messages in PostgreSQL.

In a database of its own (``sme_hub_bench_analytics`` plus TEST_DATABASE_SUFFIX, dropped and made again, migrated to
head), bulk-loaded with COPY: 100,000 conversations over 60 days, 10 messages each (customer and assistant in turn,
a fifth of the replies with a journey marker and its row in journey_steps, some FAQ answers, some not-sure replies
and their rows in faq_gap_messages, each rollup row as the hub writes it), 15,000 handoffs with their events,
ratings and service requests. Then each of the dashboard's queries (handoff/analytics) for the last 30 days, run
``--runs`` times after a warm-up; prints p50 and p95 and fails when a p95 is over 500 ms.

``python bench/analytics.py [--messages 1000000] [--runs 20]`` (PostgreSQL at TEST_POSTGRES_URL or 127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import local_only, percentile

from handoff.analytics import Filters
from handoff.analytics import queries as q
from handoff.clock import SHANGHAI
from handoff.db import create_engine, create_sessionmaker, sync_database_url

SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
# TEST_DATABASE_SUFFIX keeps two runs on one machine apart, as in the tests.
DATABASE = f"sme_hub_bench_analytics{os.environ.get('TEST_DATABASE_SUFFIX', '')}"
BUDGET_MS = 500.0
FORMS = {
    "drawdown_form": ["verify_mobile", "otp_code", "drawdown_amount", "summary", "confirmed"],
    "repayment_form": ["verify_mobile", "otp_code", "repayment_amount", "summary", "cancelled"],
    "loan_application_form": ["company_name", "loan_amount", "summary", "confirmed"],
}
REASONS = ["customer_request", "repeated_fallback", "complaint", "stuck_form", "core_failure"]


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def make_database() -> str:
    local_only("http://" + SERVER.split("@", 1)[-1])
    with psycopg.connect(_libpq(f"{SERVER}/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    from alembic import command
    from alembic.config import Config

    from handoff.migrations import ALEMBIC_INI

    url = f"{SERVER}/{DATABASE}"
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = sync_database_url(url)
    config.attributes["skip_logging"] = True
    command.upgrade(config, "head")
    return url


def load(url: str, *, messages: int, now: dt.datetime) -> dict[str, int]:
    """COPY the rows in; returns how many of each."""
    rng = random.Random(15)
    per = 10
    conversations = messages // per
    counts = {"conversations": conversations, "messages": 0, "handoffs": 0, "ratings": 0, "service_requests": 0}
    started = time.perf_counter()
    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY staff_users (id, username, display_name, password_hash, role, skills, max_chats, branch, is_active, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(8):
                role = "agent" if n < 6 else "account_manager"
                copy.write_row(
                    (f"s{n}", f"user{n}", f"Staff {n}", "-", role, '["general"]', 3, f"Branch {n % 2}", True, now, now)
                )
        handoff_rows: list[tuple[str, dt.datetime, str | None]] = []
        with cur.copy(
            "COPY conversations (id, channel, language, mode, resume_token_hash, last_seq, created_at, updated_at) FROM STDIN"
        ) as copy:
            starts = []
            for n in range(conversations):
                at = now - dt.timedelta(seconds=rng.uniform(0, 60 * 86400))
                starts.append(at)
                channel = rng.choices(["web", "wechat", "wecom"], [6, 3, 1])[0]
                copy.write_row((f"c{n:09d}", channel, "en" if rng.random() < 0.2 else "zh", "closed", "-", per, at, at))
        # A reply with a journey marker also gets its row in journey_steps, and a not-sure reply its row in
        # faq_gap_messages (pointing at the customer message it answers), as crud.add_message writes them.
        steps_rows: list[tuple[int, str, str, str, dt.datetime]] = []
        gap_rows: list[tuple[int, int, str, str, dt.datetime]] = []
        message_id = 0
        with cur.copy(
            "COPY messages (id, conversation_id, seq, sender, text, custom, status, reply_to_seq, created_at) FROM STDIN"
        ) as copy:
            for n in range(conversations):
                cid = f"c{n:09d}"
                at = starts[n]
                form = rng.choice(list(FORMS)) if rng.random() < 0.35 else None
                steps = FORMS[form] if form else []
                for seq in range(1, per + 1):
                    at += dt.timedelta(seconds=rng.uniform(5, 60))
                    message_id += 1
                    if seq % 2:
                        copy.write_row(
                            (message_id, cid, seq, "customer", f"客户消息 {n} {seq}", None, "answered", None, at)
                        )
                        continue
                    custom: dict[str, object] | None = None
                    turn = seq // 2 - 1
                    if form and turn < len(steps):
                        custom = {"journey": {"form": form, "step": steps[turn]}}
                        steps_rows.append((message_id, cid, form, steps[turn], at))
                    elif rng.random() < 0.15:
                        custom = {
                            "faq": {"entry_id": f"e{rng.randrange(300)}", "version": 1, "topic": "t", "score": 0.8}
                        }
                    elif rng.random() < 0.04:
                        kind = rng.choice(["abstained", "fallback"])
                        custom = {"faq_gap": {"kind": kind}}
                        gap_rows.append((message_id, message_id - 1, cid, kind, at))
                    copy.write_row(
                        (
                            message_id,
                            cid,
                            seq,
                            "bot",
                            "回复",
                            json.dumps(custom) if custom else None,
                            "stored",
                            seq - 1,
                            at,
                        )
                    )
                counts["messages"] += per
                if rng.random() < 0.15:
                    handoff_rows.append((cid, starts[n] + dt.timedelta(minutes=5), form))
        cur.execute("SELECT setval(pg_get_serial_sequence('messages', 'id'), %s)", (message_id,))
        with cur.copy("COPY journey_steps (message_id, conversation_id, form, step, created_at) FROM STDIN") as copy:
            for row in steps_rows:
                copy.write_row(row)
        counts["journey_steps"] = len(steps_rows)
        with cur.copy(
            "COPY faq_gap_messages (reply_id, message_id, conversation_id, kind, created_at) FROM STDIN"
        ) as copy:
            for gap in gap_rows:
                copy.write_row(gap)
        counts["faq_gap_messages"] = len(gap_rows)
        with cur.copy(
            "COPY handoffs (id, conversation_id, reason, requested_skill, skill, priority, journey_stage, language, packet, status, outcome, agent_id, queued_at, first_assigned_at, assigned_at, ended_at) FROM STDIN"
        ) as copy:
            for hid, (cid, at, form) in enumerate(handoff_rows, start=1):
                skill = rng.choice(["general", "lending", "complaints"])
                assigned = at + dt.timedelta(seconds=rng.uniform(5, 600)) if rng.random() < 0.85 else None
                ended = (assigned or at) + dt.timedelta(seconds=rng.uniform(60, 1200))
                outcome = rng.choice(["closed", "handed_back"]) if assigned else "customer_left"
                stage = f"{form}:summary" if form else "intent:request_human"
                copy.write_row(
                    (
                        hid,
                        cid,
                        rng.choice(REASONS),
                        skill,
                        skill,
                        "normal",
                        stage,
                        "zh",
                        "{}",
                        "ended",
                        outcome,
                        f"s{rng.randrange(6)}" if assigned else None,
                        at,
                        assigned,
                        assigned,
                        ended,
                    )
                )
                counts["handoffs"] += 1
        with cur.copy("COPY handoff_events (handoff_id, kind, created_at) FROM STDIN") as copy:
            for hid, (_, at, _) in enumerate(handoff_rows, start=1):
                copy.write_row((hid, "queued", at))
                if rng.random() < 0.05:
                    copy.write_row((hid, "transferred", at))
        with cur.copy(
            "COPY satisfaction_ratings (handoff_id, conversation_id, agent_id, score, created_at) FROM STDIN"
        ) as copy:
            for hid, (cid, at, _) in enumerate(handoff_rows, start=1):
                if rng.random() < 0.55:
                    copy.write_row((hid, cid, f"s{rng.randrange(6)}", rng.randint(1, 5), at + dt.timedelta(minutes=30)))
                    counts["ratings"] += 1
        with cur.copy(
            "COPY service_requests (number, conversation_id, kind, contact_method, summary, contact_window_start, contact_window_end, contact_mobile, language, channel, reason, details, state, branch, account_manager_id, passed_by, accept_by, accepted_at, created_at, updated_at) FROM STDIN"
        ) as copy:
            for n in range(0, conversations, 20):
                at = starts[n] + dt.timedelta(minutes=10)
                accepted = at + dt.timedelta(minutes=rng.uniform(5, 300)) if rng.random() < 0.9 else None
                copy.write_row(
                    (
                        f"SR{n:010d}",
                        f"c{n:09d}",
                        "callback",
                        "call",
                        "-",
                        at,
                        at,
                        "13800000000",
                        "zh",
                        "web",
                        "after_hours",
                        "{}",
                        "accepted" if accepted else "submitted",
                        f"Branch {n % 2}",
                        f"s{6 + n % 2}",
                        "[]",
                        at + dt.timedelta(hours=2),
                        accepted,
                        at,
                        at,
                    )
                )
                counts["service_requests"] += 1
        conn.commit()
        cur.execute("ANALYZE")
    counts["load_seconds"] = round(time.perf_counter() - started)
    return counts


async def measure(url: str, *, runs: int, now: dt.datetime) -> list[tuple[str, float, float]]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    filters = Filters(start=(now - dt.timedelta(days=29)).date(), end=now.date())
    figures = {
        "containment (4 tables)": lambda s: q.containment(s, filters),
        "handoff reasons and steps": lambda s: q.handoff_reasons(s, filters),
        "journey funnels": lambda s: q.funnels(s, filters),
        "queue by skill": lambda s: q.queue(s, filters),
        "service requests": lambda s: q.service_requests(s, filters, now=now),
        "satisfaction (3 tables)": lambda s: q.satisfaction(s, filters),
        "FAQ gaps (the SQL)": lambda s: q.gaps(s, filters),
    }
    results = []
    async with sessions() as session:
        for name, run in figures.items():
            await run(session)  # warm-up
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                await run(session)
                times.append((time.perf_counter() - started) * 1000)
            results.append((name, percentile(times, 50), percentile(times, 95)))
    await engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    now = dt.datetime.now(SHANGHAI)
    url = make_database()
    counts = load(url, messages=args.messages, now=now)
    print("loaded: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    results = asyncio.run(measure(url, runs=args.runs, now=now))
    print(f"\nthe last 30 days, {args.runs} runs each after a warm-up (ms):")
    print(f"{'query':<28}{'p50':>8}{'p95':>8}")
    for name, p50, p95 in results:
        print(f"{name:<28}{p50:>8.1f}{p95:>8.1f}{'  OVER BUDGET' if p95 > BUDGET_MS else ''}")
    if any(p95 > BUDGET_MS for _, _, p95 in results):
        raise SystemExit(f"a query's p95 is over {BUDGET_MS:.0f} ms")


if __name__ == "__main__":
    main()
