"""Typed FastAPI dependencies: what a route needs, built once at start-up and kept on ``app.state``.

Every dependency is ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread, and a thread hop
for each of them on every request cost more CPU than the request itself under load (bench/handoff.py).

Staff authentication lives here too: ``CurrentStaff`` reads the session cookie (resolved sessions are kept a few
seconds per process, handoff/agents.py ``SessionCache``); ``StaffWrite`` also requires the
CSRF token (header ``X-CSRF-Token``, the value of the ``hub_csrf`` cookie the sign-in set) and an allowed
``Origin`` on every request that changes something; ``Supervisor`` requires a supervising role. The websocket
has no headers of its own to carry a CSRF token, so its handshake is checked by Origin and cookie instead
(handoff/api/routes/console_ws.py).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Header, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff import agents
from handoff.agents import CONSOLE_ROLES, StaffIdentity
from handoff.clock import Clock
from handoff.config import Settings
from handoff.conversations import ConversationService
from handoff.errors import Forbidden, Unauthorized
from handoff.handoffs import HandoffService
from handoff.models import Conversation
from handoff.requests import ServiceRequestService
from handoff.suggestions import SuggestionClient
from handoff.workspace import Workspace

SESSION_COOKIE = "hub_session"
CSRF_COOKIE = "hub_csrf"
CSRF_HEADER = "X-CSRF-Token"


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_redis(request: Request) -> Redis:
    redis: Redis = request.app.state.redis
    return redis


async def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


async def get_conversations(request: Request) -> ConversationService:
    service: ConversationService = request.app.state.conversations
    return service


async def get_handoffs(request: Request) -> HandoffService:
    service: HandoffService = request.app.state.handoffs
    return service


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_workspace(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


async def get_requests(request: Request) -> ServiceRequestService:
    service: ServiceRequestService = request.app.state.requests
    return service


async def get_suggestions(request: Request) -> SuggestionClient:
    client: SuggestionClient = request.app.state.suggestions
    return client


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
RedisDep = Annotated[Redis, Depends(get_redis)]
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]
HandoffsDep = Annotated[HandoffService, Depends(get_handoffs)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SuggestionsDep = Annotated[SuggestionClient, Depends(get_suggestions)]
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
RequestsDep = Annotated[ServiceRequestService, Depends(get_requests)]


async def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def get_authorized_conversation(
    conversation_id: str,
    conversations: ConversationsDep,
    token: Annotated[str | None, Depends(bearer_token)],
) -> Conversation:
    return await conversations.authorize(conversation_id=conversation_id, resume_token=token)


AuthorizedConversation = Annotated[Conversation, Depends(get_authorized_conversation)]


# ---- staff ---------------------------------------------------------------------------------------------------


def origin_allowed(origin: str | None, *, host: str | None, settings: Settings) -> bool:
    """The console's own origin (the Host the request came to), or one configured in CONSOLE_ORIGINS."""
    if not origin:
        return False
    if origin in settings.console_origins:
        return True
    return bool(host) and urlsplit(origin).netloc == host


async def staff_from_cookie(
    *, token: str | None, sessions: async_sessionmaker[AsyncSession], clock: Clock, cache: agents.SessionCache
) -> agents.ResolvedSession | None:
    """The signed-in staff member of a session cookie (with the session's CSRF hash), or None."""
    if not token:
        return None
    now = clock.now()
    cached = cache.get(token, now=now)
    if cached is not None:
        return cached
    async with sessions() as session:
        found = await agents.resolve_session(session, token=token, now=now)
    if found is None:
        return None
    user, row = found
    resolved = agents.ResolvedSession(StaffIdentity.of(user), row.csrf_token_hash, row.expires_at)
    cache.put(token, resolved)
    return resolved


async def get_session_cache(request: Request) -> agents.SessionCache:
    cache: agents.SessionCache = request.app.state.session_cache
    return cache


SessionCacheDep = Annotated[agents.SessionCache, Depends(get_session_cache)]


async def get_current_staff(
    request: Request, sessions: SessionsDep, clock: ClockDep, cache: SessionCacheDep
) -> StaffIdentity:
    found = await staff_from_cookie(
        token=request.cookies.get(SESSION_COOKIE), sessions=sessions, clock=clock, cache=cache
    )
    if found is None:
        raise Unauthorized("Please sign in.", code="not_signed_in")
    request.state.csrf_hash = found.csrf_token_hash
    return found.staff


CurrentStaff = Annotated[StaffIdentity, Depends(get_current_staff)]


async def get_staff_write(request: Request, staff: CurrentStaff, settings: SettingsDep) -> StaffIdentity:
    """A change made by a signed-in staff member: the CSRF token must match and the Origin must be allowed."""
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(origin, host=request.headers.get("host"), settings=settings):
        raise Forbidden("Requests from this origin are not accepted.", code="origin_not_allowed")
    if not agents.csrf_matches(request.state.csrf_hash, request.headers.get(CSRF_HEADER)):
        raise Forbidden("The CSRF token is missing or wrong; reload the console.", code="csrf_failed")
    return staff


StaffWrite = Annotated[StaffIdentity, Depends(get_staff_write)]


def _require_console_role(staff: StaffIdentity) -> StaffIdentity:
    if staff.role not in CONSOLE_ROLES:
        raise Forbidden("The agent console is for agents and supervisors.", code="role_not_allowed")
    return staff


async def get_console_agent(staff: CurrentStaff) -> StaffIdentity:
    return _require_console_role(staff)


async def get_console_agent_write(staff: StaffWrite) -> StaffIdentity:
    return _require_console_role(staff)


async def get_supervisor(staff: CurrentStaff) -> StaffIdentity:
    if not staff.supervises:
        raise Forbidden("Only supervisors and administrators may do that.", code="supervisors_only")
    return staff


async def get_supervisor_write(staff: StaffWrite) -> StaffIdentity:
    if not staff.supervises:
        raise Forbidden("Only supervisors and administrators may do that.", code="supervisors_only")
    return staff


ConsoleAgent = Annotated[StaffIdentity, Depends(get_console_agent)]
ConsoleAgentWrite = Annotated[StaffIdentity, Depends(get_console_agent_write)]
Supervisor = Annotated[StaffIdentity, Depends(get_supervisor)]
SupervisorWrite = Annotated[StaffIdentity, Depends(get_supervisor_write)]
