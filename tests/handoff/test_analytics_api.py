"""The analytics API on a real hub process (its assistant down: nothing here needs it), over the hand-built
transcript of test_analytics: roles, the range's validation, JSON, every table as CSV, the FAQ gaps and a draft."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
import yaml

from handoff.db import create_engine, create_sessionmaker
from tests.handoff.test_analytics import build
from tests.utils.services import Service
from tests.utils.staff import ConsoleClient, create_staff

RANGE = {"start": "2026-11-10", "end": "2026-11-11"}
BASE = "/api/console/analytics"


@pytest.fixture
async def transcript(hub_database_url: str, clean_hub_state: None) -> None:
    engine = create_engine(hub_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            await build(session)
    finally:
        await engine.dispose()
    await create_staff(hub_database_url, "boss", role="supervisor")
    await create_staff(hub_database_url, "root", role="admin")
    await create_staff(hub_database_url, "agent7")
    await create_staff(hub_database_url, "am1", role="account_manager", external_id="AM1", branch="Pudong")


@pytest.fixture
async def signed_in_as(hub_without_rasa: Service, transcript: None) -> AsyncIterator[dict[str, ConsoleClient]]:
    clients: dict[str, ConsoleClient] = {}
    for username in ("boss", "root", "agent7", "am1"):
        clients[username] = ConsoleClient(hub_without_rasa.url)
        await clients[username].sign_in(username)
    yield clients
    for client in clients.values():
        await client.http.aclose()


async def test_supervisors_and_admins_see_the_figures(signed_in_as: dict[str, ConsoleClient]) -> None:
    for who in ("boss", "root"):
        response = await signed_in_as[who].get(BASE, **RANGE)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totals"]["conversations"] == 8 and body["totals"]["contained_share"] == 0.375
        assert body["filters"]["timezone"] == "Asia/Shanghai"
        assert {r["reason"]: r["handoffs"] for r in body["tables"]["handoff_reasons"]}["customer_request"] == 2
    wechat = await signed_in_as["boss"].get(BASE, **RANGE, channel="wechat")
    assert wechat.json()["totals"]["conversations"] == 1


async def test_agents_account_managers_and_strangers_are_refused(
    signed_in_as: dict[str, ConsoleClient], hub_without_rasa: Service
) -> None:
    for who in ("agent7", "am1"):
        for path in (BASE, f"{BASE}/containment_by_day.csv", f"{BASE}/faq-gaps"):
            response = await signed_in_as[who].get(path, **RANGE)
            assert response.status_code == 403, (who, path)
            assert response.json() == {
                "error": {"code": "supervisors_only", "message": "Only supervisors and administrators may do that."}
            }
    stranger = ConsoleClient(hub_without_rasa.url)
    response = await stranger.get(BASE, **RANGE)
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_signed_in"
    await stranger.http.aclose()


async def test_bad_dates_and_long_ranges_are_clear_422s(signed_in_as: dict[str, ConsoleClient]) -> None:
    boss = signed_in_as["boss"]
    bad = await boss.get(BASE, start="2026-13-01", end="2026-11-11")
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_date" and "start" in bad.json()["error"]["message"]
    backwards = await boss.get(BASE, start="2026-11-11", end="2026-11-01")
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "invalid_range"
    too_long = await boss.get(BASE, start="2026-01-01", end="2026-11-01")
    assert too_long.status_code == 422
    assert too_long.json()["error"] == {
        "code": "range_too_long",
        "message": "the range may cover at most 93 days.",
        "details": {"max_days": 93},
    }
    default = await boss.get(BASE)
    assert default.status_code == 200 and len(default.json()["tables"]["containment_by_day"]) == 7


async def test_every_table_as_csv(signed_in_as: dict[str, ConsoleClient]) -> None:
    boss = signed_in_as["boss"]
    tables = (await boss.get(BASE, **RANGE)).json()["tables"]
    for name, rows in tables.items():
        response = await boss.get(f"{BASE}/{name}.csv", **RANGE)
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/csv")
        assert f"{name}_2026-11-10_2026-11-11.csv" in response.headers["content-disposition"]
        read = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
        assert len(read) == len(rows), name
        if rows:
            assert list(read[0]) == list(rows[0])
    day = list(csv.DictReader(io.StringIO((await boss.get(f"{BASE}/containment_by_day.csv", **RANGE)).text[1:])))
    assert day[0] == {
        "day": "2026-11-10",
        "conversations": "6",
        "assistant": "3",
        "agent": "2",
        "service_request": "1",
        "contained_share": "0.5",
    }
    missing = await boss.get(f"{BASE}/nothing.csv", **RANGE)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "table_not_found"


async def test_faq_gaps_and_a_draft_entry(signed_in_as: dict[str, ConsoleClient], faq_index: object) -> None:
    boss = signed_in_as["boss"]
    groups = (await boss.get(f"{BASE}/faq-gaps", **RANGE)).json()["groups"]
    assert [g["messages"] for g in groups] == [2, 1, 1]
    assert "6222021234567890123" not in str(groups)
    gaps_csv = await boss.get(f"{BASE}/faq_gaps.csv", **RANGE)
    assert gaps_csv.status_code == 200 and "electricity" in gaps_csv.text
    draft = await boss.get(f"{BASE}/faq-gaps/{groups[0]['group']}/draft.yaml", **RANGE)
    assert draft.status_code == 200 and draft.headers["content-type"].startswith("application/yaml")
    entry = yaml.safe_load(draft.text)["entries"][0]
    assert sorted(entry["questions"]["en"]) == ["how do I pay my electricity bill", "pay the electricity bill online"]
    assert entry["answer"] == {"zh": "", "en": ""}
    unknown = await boss.get(f"{BASE}/faq-gaps/gnothing/draft.yaml", **RANGE)
    assert unknown.status_code == 404
