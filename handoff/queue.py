"""The live-agent queue in Redis: skills, priority, agent presence and capacity, offers.

Every change is one Lua script, so it is atomic across every hub process: a chat is offered to one agent at a
time, assigned to at most one, and never dropped on the way. The scripts take the time as an argument (the hub's
clock), never Redis's own, so tests move time instead of sleeping. Keys are built inside the scripts, so the
queue needs one Redis (or a Sentinel pair), not a Redis Cluster.

A chat (one conversation waiting for or talking to a person) is in one state:

    waiting   in its skill's sorted set; score = priority rank * 1e13 + the time it first queued (ms), so urgent
              before high before normal, then the longest wait first. A chat that comes back (an offer missed,
              an agent vanished, a transfer to a skill) keeps its first time, so it is ahead of everyone who
              came after it.
    offered   to one agent until the offer expires; counts against that agent's capacity.
    assigned  to one agent.

Agents: online (take offers), away (keep their chats, get no offers), offline (hold nothing). An agent whose
heartbeat is older than ``stale_ms`` has vanished: every chat they held goes back to the queue, and they are
offline until they come back. An agent who misses an offer is set away, so the next chat does not wait on them
too; an agent who declines (or misses) a chat is not offered that same chat again for ``exclude_ms``.

The SQL transcript remains the record of what happened; this module is the live state. ``HandoffService``
(handoff/handoffs.py) applies each result to SQL, and its reconciler rebuilds this state from SQL when Redis has
lost it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from redis.asyncio import Redis

from handoff.clock import Clock, epoch_ms
from handoff.redis_util import answer

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}
RANK_FACTOR = 10**13
P = "hub:q:"

ChatState = Literal["waiting", "offered", "assigned"]
AgentStatus = Literal["online", "away", "offline"]

_PRELUDE = """
local P = 'hub:q:'
local function split(s)
  local t = {}
  if s then for x in string.gmatch(s, '[^,]+') do t[#t + 1] = x end end
  return t
end
local function has(csv, x)
  for _, v in ipairs(split(csv)) do if v == x then return true end end
  return false
end
local function chat_score(chat_key)
  local r = redis.call('HMGET', chat_key, 'rank', 'since')
  return tonumber(r[1]) * 1e13 + tonumber(r[2])
end
-- Back to the waiting set of its skill with its first score; the agent it was offered to or held by loses it.
local function to_waiting(cid)
  local key = P .. 'chat:' .. cid
  local c = redis.call('HMGET', key, 'skill', 'state', 'agent')
  if not c[2] then return c end
  if (c[2] == 'offered' or c[2] == 'assigned') and c[3] and c[3] ~= '' then
    if redis.call('SREM', P .. 'agent:' .. c[3] .. ':chats', cid) == 1 then
      redis.call('HINCRBY', P .. 'agent:' .. c[3], 'load', -1)
    end
  end
  redis.call('ZREM', P .. 'offers', cid)
  redis.call('HSET', key, 'state', 'waiting', 'agent', '', 'expires', 0)
  redis.call('ZADD', P .. 'wait:' .. c[1], chat_score(key), cid)
  return c
end
local function exclude(cid, aid, untilms)
  redis.call('HSET', P .. 'chat:' .. cid .. ':excluded', aid, untilms)
end
local function is_excluded(cid, aid, now)
  local u = redis.call('HGET', P .. 'chat:' .. cid .. ':excluded', aid)
  return u and tonumber(u) > now
end
"""

# KEYS: none. ARGV: cid, skill, rank, since, handoff_id, language, summary (what an offer shows the agent, JSON;
# may be empty). Returns [state, skill] (state of an existing chat when it was already queued: enqueueing twice is
# harmless).
_ENQUEUE = """
local cid = ARGV[1]
local key = P .. 'chat:' .. cid
local state = redis.call('HGET', key, 'state')
if state then return {state, redis.call('HGET', key, 'skill')} end
redis.call('HSET', key, 'skill', ARGV[2], 'rank', ARGV[3], 'since', ARGV[4], 'state', 'waiting', 'agent', '',
  'expires', 0, 'handoff', ARGV[5], 'language', ARGV[6], 'summary', ARGV[7])
redis.call('ZADD', P .. 'wait:' .. ARGV[2], tonumber(ARGV[3]) * 1e13 + tonumber(ARGV[4]), cid)
redis.call('SADD', P .. 'chats', cid)
return {'waiting', ARGV[2]}
"""

# ARGV: now, stale_ms, offer_ms, skills (comma-separated, every skill). One offer: the best-ranked waiting chat
# that some eligible agent may take, to the least loaded of them (then the one offered to longest ago).
# Returns [cid, aid, expires, skill, summary] or nil.
_DISPATCH = """
local now, stale, offer_ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local agents = {}
for _, aid in ipairs(redis.call('SMEMBERS', P .. 'agents')) do
  local a = redis.call('HMGET', P .. 'agent:' .. aid, 'status', 'skills', 'capacity', 'load', 'seen', 'last')
  if a[1] == 'online' and tonumber(a[5] or 0) >= now - stale and tonumber(a[4] or 0) < tonumber(a[3] or 0) then
    agents[#agents + 1] = {id = aid, skills = a[2] or '', load = tonumber(a[4] or 0), last = tonumber(a[6] or 0)}
  end
end
if #agents == 0 then return nil end
local best = nil
for _, skill in ipairs(split(ARGV[4])) do
  local cands = {}
  for _, a in ipairs(agents) do if has(a.skills, skill) then cands[#cands + 1] = a end end
  if #cands > 0 then
    local items = redis.call('ZRANGE', P .. 'wait:' .. skill, 0, 199, 'WITHSCORES')
    for i = 1, #items, 2 do
      local cid, sc = items[i], tonumber(items[i + 1])
      if best and sc >= best.score then break end
      local pick = nil
      for _, a in ipairs(cands) do
        if not is_excluded(cid, a.id, now) then
          if pick == nil or a.load < pick.load or (a.load == pick.load and a.last < pick.last) then pick = a end
        end
      end
      if pick then best = {cid = cid, score = sc, agent = pick, skill = skill} break end
    end
  end
end
if not best then return nil end
local expires = now + offer_ms
redis.call('ZREM', P .. 'wait:' .. best.skill, best.cid)
redis.call('HSET', P .. 'chat:' .. best.cid, 'state', 'offered', 'agent', best.agent.id, 'expires', expires)
redis.call('ZADD', P .. 'offers', expires, best.cid)
redis.call('HINCRBY', P .. 'agent:' .. best.agent.id, 'load', 1)
redis.call('HSET', P .. 'agent:' .. best.agent.id, 'last', now)
redis.call('SADD', P .. 'agent:' .. best.agent.id .. ':chats', best.cid)
return {best.cid, best.agent.id, tostring(expires), best.skill,
  redis.call('HGET', P .. 'chat:' .. best.cid, 'summary') or ''}
"""

# ARGV: cid, aid, now. Returns 'ok', 'already' (accepted before), or why not: 'gone', 'taken', 'not_offered',
# 'expired'.
_ACCEPT = """
local key = P .. 'chat:' .. ARGV[1]
local c = redis.call('HMGET', key, 'state', 'agent', 'expires')
if not c[1] then return 'gone' end
if c[1] == 'assigned' then
  if c[2] == ARGV[2] then return 'already' end
  return 'taken'
end
if c[1] ~= 'offered' or c[2] ~= ARGV[2] then return 'not_offered' end
if tonumber(c[3]) <= tonumber(ARGV[3]) then return 'expired' end
redis.call('HSET', key, 'state', 'assigned', 'expires', 0)
redis.call('ZREM', P .. 'offers', ARGV[1])
return 'ok'
"""

# ARGV: cid, aid, now, exclude_ms. An offer declined: back to the queue; that agent is not offered it again for
# exclude_ms. Returns 'ok' or 'not_offered'.
_DECLINE = """
local key = P .. 'chat:' .. ARGV[1]
local c = redis.call('HMGET', key, 'state', 'agent')
if c[1] ~= 'offered' or c[2] ~= ARGV[2] then return 'not_offered' end
to_waiting(ARGV[1])
exclude(ARGV[1], ARGV[2], tonumber(ARGV[3]) + tonumber(ARGV[4]))
return 'ok'
"""

# ARGV: now, exclude_ms. Offers past their time go back to the queue; the agent who missed one is set away.
# Returns a flat list [cid, aid, ...].
_EXPIRE = """
local now = tonumber(ARGV[1])
local out = {}
for _, cid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'offers', '-inf', now)) do
  local c = redis.call('HMGET', P .. 'chat:' .. cid, 'state', 'agent')
  if c[1] == 'offered' then
    to_waiting(cid)
    exclude(cid, c[2], now + tonumber(ARGV[2]))
    if redis.call('HGET', P .. 'agent:' .. c[2], 'status') == 'online' then
      redis.call('HSET', P .. 'agent:' .. c[2], 'status', 'away')
    end
    out[#out + 1] = cid
    out[#out + 1] = c[2]
  end
  redis.call('ZREM', P .. 'offers', cid)
end
return out
"""

# ARGV: now, stale_ms. Agents whose heartbeat is too old: every chat they held goes back to the queue and they
# are offline. Returns a flat list [cid, aid, previous state, ...] and, for agents who held nothing,
# ['', aid, ''] so the caller can tell supervisors.
_VANISH = """
local now, stale = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for _, aid in ipairs(redis.call('SMEMBERS', P .. 'agents')) do
  local key = P .. 'agent:' .. aid
  local a = redis.call('HMGET', key, 'status', 'seen')
  if a[1] and a[1] ~= 'offline' and tonumber(a[2] or 0) < now - stale then
    local chats = redis.call('SMEMBERS', key .. ':chats')
    for _, cid in ipairs(chats) do
      local state = redis.call('HGET', P .. 'chat:' .. cid, 'state')
      to_waiting(cid)
      out[#out + 1] = cid
      out[#out + 1] = aid
      out[#out + 1] = state or ''
    end
    if #chats == 0 then
      out[#out + 1] = ''
      out[#out + 1] = aid
      out[#out + 1] = ''
    end
    redis.call('DEL', key .. ':chats')
    redis.call('HSET', key, 'status', 'offline', 'load', 0)
  end
end
return out
"""

# ARGV: cid, only_if_queued ('1': leave an assigned chat alone). The chat leaves the queue for good (closed,
# handed back, the customer left). Returns [previous state, agent] or nil when it was not queued.
_RELEASE = """
local cid = ARGV[1]
local key = P .. 'chat:' .. cid
local c = redis.call('HMGET', key, 'skill', 'state', 'agent')
if not c[2] then return nil end
if ARGV[2] == '1' and c[2] == 'assigned' then return {c[2], c[3] or ''} end
if c[3] and c[3] ~= '' then
  if redis.call('SREM', P .. 'agent:' .. c[3] .. ':chats', cid) == 1 then
    redis.call('HINCRBY', P .. 'agent:' .. c[3], 'load', -1)
  end
end
redis.call('ZREM', P .. 'wait:' .. c[1], cid)
redis.call('ZREM', P .. 'offers', cid)
redis.call('SREM', P .. 'chats', cid)
redis.call('DEL', key, key .. ':excluded')
return {c[2], c[3] or ''}
"""

# ARGV: cid, from_aid ('' = whoever holds it), skill, now, exclude_ms. An assigned chat goes back to the queue
# of a skill (its first time kept, so it is near the head); the agent who passed it on is not offered it again
# for exclude_ms. Returns 'ok', 'gone' or 'not_yours'.
_TRANSFER_TO_SKILL = """
local cid = ARGV[1]
local key = P .. 'chat:' .. cid
local c = redis.call('HMGET', key, 'skill', 'state', 'agent')
if not c[2] then return 'gone' end
if ARGV[2] ~= '' and (c[2] ~= 'assigned' or c[3] ~= ARGV[2]) then return 'not_yours' end
redis.call('ZREM', P .. 'wait:' .. c[1], cid)
redis.call('HSET', key, 'skill', ARGV[3])
local prior = c[3]
to_waiting(cid)
if prior and prior ~= '' then exclude(cid, prior, tonumber(ARGV[4]) + tonumber(ARGV[5])) end
return 'ok'
"""

# ARGV: cid, to_aid, from_aid ('' = any holder, a supervisor's reassignment), now, stale_ms. Straight to an
# agent who is present (online or away, heartbeat fresh) and has room. Returns ['ok', previous agent] or
# [why not]: 'gone', 'not_yours', 'same_agent', 'agent_unavailable', 'agent_full'.
_ASSIGN_TO_AGENT = """
local cid, to = ARGV[1], ARGV[2]
local now, stale = tonumber(ARGV[4]), tonumber(ARGV[5])
local key = P .. 'chat:' .. cid
local c = redis.call('HMGET', key, 'skill', 'state', 'agent')
if not c[2] then return {'gone'} end
if ARGV[3] ~= '' and (c[2] ~= 'assigned' or c[3] ~= ARGV[3]) then return {'not_yours'} end
if c[3] == to and c[2] == 'assigned' then return {'same_agent'} end
local a = redis.call('HMGET', P .. 'agent:' .. to, 'status', 'capacity', 'load', 'seen')
if not a[1] or a[1] == 'offline' or tonumber(a[4] or 0) < now - stale then return {'agent_unavailable'} end
if tonumber(a[3] or 0) >= tonumber(a[2] or 0) and c[3] ~= to then return {'agent_full'} end
local prior = c[3] or ''
if (c[2] == 'offered' or c[2] == 'assigned') and prior ~= '' then
  if redis.call('SREM', P .. 'agent:' .. prior .. ':chats', cid) == 1 then
    redis.call('HINCRBY', P .. 'agent:' .. prior, 'load', -1)
  end
end
redis.call('ZREM', P .. 'wait:' .. c[1], cid)
redis.call('ZREM', P .. 'offers', cid)
redis.call('HSET', key, 'state', 'assigned', 'agent', to, 'expires', 0)
redis.call('SADD', P .. 'agent:' .. to .. ':chats', cid)
redis.call('HINCRBY', P .. 'agent:' .. to, 'load', 1)
return {'ok', prior}
"""

# ARGV: aid, status, skills, capacity, now. Going away hands back pending offers; going offline hands back
# everything. Returns a flat list [cid, previous state, ...] of chats that went back to the queue.
_PRESENCE = """
local aid, status = ARGV[1], ARGV[2]
local key = P .. 'agent:' .. aid
redis.call('SADD', P .. 'agents', aid)
redis.call('HSET', key, 'status', status, 'skills', ARGV[3], 'capacity', ARGV[4], 'seen', ARGV[5])
if not redis.call('HGET', key, 'load') then redis.call('HSET', key, 'load', 0, 'last', 0) end
local out = {}
if status ~= 'online' then
  for _, cid in ipairs(redis.call('SMEMBERS', key .. ':chats')) do
    local state = redis.call('HGET', P .. 'chat:' .. cid, 'state')
    if status == 'offline' or state == 'offered' then
      to_waiting(cid)
      out[#out + 1] = cid
      out[#out + 1] = state or ''
    end
  end
end
return out
"""

# ARGV: skill, now, stale_ms. Returns [capacity, free]: the chats the present, online agents with the skill can
# hold at once, and how many of those places are free now (for wait estimates; one round trip, however many
# agents there are).
_STAFFING = """
local now, stale = tonumber(ARGV[2]), tonumber(ARGV[3])
local capacity, free = 0, 0
for _, aid in ipairs(redis.call('SMEMBERS', P .. 'agents')) do
  local a = redis.call('HMGET', P .. 'agent:' .. aid, 'status', 'skills', 'capacity', 'load', 'seen')
  if a[1] == 'online' and tonumber(a[5] or 0) >= now - stale and has(a[2], ARGV[1]) then
    local cap, load = tonumber(a[3] or 0), tonumber(a[4] or 0)
    capacity = capacity + cap
    if cap > load then free = free + cap - load end
  end
end
return {capacity, free}
"""

# ARGV: aid, now. Returns the agent's status ('offline' when the hub has let them go, so the console can say
# so), or nil for an agent the queue does not know.
_HEARTBEAT = """
local key = P .. 'agent:' .. ARGV[1]
local status = redis.call('HGET', key, 'status')
if not status then return nil end
if status ~= 'offline' then redis.call('HSET', key, 'seen', ARGV[2]) end
return status
"""


@dataclass(frozen=True)
class Offer:
    conversation_id: str
    agent_id: str
    expires_ms: int
    # What the agent is shown, as stored when the chat was queued (None: read it from SQL).
    summary: dict[str, Any] | None = None


@dataclass(frozen=True)
class Requeued:
    """A chat that went back to the queue, and the agent it came from."""

    conversation_id: str
    agent_id: str
    previous_state: str


@dataclass(frozen=True)
class VanishedAgent:
    agent_id: str
    chats: list[Requeued]


@dataclass(frozen=True)
class ChatEntry:
    conversation_id: str
    skill: str
    priority: str
    since_ms: int
    state: ChatState
    agent_id: str | None
    expires_ms: int
    handoff_id: int
    language: str


@dataclass(frozen=True)
class AgentEntry:
    agent_id: str
    status: AgentStatus
    skills: list[str]
    capacity: int
    load: int
    seen_ms: int
    chats: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QueueTimings:
    offer_ms: int = 30_000
    stale_ms: int = 20_000
    exclude_ms: int = 60_000


class AgentQueue:
    """The live queue: one method per atomic change, plus reads for positions and the supervisor's view."""

    def __init__(self, redis: Redis, *, clock: Clock, skills: tuple[str, ...], timings: QueueTimings):
        self.redis = redis
        self.clock = clock
        self.skills = skills
        self.timings = timings
        self._scripts = {
            name: redis.register_script(_PRELUDE + body)
            for name, body in {
                "enqueue": _ENQUEUE,
                "dispatch": _DISPATCH,
                "accept": _ACCEPT,
                "decline": _DECLINE,
                "expire": _EXPIRE,
                "vanish": _VANISH,
                "release": _RELEASE,
                "transfer_to_skill": _TRANSFER_TO_SKILL,
                "assign_to_agent": _ASSIGN_TO_AGENT,
                "presence": _PRESENCE,
                "heartbeat": _HEARTBEAT,
                "staffing": _STAFFING,
            }.items()
        }

    def _now(self) -> int:
        return epoch_ms(self.clock)

    async def _run(self, name: str, *args: Any) -> Any:
        return await self._scripts[name](keys=[], args=[str(a) for a in args])

    # ---- chats ---------------------------------------------------------------------------------------------

    async def enqueue(
        self,
        *,
        conversation_id: str,
        skill: str,
        priority: str,
        since_ms: int,
        handoff_id: int,
        language: str,
        summary: dict[str, Any] | None = None,
    ) -> str:
        """Queue a chat (no-op when it is already queued); returns its state. ``summary`` travels with the offer,
        so an offer goes out without a database read."""
        if skill not in self.skills:
            raise ValueError(f"unknown skill {skill!r}")
        packed = json.dumps(summary, ensure_ascii=False, default=str) if summary else ""
        state, _ = await self._run(
            "enqueue", conversation_id, skill, PRIORITY_RANK[priority], since_ms, handoff_id, language, packed
        )
        return str(state)

    async def dispatch(self) -> Offer | None:
        """Make one offer, if a waiting chat and an agent who may take it exist."""
        result = await self._run(
            "dispatch", self._now(), self.timings.stale_ms, self.timings.offer_ms, ",".join(self.skills)
        )
        if not result:
            return None
        summary = json.loads(result[4]) if result[4] else None
        if summary is not None:
            summary["skill"] = result[3]  # a transfer may have changed it
        return Offer(conversation_id=result[0], agent_id=result[1], expires_ms=int(result[2]), summary=summary)

    async def accept(self, *, conversation_id: str, agent_id: str) -> str:
        return str(await self._run("accept", conversation_id, agent_id, self._now()))

    async def decline(self, *, conversation_id: str, agent_id: str) -> str:
        return str(await self._run("decline", conversation_id, agent_id, self._now(), self.timings.exclude_ms))

    async def expire_offers(self) -> list[Requeued]:
        flat = await self._run("expire", self._now(), self.timings.exclude_ms)
        return [Requeued(flat[i], flat[i + 1], "offered") for i in range(0, len(flat), 2)]

    async def sweep_vanished(self) -> list[VanishedAgent]:
        flat = await self._run("vanish", self._now(), self.timings.stale_ms)
        vanished: dict[str, list[Requeued]] = {}
        for i in range(0, len(flat), 3):
            cid, aid, state = flat[i], flat[i + 1], flat[i + 2]
            chats = vanished.setdefault(aid, [])
            if cid:
                chats.append(Requeued(cid, aid, state))
        return [VanishedAgent(aid, chats) for aid, chats in vanished.items()]

    async def release(self, *, conversation_id: str, only_if_queued: bool) -> tuple[str, str | None] | None:
        """Take a chat out of the queue for good; returns its previous state and agent, None if not queued.
        With ``only_if_queued`` an assigned chat stays (the customer cannot walk out on an agent by leaving the
        queue); the result then says ``assigned``."""
        result = await self._run("release", conversation_id, "1" if only_if_queued else "0")
        if not result:
            return None
        return str(result[0]), (str(result[1]) or None)

    async def transfer_to_skill(self, *, conversation_id: str, skill: str, from_agent_id: str | None) -> str:
        if skill not in self.skills:
            raise ValueError(f"unknown skill {skill!r}")
        return str(
            await self._run(
                "transfer_to_skill",
                conversation_id,
                from_agent_id or "",
                skill,
                self._now(),
                self.timings.exclude_ms,
            )
        )

    async def assign_to_agent(
        self, *, conversation_id: str, to_agent_id: str, from_agent_id: str | None
    ) -> tuple[str, str | None]:
        """Straight to an agent; returns ('ok', the previous agent) or (why not, None)."""
        result = await self._run(
            "assign_to_agent",
            conversation_id,
            to_agent_id,
            from_agent_id or "",
            self._now(),
            self.timings.stale_ms,
        )
        status = str(result[0])
        return status, (str(result[1]) or None) if status == "ok" and len(result) > 1 else None

    # ---- agents --------------------------------------------------------------------------------------------

    async def set_presence(
        self, *, agent_id: str, status: AgentStatus, skills: list[str], capacity: int
    ) -> list[Requeued]:
        known = [s for s in skills if s in self.skills]
        flat = await self._run("presence", agent_id, status, ",".join(known), capacity, self._now())
        return [Requeued(flat[i], agent_id, flat[i + 1]) for i in range(0, len(flat), 2)]

    async def heartbeat(self, *, agent_id: str) -> str | None:
        result = await self._run("heartbeat", agent_id, self._now())
        return str(result) if result else None

    # ---- reads ---------------------------------------------------------------------------------------------

    async def chat(self, conversation_id: str) -> ChatEntry | None:
        raw = await answer(self.redis.hgetall(f"{P}chat:{conversation_id}"))
        return _chat_entry(conversation_id, raw) if raw else None

    async def waiting(self, skill: str) -> list[str]:
        """The waiting chats of a skill, first in line first."""
        return [str(c) for c in await answer(self.redis.zrange(f"{P}wait:{skill}", 0, -1))]

    async def position(self, conversation_id: str) -> int | None:
        """1 for the next in line (or an offer out to an agent now); None when not queued or already assigned."""
        entry = await self.chat(conversation_id)
        if entry is None or entry.state == "assigned":
            return None
        if entry.state == "offered":
            return 1
        rank = await answer(self.redis.zrank(f"{P}wait:{entry.skill}", conversation_id))
        return None if rank is None else int(rank) + 1

    async def position_if_queued(self, *, skill: str, priority: str, since_ms: int) -> int:
        """Where a chat would stand if it queued now (before it is stored)."""
        score = PRIORITY_RANK[priority] * RANK_FACTOR + since_ms
        ahead = await answer(self.redis.zcount(f"{P}wait:{skill}", "-inf", f"({score}"))
        return int(ahead) + 1

    async def all_chats(self) -> list[ChatEntry]:
        ids = [str(c) for c in await answer(self.redis.smembers(f"{P}chats"))]
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(f"{P}chat:{cid}")
            raws = await pipe.execute()
        return [_chat_entry(cid, raw) for cid, raw in zip(ids, raws, strict=True) if raw]

    async def agents(self) -> list[AgentEntry]:
        ids = sorted(str(a) for a in await answer(self.redis.smembers(f"{P}agents")))
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for aid in ids:
                pipe.hgetall(f"{P}agent:{aid}")
                pipe.smembers(f"{P}agent:{aid}:chats")
            raws = await pipe.execute()
        entries = []
        for i, aid in enumerate(ids):
            raw, chats = raws[2 * i], raws[2 * i + 1]
            if raw:
                entries.append(_agent_entry(aid, raw, sorted(str(c) for c in chats)))
        return entries

    async def agent(self, agent_id: str) -> AgentEntry | None:
        raw = await answer(self.redis.hgetall(f"{P}agent:{agent_id}"))
        if not raw:
            return None
        chats = await answer(self.redis.smembers(f"{P}agent:{agent_id}:chats"))
        return _agent_entry(agent_id, raw, sorted(str(c) for c in chats))

    async def staffing(self, skill: str) -> tuple[int, int]:
        """(chats the present, online agents with this skill can hold at once, how many places are free now)."""
        capacity, free = await self._run("staffing", skill, self._now(), self.timings.stale_ms)
        return int(capacity), int(free)


def _chat_entry(conversation_id: str, raw: dict[str, Any]) -> ChatEntry:
    rank = int(raw.get("rank", 2))
    priority = next((p for p, r in PRIORITY_RANK.items() if r == rank), "normal")
    return ChatEntry(
        conversation_id=conversation_id,
        skill=str(raw.get("skill", "")),
        priority=priority,
        since_ms=int(raw.get("since", 0)),
        state=raw.get("state", "waiting"),
        agent_id=raw.get("agent") or None,
        expires_ms=int(raw.get("expires", 0) or 0),
        handoff_id=int(raw.get("handoff", 0) or 0),
        language=str(raw.get("language", "zh")),
    )


def _agent_entry(agent_id: str, raw: dict[str, Any], chats: list[str]) -> AgentEntry:
    return AgentEntry(
        agent_id=agent_id,
        status=raw.get("status", "offline"),
        skills=[s for s in str(raw.get("skills", "")).split(",") if s],
        capacity=int(raw.get("capacity", 0) or 0),
        load=int(raw.get("load", 0) or 0),
        seen_ms=int(raw.get("seen", 0) or 0),
        chats=chats,
    )
