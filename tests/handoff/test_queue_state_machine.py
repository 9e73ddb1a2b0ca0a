"""The live-agent queue as a state machine (hypothesis), against the real Redis and its Lua scripts.

Customers arrive and leave, agents come and go (or vanish without a word), offers are accepted, declined or
missed, chats are transferred, handed back and closed, and time moves by a manual clock. After every step:
no chat is with two agents, none is lost, no agent holds more than their capacity, and every offer went to the
chat that the queue's order says is next.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from handoff.clock import ManualClock
from handoff.queue import PRIORITY_RANK, RANK_FACTOR, AgentQueue, QueueTimings
from tests.conftest import QUEUE_REDIS_TEST_URL

SKILLS = ("general", "lending", "complaints", "security")
TIMINGS = QueueTimings(offer_ms=30_000, stale_ms=20_000, exclude_ms=60_000)
AGENTS = {
    "a1": (("general", "lending"), 2),
    "a2": (("general",), 1),
    "a3": (("complaints", "security"), 3),
    "a4": (("lending", "security", "general"), 2),
}


@dataclass
class ModelChat:
    skill: str
    priority: str
    since: int
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def score(self) -> int:
        return PRIORITY_RANK[self.priority] * RANK_FACTOR + self.since


class QueueMachine(RuleBasedStateMachine):
    chats = Bundle("chats")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.redis = aioredis.Redis.from_url(QUEUE_REDIS_TEST_URL, decode_responses=True)
        self.run(self.redis.flushdb())
        self.clock = ManualClock(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC))
        self.queue = AgentQueue(self.redis, clock=self.clock, skills=SKILLS, timings=TIMINGS)
        self.model: dict[str, ModelChat] = {}
        self.seen: dict[str, int] = {}
        self.status: dict[str, str] = {}
        self.counter = 0

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.redis.flushdb())
        self.run(self.redis.aclose())
        self.loop.close()

    def now(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    # ---- customers -----------------------------------------------------------------------------------------

    @rule(target=chats, skill=st.sampled_from(SKILLS), priority=st.sampled_from(("urgent", "high", "normal")))
    def arrive(self, skill: str, priority: str) -> str:
        self.counter += 1
        self.clock.advance(0.01)  # two chats never share a millisecond, so the order is strict
        cid = f"c{self.counter:04d}"
        state = self.run(
            self.queue.enqueue(
                conversation_id=cid,
                skill=skill,
                priority=priority,
                since_ms=self.now(),
                handoff_id=self.counter,
                language="zh",
            )
        )
        assert state == "waiting"
        self.model[cid] = ModelChat(skill, priority, self.now())
        return cid

    @rule(cid=consumes(chats))
    def customer_leaves(self, cid: str) -> None:
        before = self.run(self.queue.chat(cid))
        result = self.run(self.queue.release(conversation_id=cid, only_if_queued=True))
        if before is None:
            assert result is None
        elif before.state == "assigned":
            assert result is not None and result[0] == "assigned"
            self.run(self.queue.release(conversation_id=cid, only_if_queued=False))  # then the agent closes it
            self.model.pop(cid, None)
        else:
            assert result is not None and result[0] == before.state
            self.model.pop(cid, None)

    # ---- agents --------------------------------------------------------------------------------------------

    @rule(agent=st.sampled_from(sorted(AGENTS)), status=st.sampled_from(("online", "online", "away", "offline")))
    def presence(self, agent: str, status: str) -> None:
        skills, capacity = AGENTS[agent]
        before = self.run(self.queue.agent(agent))
        requeued = self.run(
            self.queue.set_presence(agent_id=agent, status=status, skills=list(skills), capacity=capacity)  # type: ignore[arg-type]
        )
        held = set(before.chats) if before else set()
        if status == "offline":
            assert {r.conversation_id for r in requeued} == held
        elif status == "away":
            assert all(r.previous_state == "offered" for r in requeued)
        else:
            assert requeued == []
        self.seen[agent] = self.now()
        self.status[agent] = status

    @rule(agent=st.sampled_from(sorted(AGENTS)))
    def heartbeat(self, agent: str) -> None:
        status = self.run(self.queue.heartbeat(agent_id=agent))
        if status is not None and status != "offline":
            self.seen[agent] = self.now()

    @rule()
    def dispatch(self) -> None:
        expected = self.expected_offer()
        offer = self.run(self.queue.dispatch())
        if expected is None:
            assert offer is None, f"offered {offer} although no chat could be offered"
            return
        assert offer is not None, f"nothing offered although {expected[0]} could go to {expected[1]}"
        cid, candidates = expected
        assert offer.conversation_id == cid, f"offered {offer.conversation_id} before {cid}"
        assert offer.agent_id in candidates

    def expected_offer(self) -> tuple[str, set[str]] | None:
        """The chat the queue's order says is next, and the agents it may go to (the least loaded of those
        who may take it)."""
        now = self.now()
        agents = {a.agent_id: a for a in self.run(self.queue.agents())}
        eligible = {
            aid: a
            for aid, a in agents.items()
            if a.status == "online" and a.seen_ms >= now - TIMINGS.stale_ms and a.load < a.capacity
        }
        waiting = sorted(
            (c for c in self.run(self.queue.all_chats()) if c.state == "waiting"),
            key=lambda c: self.model[c.conversation_id].score,
        )
        for chat in waiting:
            excluded = self.model[chat.conversation_id].excluded
            able = [a for aid, a in eligible.items() if chat.skill in a.skills and excluded.get(aid, 0) <= now]
            if able:
                least = min(a.load for a in able)
                return chat.conversation_id, {a.agent_id for a in able if a.load == least}
        return None

    @rule(cid=chats)
    def accept(self, cid: str) -> None:
        entry = self.run(self.queue.chat(cid))
        if entry is None or entry.state != "offered" or entry.agent_id is None:
            return
        result = self.run(self.queue.accept(conversation_id=cid, agent_id=entry.agent_id))
        assert result == ("ok" if entry.expires_ms > self.now() else "expired")

    @rule(cid=chats, intruder=st.sampled_from(sorted(AGENTS)))
    def accept_by_someone_else(self, cid: str, intruder: str) -> None:
        entry = self.run(self.queue.chat(cid))
        if entry is None or entry.agent_id == intruder:
            return
        result = self.run(self.queue.accept(conversation_id=cid, agent_id=intruder))
        assert result in ("taken", "not_offered", "gone"), result

    @rule(cid=chats)
    def decline(self, cid: str) -> None:
        entry = self.run(self.queue.chat(cid))
        if entry is None or entry.state != "offered" or entry.agent_id is None:
            return
        assert self.run(self.queue.decline(conversation_id=cid, agent_id=entry.agent_id)) == "ok"
        self.model[cid].excluded[entry.agent_id] = self.now() + TIMINGS.exclude_ms

    @rule(cid=chats, skill=st.sampled_from(SKILLS))
    def transfer_to_skill(self, cid: str, skill: str) -> None:
        entry = self.run(self.queue.chat(cid))
        if entry is None or entry.state != "assigned" or entry.agent_id is None:
            return
        result = self.run(self.queue.transfer_to_skill(conversation_id=cid, skill=skill, from_agent_id=entry.agent_id))
        assert result == "ok"
        self.model[cid].skill = skill
        self.model[cid].excluded[entry.agent_id] = self.now() + TIMINGS.exclude_ms

    @rule(cid=chats, to=st.sampled_from(sorted(AGENTS)))
    def transfer_to_agent(self, cid: str, to: str) -> None:
        entry = self.run(self.queue.chat(cid))
        if entry is None or entry.state != "assigned" or entry.agent_id is None:
            return
        agent = self.run(self.queue.agent(to))
        status, previous = self.run(
            self.queue.assign_to_agent(conversation_id=cid, to_agent_id=to, from_agent_id=entry.agent_id)
        )
        present = agent is not None and agent.status != "offline" and agent.seen_ms >= self.now() - TIMINGS.stale_ms
        if to == entry.agent_id:
            assert status == "same_agent"
        elif not present:
            assert status == "agent_unavailable"
        elif agent is not None and agent.load >= agent.capacity:
            assert status == "agent_full"
        else:
            assert (status, previous) == ("ok", entry.agent_id)

    @rule(cid=consumes(chats))
    def hand_back_or_close(self, cid: str) -> None:
        entry = self.run(self.queue.chat(cid))
        if entry is None:
            return
        if entry.state != "assigned":
            # Only the chat's agent ends a chat; this one goes on waiting (the bundle forgets it, the model not).
            return
        result = self.run(self.queue.release(conversation_id=cid, only_if_queued=False))
        assert result == ("assigned", entry.agent_id)
        self.model.pop(cid)

    @rule(seconds=st.sampled_from((1, 5, 15, 31, 45)))
    def time_passes(self, seconds: int) -> None:
        before = {c.conversation_id: c for c in self.run(self.queue.all_chats())}
        self.clock.advance(seconds)
        now = self.now()
        for requeued in self.run(self.queue.expire_offers()):
            was = before[requeued.conversation_id]
            assert was.state == "offered" and was.agent_id == requeued.agent_id and was.expires_ms <= now
            self.model[requeued.conversation_id].excluded[requeued.agent_id] = now + TIMINGS.exclude_ms
        for vanished in self.run(self.queue.sweep_vanished()):
            assert self.seen.get(vanished.agent_id, 0) < now - TIMINGS.stale_ms
            for requeued in vanished.chats:
                assert before[requeued.conversation_id].agent_id == vanished.agent_id

    # ---- invariants ------------------------------------------------------------------------------------------

    @invariant()
    def nothing_lost_nothing_doubled(self) -> None:
        chats = {c.conversation_id: c for c in self.run(self.queue.all_chats())}
        assert set(chats) == set(self.model), "a chat was lost or appeared from nowhere"
        holders: dict[str, str] = {}
        for agent in self.run(self.queue.agents()):
            assert agent.load == len(agent.chats), f"{agent.agent_id}: load {agent.load} != {len(agent.chats)} chats"
            assert agent.load <= agent.capacity, f"{agent.agent_id} holds {agent.load} > {agent.capacity}"
            for cid in agent.chats:
                assert cid not in holders, f"{cid} held by {holders.get(cid)} and {agent.agent_id}"
                holders[cid] = agent.agent_id
        for cid, chat in chats.items():
            assert chat.skill == self.model[cid].skill
            in_sets = [s for s in SKILLS if cid in self.run(self.queue.waiting(s))]
            if chat.state == "waiting":
                assert in_sets == [chat.skill] and cid not in holders
            else:
                assert in_sets == [] and holders.get(cid) == chat.agent_id


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_queue_keeps_its_promises() -> None:
    QueueMachine.TestCase.settings = settings(
        max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    QueueMachine.TestCase().runTest()
