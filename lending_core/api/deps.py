"""Typed FastAPI dependencies: settings, clock, database session, caller, idempotency key, idempotent call."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_core.api.responses import stored_response
from lending_core.clock import Clock
from lending_core.config import LendingRules, Settings
from lending_core.errors import IdempotencyKeyRequired, Unauthorized
from lending_core.services.idempotency import run_idempotent

_IDEMPOTENCY_KEY_RE = re.compile(r"^[A-Za-z0-9_.:\-]{8,200}$")


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; anything not committed by the service is rolled back."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


def get_rules(settings: SettingsDep) -> LendingRules:
    return settings.rules


RulesDep = Annotated[LendingRules, Depends(get_rules)]


def authenticate(settings: SettingsDep, x_api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None) -> str:
    """The caller's identity (a digest of its API key); 401 unauthorized without a valid key."""
    if x_api_key is None or not secrets.compare_digest(x_api_key.encode(), settings.api_key.encode()):
        raise Unauthorized()
    return "key-" + hashlib.sha256(x_api_key.encode()).hexdigest()[:16]


CallerDep = Annotated[str, Depends(authenticate)]


def require_idempotency_key(
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str:
    """The Idempotency-Key header: 8 to 200 characters of letters, digits and _ . : -"""
    if idempotency_key is None or not _IDEMPOTENCY_KEY_RE.match(idempotency_key):
        raise IdempotencyKeyRequired(pattern=_IDEMPOTENCY_KEY_RE.pattern)
    return idempotency_key


IdempotencyKeyDep = Annotated[str, Depends(require_idempotency_key)]


@dataclass(frozen=True)
class IdempotentCall:
    """What an idempotent endpoint needs to run its operation once per key (services/idempotency.py)."""

    session: AsyncSession
    clock: Clock
    caller: str
    key: str

    async def respond(
        self,
        *,
        endpoint: str,
        body: BaseModel,
        operation: Callable[[], Awaitable[BaseModel]],
        status_code: int = 201,
    ) -> JSONResponse:
        """Run `operation` (or replay its stored answer) for `endpoint` ("POST /path", without the /api/v1
        prefix: the records are keyed on it) and answer with the stored status, body and Idempotent-Replayed."""
        stored = await run_idempotent(
            session=self.session,
            caller=self.caller,
            endpoint=endpoint,
            key=self.key,
            payload=body.model_dump(mode="json"),
            now=self.clock.now(),
            status_code=status_code,
            operation=operation,
        )
        return stored_response(stored)


def get_idempotent_call(
    session: SessionDep, clock: ClockDep, caller: CallerDep, idempotency_key: IdempotencyKeyDep
) -> IdempotentCall:
    """The caller is authenticated (401) before the Idempotency-Key is checked (400), as on every endpoint."""
    return IdempotentCall(session=session, clock=clock, caller=caller, key=idempotency_key)


IdempotentDep = Annotated[IdempotentCall, Depends(get_idempotent_call)]
