"""The figures against a hand-built transcript whose answers are known, on PostgreSQL and on SQLite (``make run``).

Range 10-11 November 2026 (Asia/Shanghai). Ten conversations, eight in the range: one at 00:10 on the 10th (16:10 UTC
on the 9th: in), one at 00:30 on the 12th (16:30 UTC on the 11th: out) and one at 23:59 on the 9th (out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.analytics import Filters, InvalidRange, report
from handoff.analytics.gaps import IndexEncoder, faq_draft, gap_table, group_gaps
from handoff.analytics.queries import JOURNEYS, gaps
from handoff.db import create_engine, create_sessionmaker, sync_database_url
from handoff.migrations import ALEMBIC_INI
from tests.conftest import DATABASE_SUFFIX, migrated_hub_database
from tests.utils.analytics import Transcript, at
from tests.utils.trackers import load_domain

NOW = at(20, 12)
RANGE = Filters(start=dt.date(2026, 11, 10), end=dt.date(2026, 11, 11))
DRAWDOWN = "drawdown_form"


def _journey(step: str) -> dict[str, Any]:
    return {"journey": {"form": DRAWDOWN, "step": step}}


NOT_SURE = {"faq_gap": {"kind": "abstained"}}
FALLBACK = {"faq_gap": {"kind": "fallback"}}


async def build(session: AsyncSession) -> None:
    t = Transcript(session)
    li = await t.staff("li")
    wang = await t.staff("wang")
    pudong = await t.staff("manager_p", role="account_manager", branch="Pudong")
    jingan = await t.staff("manager_j", role="account_manager", branch="Jingan")

    c0 = await t.conversation(at(10, 0, 10))
    await t.exchange(c0, "银行保险箱怎么租", "抱歉，我不太确定", at(10, 0, 11), custom=NOT_SURE)

    c1 = await t.conversation(at(10, 9))
    await t.exchange(c1, "我要提款", "请输入手机号", at(10, 9, 0, 5), custom=_journey("verify_mobile"))
    await t.exchange(c1, "13800000001", "请输入验证码", at(10, 9, 1), custom=_journey("otp_code"))
    await t.exchange(c1, "123456", "提款多少？", at(10, 9, 2), custom=_journey("drawdown_amount"))
    await t.exchange(c1, "20万 一年 尾号1234", "请确认", at(10, 9, 3), custom=_journey("summary"))
    await t.exchange(c1, "确认", "已提款", at(10, 9, 4), custom=_journey("confirmed"))

    c2 = await t.conversation(at(10, 23, 30), language="en")
    await t.exchange(
        c2,
        "what is the fee for a wire transfer to Hong Kong from card 6222021234567890123",
        "Sorry, I am not sure",
        at(10, 23, 31),
        custom=NOT_SURE,
    )

    c3 = await t.conversation(at(10, 10), channel="wechat")
    await t.exchange(c3, "转人工", "正在为您转接", at(10, 10, 0, 1))
    h3 = await t.handoff(
        c3,
        reason="customer_request",
        queued_at=at(10, 10, 0, 5),
        stage="drawdown_form:drawdown_amount",
        agent=li,
        assigned_after=30,
        ended_after=330,
        outcome="closed",
        transfers=1,
    )
    await t.say(c3, "agent", "您好", at(10, 10, 0, 45))  # 10 s after the assignment
    await t.rating(h3, 5, at(10, 10, 10))

    c4 = await t.conversation(at(10, 14))
    await t.exchange(c4, "我要提款", "请输入手机号", at(10, 14, 0, 1), custom=_journey("verify_mobile"))
    await t.exchange(c4, "取消", "已取消", at(10, 14, 1), custom=_journey("cancelled"))
    await t.handoff(
        c4, reason="complaint", skill="complaints", queued_at=at(10, 14, 2), ended_after=60, outcome="customer_left"
    )

    c5 = await t.conversation(at(10, 15))
    await t.exchange(c5, "转人工", "现在没有客服在线", at(10, 15, 0, 30))
    await t.handoff(c5, reason="customer_request", queued_at=at(10, 15, 1), outcome="after_hours", status="not_queued")
    await t.request(c5, created_at=at(10, 15, 5), manager=pudong, accept_within_s=3600, accepted_after_s=600)

    c6 = await t.conversation(at(11, 8), language="en")
    await t.exchange(c6, "how do I pay my electricity bill", "Sorry?", at(11, 8, 0, 1), custom=FALLBACK)
    await t.exchange(c6, "pay the electricity bill online", "Sorry?", at(11, 8, 1), custom=FALLBACK)
    h6 = await t.handoff(
        c6,
        reason="repeated_fallback",
        queued_at=at(11, 8, 2),
        stage="intent:nlu_fallback",
        agent=wang,
        assigned_after=90,
        ended_after=690,
        outcome="handed_back",
    )
    await t.say(c6, "agent", "Hello", at(11, 8, 3, 50))  # 20 s after the assignment
    await t.rating(h6, 3, at(11, 8, 15))

    c7 = await t.conversation(at(11, 20))
    await t.exchange(c7, "请客户经理给我回电话", "好的", at(11, 20, 0, 30))
    await t.request(c7, created_at=at(11, 20, 1), manager=jingan, accept_within_s=3600, accepted_after_s=None)

    for outside in (at(12, 0, 30), at(9, 23, 59)):
        c = await t.conversation(outside)
        await t.exchange(c, "保险箱", "不确定", outside, custom=NOT_SURE)
        await t.handoff(c, reason="complaint", queued_at=outside, outcome="customer_left")
    await session.commit()


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
async def sessions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    if request.param == "postgresql":
        url = migrated_hub_database(f"sme_hub_analytics{DATABASE_SUFFIX}")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('analytics') / 'hub.db'}"
        config = Config(str(ALEMBIC_INI))
        config.attributes["database_url"] = sync_database_url(url)
        config.attributes["skip_logging"] = True
        command.upgrade(config, "head")
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await build(session)
    yield maker
    await engine.dispose()


async def _report(sessions: Any, filters: Filters = RANGE) -> Any:
    async with sessions() as session:
        return await report(session, filters, now=NOW)


def _by(table: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in table}


async def test_containment_by_day_hour_channel_and_language(sessions: Any) -> None:
    result = await _report(sessions)
    assert result.totals == {
        "conversations": 8,
        "assistant": 3,
        "agent": 3,
        "service_request": 2,
        "contained_share": 0.375,
        "handoffs": 4,
        "ratings": 2,
        "service_requests": 2,
    }
    days = _by(result.tables["containment_by_day"], "day")
    assert days["2026-11-10"] == {
        "day": "2026-11-10",
        "conversations": 6,
        "assistant": 3,
        "agent": 2,
        "service_request": 1,
        "contained_share": 0.5,
    }
    assert (days["2026-11-11"]["agent"], days["2026-11-11"]["service_request"]) == (1, 1)
    assert list(days) == ["2026-11-10", "2026-11-11"]
    hours = _by(result.tables["containment_by_hour"], "hour")
    assert len(hours) == 24
    assert {h: r["conversations"] for h, r in hours.items() if r["conversations"]} == {
        0: 1,
        8: 1,
        9: 1,
        10: 1,
        14: 1,
        15: 1,
        20: 1,
        23: 1,
    }
    assert hours[23]["assistant"] == 1 and hours[10]["agent"] == 1
    channels = _by(result.tables["containment_by_channel"], "channel")
    assert channels["wechat"]["agent"] == 1 and channels["web"]["conversations"] == 7
    languages = _by(result.tables["containment_by_language"], "language")
    assert (languages["en"]["assistant"], languages["en"]["agent"], languages["zh"]["conversations"]) == (1, 1, 6)


async def test_handoff_reasons_and_steps(sessions: Any) -> None:
    tables = (await _report(sessions)).tables
    assert tables["handoff_reasons"] == [
        {"reason": "customer_request", "handoffs": 2},
        {"reason": "complaint", "handoffs": 1},
        {"reason": "repeated_fallback", "handoffs": 1},
    ]
    steps = {(r["reason"], r["journey_stage"]): r["handoffs"] for r in tables["handoff_steps"]}
    assert steps == {
        ("customer_request", "drawdown_form:drawdown_amount"): 1,
        ("customer_request", "unknown"): 1,
        ("complaint", "unknown"): 1,
        ("repeated_fallback", "intent:nlu_fallback"): 1,
    }


async def test_funnel_of_a_journey(sessions: Any) -> None:
    rows = [r for r in (await _report(sessions)).tables["funnels"] if r["journey"] == DRAWDOWN]
    assert {r["step"]: r["conversations"] for r in rows} == {
        "started": 3,
        "verify_mobile": 3,
        "otp_code": 2,
        "drawdown_amount": 2,
        "drawdown_term": 1,
        "receiving_account": 1,
        "summary": 1,
        "confirmed": 1,
        "cancelled": 1,
        "handed_over": 1,
    }
    assert [r["step"] for r in rows][:3] == ["started", "verify_mobile", "otp_code"]
    assert _by(rows, "step")["confirmed"]["share_of_started"] == round(1 / 3, 4)
    loans = [r for r in (await _report(sessions)).tables["funnels"] if r["journey"] == "loan_application_form"]
    assert all(r["conversations"] == 0 for r in loans) and loans[0]["share_of_started"] is None


async def test_queue_waits_abandonment_first_response_handling_transfers(sessions: Any) -> None:
    skills = _by((await _report(sessions)).tables["queue_by_skill"], "skill")
    assert skills["general"] == {
        "skill": "general",
        "handoffs": 3,
        "queued": 2,
        "not_queued": 1,
        "answered": 2,
        "abandoned": 0,
        "abandonment_rate": 0.0,
        "wait_p50_s": 60.0,
        "wait_p90_s": 84.0,
        "abandoned_wait_p50_s": None,
        "first_response_p50_s": 15.0,
        "first_response_p90_s": 19.0,
        "handling_p50_s": 450.0,
        "handling_p90_s": 570.0,
        "transfers": 1,
    }
    complaints = skills["complaints"]
    assert (complaints["abandoned"], complaints["abandonment_rate"], complaints["abandoned_wait_p50_s"]) == (
        1,
        1.0,
        60.0,
    )
    assert complaints["wait_p50_s"] is None


async def test_service_requests_by_branch_and_account_manager(sessions: Any) -> None:
    tables = (await _report(sessions)).tables
    branches = _by(tables["requests_by_branch"], "branch")
    assert branches["Pudong"] == {
        "branch": "Pudong",
        "requests": 1,
        "accepted": 1,
        "sla_met": 1,
        "sla_missed": 0,
        "sla_met_share": 1.0,
        "acceptance_p50_s": 600.0,
        "acceptance_p90_s": 600.0,
    }
    assert (branches["Jingan"]["accepted"], branches["Jingan"]["sla_missed"]) == (0, 1)
    managers = _by(tables["requests_by_account_manager"], "account_manager")
    assert managers["Manager_J"]["branch"] == "Jingan" and managers["Manager_P"]["sla_met"] == 1


async def test_satisfaction_by_agent_skill_and_outcome(sessions: Any) -> None:
    tables = (await _report(sessions)).tables
    agents = _by(tables["satisfaction_by_agent"], "agent")
    assert (agents["Li"]["average"], agents["Wang"]["average"]) == (5.0, 3.0)
    general = _by(tables["satisfaction_by_skill"], "skill")["general"]
    assert general == {
        "skill": "general",
        "ratings": 2,
        "average": 4.0,
        "score_1": 0,
        "score_2": 0,
        "score_3": 1,
        "score_4": 0,
        "score_5": 1,
    }
    assert {r["outcome"]: r["average"] for r in tables["satisfaction_by_outcome"]} == {
        "closed": 5.0,
        "handed_back": 3.0,
    }


async def test_filters_narrow_every_figure(sessions: Any) -> None:
    wechat = await _report(sessions, Filters(start=RANGE.start, end=RANGE.end, channel="wechat"))
    assert (wechat.totals["conversations"], wechat.totals["agent"], wechat.totals["handoffs"]) == (1, 1, 1)
    assert wechat.totals["service_requests"] == 0
    english = await _report(sessions, Filters(start=RANGE.start, end=RANGE.end, language="en"))
    assert (english.totals["conversations"], english.totals["ratings"]) == (2, 1)
    complaints = await _report(sessions, Filters(start=RANGE.start, end=RANGE.end, skill="complaints"))
    assert [r["skill"] for r in complaints.tables["queue_by_skill"]] == ["complaints"]
    assert complaints.totals["handoffs"] == 1
    one_day = await _report(sessions, Filters(start=dt.date(2026, 11, 11), end=dt.date(2026, 11, 11)))
    assert one_day.totals["conversations"] == 2 and one_day.tables["handoff_reasons"] == [
        {"reason": "repeated_fallback", "handoffs": 1}
    ]


async def test_an_empty_range_has_zeros_not_errors(sessions: Any) -> None:
    empty = await _report(sessions, Filters(start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 3)))
    assert empty.totals["conversations"] == 0 and empty.totals["contained_share"] is None
    assert [r["conversations"] for r in empty.tables["containment_by_day"]] == [0, 0, 0]
    assert empty.tables["queue_by_skill"] == [] and empty.tables["handoff_reasons"] == []
    assert all(r["conversations"] == 0 for r in empty.tables["funnels"])
    async with sessions() as session:
        assert await gaps(session, Filters(start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 3))) == []
    assert group_gaps([], encoder=IndexEncoder(Path("/nonexistent"))) == []


def test_a_range_must_be_ordered_and_bounded() -> None:
    with pytest.raises(InvalidRange, match="before"):
        Filters(start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 1))
    with pytest.raises(InvalidRange, match="93 days"):
        Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 1))


async def test_what_the_assistant_could_not_answer_grouped_and_masked(sessions: Any, faq_index: Path) -> None:
    async with sessions() as session:
        found = await gaps(session, RANGE)
    assert sorted(g.kind for g in found) == ["abstained", "abstained", "fallback", "fallback"]
    groups = group_gaps(found, IndexEncoder(faq_index.parent))
    assert sorted(g.count for g in groups) == [1, 1, 2]
    electricity = groups[0]
    assert electricity.count == 2 and electricity.kinds == {"fallback": 2}
    assert all("electricity" in e for e in electricity.examples)
    rows = gap_table(groups)
    wire = next(r for r in rows if "wire transfer" in r["examples"])
    assert "6222021234567890123" not in wire["examples"] and "0123" in wire["examples"]
    draft = faq_draft(electricity, today=dt.date(2026, 11, 20))
    assert "how do I pay my electricity bill" in draft and "answer:" in draft and f"draft-{electricity.id}" in draft


def test_the_funnels_ask_the_questions_the_forms_ask() -> None:
    """The hub does not import the action server, so its funnel steps are its own list: they must be the questions
    each form of bot/domain asks, in order (a form changed there changes the funnel here); the form's last slot,
    ``confirmed``, is the funnel's summary step."""
    forms = load_domain()["forms"]
    for form, questions in JOURNEYS.items():
        assert tuple(forms[form]["required_slots"]) == (*questions, "confirmed"), form


