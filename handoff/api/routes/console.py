"""The agent console's API (v1, ``/api/console``): sign-in, presence, offers, chats, canned replies, the
supervisor's overview. Reads need a signed-in session; every write also needs the CSRF token and an allowed
Origin (handoff/api/deps.py). Documented in docs/contracts.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff import agents, crud, outbox
from handoff.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    ClockDep,
    ConsoleAgent,
    ConsoleAgentWrite,
    CurrentStaff,
    HandoffsDep,
    RedisDep,
    SessionCacheDep,
    SessionsDep,
    SettingsDep,
    StaffWrite,
    SuggestionsDep,
    Supervisor,
    SupervisorWrite,
    WorkspaceDep,
    origin_allowed,
)
from handoff.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from handoff.handoffs import TRANSFER_SKILLS, WRAPUP_CODES
from handoff.models import CannedReply
from handoff.schemas import (
    AgentList,
    AgentMessageCreate,
    CannedReplyIn,
    CannedReplyList,
    CannedReplyOut,
    ChatDetail,
    ChatList,
    CloseRequest,
    ConsoleConfig,
    ConsoleMessage,
    ConsoleMessageList,
    HandbackRequest,
    OutboxMessageList,
    Overview,
    PresenceUpdate,
    ReassignRequest,
    SignedIn,
    SignIn,
    StaffOut,
    SuggestionList,
    TransferRequest,
)
from handoff.suggestions import SuggestionsUnavailable
from handoff.system_texts import SKILL_LABELS
from handoff.workspace import console_message

router = APIRouter(prefix="/api/console", tags=["console"])


async def _staff_out(handoffs: HandoffsDep, staff: agents.StaffIdentity) -> StaffOut:
    entry = await handoffs.queue.agent(staff.id)
    return StaffOut(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role.value,
        skills=list(staff.skills),
        max_chats=staff.max_chats,
        presence=entry.status if entry else "offline",
    )


# ---- session ----------------------------------------------------------------------------------------------


@router.post("/session", response_model=SignedIn)
async def sign_in(
    body: SignIn,
    request: Request,
    response: Response,
    sessions: SessionsDep,
    redis: RedisDep,
    settings: SettingsDep,
    clock: ClockDep,
    handoffs: HandoffsDep,
) -> SignedIn:
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(origin, host=request.headers.get("host"), settings=settings):
        raise Forbidden("Sign-in from this origin is not accepted.", code="origin_not_allowed")
    client = request.client.host if request.client else "unknown"
    username = body.username.strip().lower()
    limiter = agents.SignInLimiter(
        redis,
        max_failures=settings.sign_in_max_failures,
        max_failures_per_address=settings.sign_in_max_failures_per_address,
        window_seconds=settings.sign_in_window_seconds,
    )
    await limiter.check(username=username, client=client)
    async with sessions() as session:
        user = await agents.authenticate(session, username=username, password=body.password)
        if user is None:
            await limiter.record_failure(username=username, client=client)
            raise Unauthorized("The username or the password is wrong.", code="invalid_credentials")
        lifetime = dt.timedelta(hours=settings.console_session_hours)
        token, csrf_token = await agents.open_session(session, user=user, lifetime=lifetime, now=clock.now())
        await session.commit()
    await limiter.clear(username=username)
    max_age = int(settings.console_session_hours * 3600)
    secure = settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE, csrf_token, max_age=max_age, httponly=False, samesite="strict", secure=secure, path="/"
    )
    staff = agents.StaffIdentity.of(user)
    return SignedIn(user=await _staff_out(handoffs, staff), csrf_token=csrf_token)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(
    request: Request, staff: StaffWrite, sessions: SessionsDep, handoffs: HandoffsDep, cache: SessionCacheDep
) -> Response:
    if staff.role.value != "account_manager":
        await handoffs.set_presence(staff=staff, status="offline")
    token = request.cookies.get(SESSION_COOKIE, "")
    async with sessions() as session:
        await agents.close_session(session, token=token)
        await session.commit()
    cache.drop(token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=StaffOut)
async def me(staff: CurrentStaff, handoffs: HandoffsDep) -> StaffOut:
    return await _staff_out(handoffs, staff)


@router.get("/config", response_model=ConsoleConfig)
async def console_config(_staff: CurrentStaff, settings: SettingsDep) -> ConsoleConfig:
    return ConsoleConfig.model_validate(
        {
            "skills": [{"code": code, **labels} for code, labels in SKILL_LABELS.items()],
            "transfer_skills": list(TRANSFER_SKILLS),
            "wrapup_codes": [{"code": code, **labels} for code, labels in WRAPUP_CODES.items()],
            "heartbeat_seconds": settings.heartbeat_seconds,
            "agent_stale_seconds": settings.agent_stale_seconds,
            "offer_timeout_seconds": settings.offer_timeout_seconds,
            "max_message_chars": settings.max_message_chars,
        }
    )


@router.put("/me/presence", response_model=StaffOut)
async def set_presence(body: PresenceUpdate, staff: ConsoleAgentWrite, handoffs: HandoffsDep) -> StaffOut:
    await handoffs.set_presence(staff=staff, status=body.status)
    return await _staff_out(handoffs, staff)


# ---- chats ------------------------------------------------------------------------------------------------


@router.get("/chats", response_model=ChatList)
async def list_chats(
    workspace: WorkspaceDep, staff: ConsoleAgent, scope: Annotated[str, Query(pattern="^(mine|waiting|all)$")] = "mine"
) -> ChatList:
    if scope == "mine":
        chats = await workspace.my_chats(staff)
    elif scope == "waiting":
        chats = await workspace.waiting(staff)
    else:
        if not staff.supervises:
            raise Forbidden("Only supervisors see every chat.", code="supervisors_only")
        chats = await workspace.live_chats()
    return ChatList.model_validate({"chats": chats})


@router.get("/chats/{conversation_id}", response_model=ChatDetail)
async def read_chat(
    conversation_id: str, workspace: WorkspaceDep, staff: ConsoleAgent, handoffs: HandoffsDep
) -> ChatDetail:
    await handoffs.holder(staff=staff, conversation_id=conversation_id, write=False)
    return ChatDetail.model_validate(await workspace.detail(conversation_id))


@router.get("/chats/{conversation_id}/messages", response_model=ConsoleMessageList)
async def read_chat_messages(
    conversation_id: str,
    staff: ConsoleAgent,
    handoffs: HandoffsDep,
    sessions: SessionsDep,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=crud.MESSAGE_PAGE_LIMIT)] = crud.MESSAGE_PAGE_LIMIT,
) -> ConsoleMessageList:
    await handoffs.holder(staff=staff, conversation_id=conversation_id, write=False)
    async with sessions() as session:
        messages, has_more = await crud.page_messages_after(
            session, conversation_id=conversation_id, after_seq=after, limit=limit
        )
    return ConsoleMessageList.model_validate({"messages": [console_message(m) for m in messages], "has_more": has_more})


@router.post("/chats/{conversation_id}/accept", status_code=status.HTTP_204_NO_CONTENT)
async def accept(conversation_id: str, staff: ConsoleAgentWrite, handoffs: HandoffsDep) -> Response:
    await handoffs.accept(staff=staff, conversation_id=conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/chats/{conversation_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
async def decline(conversation_id: str, staff: ConsoleAgentWrite, handoffs: HandoffsDep) -> Response:
    await handoffs.decline(staff=staff, conversation_id=conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/chats/{conversation_id}/messages", response_model=ConsoleMessage)
async def reply(
    conversation_id: str,
    body: AgentMessageCreate,
    staff: ConsoleAgentWrite,
    handoffs: HandoffsDep,
    settings: SettingsDep,
) -> ConsoleMessage:
    if len(body.text) > settings.max_message_chars:
        raise InvalidInput(
            f"A message may have at most {settings.max_message_chars} characters.", code="message_too_long"
        )
    message = await handoffs.send_agent_message(
        staff=staff, conversation_id=conversation_id, client_msg_id=body.client_msg_id, text=body.text
    )
    return ConsoleMessage.model_validate(console_message(message))


@router.post("/chats/{conversation_id}/transfer", status_code=status.HTTP_204_NO_CONTENT)
async def transfer(
    conversation_id: str, body: TransferRequest, staff: ConsoleAgentWrite, handoffs: HandoffsDep
) -> Response:
    await handoffs.transfer(
        staff=staff,
        conversation_id=conversation_id,
        to_skill=body.to_skill,
        to_agent_id=body.to_agent_id,
        note=body.note.strip(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/chats/{conversation_id}/reassign", status_code=status.HTTP_204_NO_CONTENT)
async def reassign(
    conversation_id: str, body: ReassignRequest, staff: SupervisorWrite, handoffs: HandoffsDep
) -> Response:
    await handoffs.transfer(
        staff=staff,
        conversation_id=conversation_id,
        to_skill=None,
        to_agent_id=body.agent_id,
        note=body.note.strip(),
        reassignment=True,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/chats/{conversation_id}/handback", status_code=status.HTTP_204_NO_CONTENT)
async def hand_back(
    conversation_id: str, body: HandbackRequest, staff: ConsoleAgentWrite, handoffs: HandoffsDep
) -> Response:
    await handoffs.hand_back(
        staff=staff, conversation_id=conversation_id, note=body.note.strip(), resume_form=body.resume_form
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/chats/{conversation_id}/close", status_code=status.HTTP_204_NO_CONTENT)
async def close(conversation_id: str, body: CloseRequest, staff: ConsoleAgentWrite, handoffs: HandoffsDep) -> Response:
    await handoffs.close(
        staff=staff, conversation_id=conversation_id, wrapup_code=body.wrapup_code, note=body.note.strip()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/chats/{conversation_id}/suggestions", response_model=SuggestionList)
async def suggestions(
    conversation_id: str,
    staff: ConsoleAgent,
    handoffs: HandoffsDep,
    sessions: SessionsDep,
    client: SuggestionsDep,
) -> SuggestionList:
    """FAQ entries for the customer's latest message, in the conversation's language."""
    await handoffs.holder(staff=staff, conversation_id=conversation_id, write=False)
    async with sessions() as session:
        conversation = await crud.get_conversation(session, conversation_id=conversation_id)
        latest = await crud.latest_customer_message(session, conversation_id=conversation_id)
    if conversation is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    if latest is None:
        return SuggestionList(query_seq=None, available=True, suggestions=[])
    try:
        found = await client.suggest(query=latest.text, language=conversation.language)
    except SuggestionsUnavailable:
        return SuggestionList(query_seq=latest.seq, available=False, suggestions=[])
    return SuggestionList.model_validate(
        {"query_seq": latest.seq, "available": True, "suggestions": [s.__dict__ for s in found]}
    )


# ---- agents and the overview ------------------------------------------------------------------------------


@router.get("/agents", response_model=AgentList)
async def list_agents(workspace: WorkspaceDep, _staff: ConsoleAgent) -> AgentList:
    return AgentList.model_validate({"agents": await workspace.agents()})


@router.get("/overview", response_model=Overview)
async def overview(workspace: WorkspaceDep, _staff: Supervisor) -> Overview:
    return Overview.model_validate(await workspace.overview())


# ---- canned replies ---------------------------------------------------------------------------------------


def _canned_out(row: CannedReply) -> CannedReplyOut:
    return CannedReplyOut.model_validate(row, from_attributes=True)


@router.get("/canned-replies", response_model=CannedReplyList)
async def list_canned_replies(
    _staff: CurrentStaff, sessions: SessionsDep, language: Annotated[str | None, Query(pattern="^(zh|en)$")] = None
) -> CannedReplyList:
    async with sessions() as session:
        query = select(CannedReply).order_by(CannedReply.language, CannedReply.title)
        if language:
            query = query.where(CannedReply.language == language)
        rows = (await session.execute(query)).scalars().all()
    return CannedReplyList(canned_replies=[_canned_out(r) for r in rows])


def _check_skill(skill: str | None) -> None:
    if skill is not None and skill not in SKILL_LABELS:
        raise InvalidInput(f"skill: one of {', '.join(SKILL_LABELS)}", code="unknown_skill")


@router.post("/canned-replies", response_model=CannedReplyOut, status_code=status.HTTP_201_CREATED)
async def create_canned_reply(body: CannedReplyIn, staff: SupervisorWrite, sessions: SessionsDep) -> CannedReplyOut:
    _check_skill(body.skill)
    async with sessions() as session:
        row = CannedReply(**body.model_dump(), updated_by=staff.id)
        session.add(row)
        await session.commit()
        return _canned_out(row)


async def _canned_reply(session: AsyncSession, reply_id: int) -> CannedReply:
    """The canned reply, or 404 canned_reply_not_found (also for an id past what the id column holds)."""
    row = await session.get(CannedReply, reply_id) if 0 < reply_id <= crud.INTEGER_MAX else None
    if row is None:
        raise NotFound("No such canned reply.", code="canned_reply_not_found")
    return row


@router.put("/canned-replies/{reply_id}", response_model=CannedReplyOut)
async def update_canned_reply(
    reply_id: int, body: CannedReplyIn, staff: SupervisorWrite, sessions: SessionsDep
) -> CannedReplyOut:
    _check_skill(body.skill)
    async with sessions() as session:
        row = await _canned_reply(session, reply_id)
        for field, value in body.model_dump().items():
            setattr(row, field, value)
        row.updated_by = staff.id
        await session.commit()
        return _canned_out(row)


@router.delete("/canned-replies/{reply_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_canned_reply(reply_id: int, _staff: SupervisorWrite, sessions: SessionsDep) -> Response:
    async with sessions() as session:
        row = await _canned_reply(session, reply_id)
        await session.delete(row)
        await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---- the outbox to the account-manager platform (supervisors) ---------------------------------------------


@router.get("/outbox", response_model=OutboxMessageList)
async def list_outbox(
    _staff: Supervisor, sessions: SessionsDep, state: Annotated[str, Query(pattern="^(dead|pending)$")] = "dead"
) -> OutboxMessageList:
    """Webhooks the platform never took (dead), or still being retried (pending)."""
    async with sessions() as session:
        rows = await (outbox.dead_messages(session) if state == "dead" else outbox.pending_messages(session))
        numbers = await outbox.request_numbers(session, [m.request_id for m in rows if m.request_id])
    return OutboxMessageList.model_validate(
        {
            "messages": [
                {
                    "id": m.id,
                    "event_type": m.event_type,
                    "number": numbers.get(m.request_id or 0),
                    "attempts": m.attempts,
                    "last_error": m.last_error,
                    "created_at": m.created_at,
                    "dead_at": m.dead_at,
                }
                for m in rows
            ]
        }
    )


@router.post("/outbox/{message_id}/retry", status_code=status.HTTP_204_NO_CONTENT)
async def retry_outbox(
    message_id: str, request: Request, _staff: SupervisorWrite, sessions: SessionsDep, clock: ClockDep
) -> Response:
    async with sessions() as session:
        message = await outbox.retry(session, message_id=message_id, now=clock.now())
        if message is None:
            raise NotFound("No such undelivered message.", code="outbox_message_not_found")
        await session.commit()
    request.app.state.relay.wake()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