# Responses an ``action_ask_<slot>`` says instead of ``utter_ask_<slot>`` (actions/drawdowns.py).
ASKED_BY_ACTIONS = {"utter_ask_drawdown_amount_with_line": ("drawdown_form", "drawdown_amount")}


def test_every_question_of_a_money_form_carries_its_journey_marker() -> None:
    """The funnels count a question from the marker on the reply that asks it: the response Rasa's form asks with
    (``utter_ask_<form>_<slot>``, else ``utter_ask_<slot>``, which the ``action_ask_<slot>`` actions also say) has
    ``custom.journey {form, step}`` in each of its variations, English and Chinese."""
    responses = load_domain()["responses"]
    asking = dict(ASKED_BY_ACTIONS)
    for form, questions in JOURNEYS.items():
        for slot in questions:
            specific = f"utter_ask_{form}_{slot}"
            asking[specific if specific in responses else f"utter_ask_{slot}"] = (form, slot)
    assert len(asking) == sum(len(q) for q in JOURNEYS.values()) + len(ASKED_BY_ACTIONS)
    for name, (form, slot) in asking.items():
        variations = responses[name]
        assert [bool(v.get("condition")) for v in variations] == [True, False], name  # English, then Chinese
        for variation in variations:
            assert variation["text"] and variation["custom"] == {"journey": {"form": form, "step": slot}}, name
