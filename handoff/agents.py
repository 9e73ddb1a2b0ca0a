"""Staff: users and roles, password sign-in, browser sessions with a CSRF token, and the sign-in rate limit.

Passwords are hashed with Argon2id (pwdlib); an unknown username costs the same hash check as a wrong password,
so timing does not tell which usernames exist. A session is a random token in an HttpOnly, SameSite=Strict
cookie; the table keeps only its SHA-256, and the CSRF token's, so a copy of the database signs nobody in.
Every write from the console carries the CSRF token in ``X-CSRF-Token`` (checked in handoff/api/deps.py).
Failed sign-ins are counted in Redis per username and per client address (5 in 5 minutes by default), shared by
every hub process.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pwdlib import PasswordHash
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.errors import InvalidInput, RateLimited
from handoff.models import Role, StaffSession, StaffUser
from handoff.redis_util import answer

USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
MIN_PASSWORD_LENGTH = 10
SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Roles that work in the live-agent console (account managers get their own inbox).
CONSOLE_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaffIdentity:
    """Who is signed in, as the routes see it."""

    id: str
    username: str
    display_name: str
    role: Role
    skills: tuple[str, ...]
    max_chats: int

    @property
    def supervises(self) -> bool:
        return self.role in SUPERVISING_ROLES

    @classmethod
    def of(cls, user: StaffUser) -> StaffIdentity:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            skills=tuple(user.skills or ()),
            max_chats=user.max_chats,
        )


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


# Argon2id with the recommended parameters takes 64 MiB per hash: at most two at a time, so fifty agents signing
# in at once cost 128 MiB of memory for a moment, not 64 MiB times the thread pool.
_HASHING = asyncio.Semaphore(2)


async def _verify(password: str, stored: str) -> bool:
    async with _HASHING:
        return bool(await asyncio.to_thread(_hasher().verify, password, stored))


async def _hash(password: str) -> str:
    async with _HASHING:
        return await asyncio.to_thread(hash_password, password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_new_user(
    *, username: str, display_name: str, password: str, skills: Sequence[str], known_skills: Sequence[str]
) -> None:
    """Refuse what a user may not be created with (422, the reason in the message)."""
    if not USERNAME_RE.fullmatch(username):
        raise InvalidInput("username: 3-64 characters, lower-case letters, digits, dot, dash or underscore")
    if not display_name.strip() or len(display_name) > 64:
        raise InvalidInput("display name: 1-64 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    unknown = sorted(set(skills) - set(known_skills))
    if unknown:
        raise InvalidInput(f"unknown skills: {', '.join(unknown)} (known: {', '.join(known_skills)})")


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    skills: Sequence[str],
    max_chats: int,
    known_skills: Sequence[str],
    external_id: str | None = None,
    branch: str | None = None,
) -> StaffUser:
    """A staff user; an account manager carries ``external_id`` (their id in the lending core) and ``branch``."""
    check_new_user(
        username=username, display_name=display_name, password=password, skills=skills, known_skills=known_skills
    )
    if not 1 <= max_chats <= 20:
        raise InvalidInput("max chats: 1 to 20")
    if await get_user_by_username(session, username=username) is not None:
        raise InvalidInput(f"username {username!r} is taken", code="username_taken")
    user = StaffUser(
        id=uuid.uuid4().hex,
        username=username,
        display_name=display_name.strip(),
        password_hash=await _hash(password),
        role=role,
        skills=list(dict.fromkeys(skills)),
        max_chats=max_chats,
        is_active=True,
        external_id=(external_id or "").strip() or None,
        branch=(branch or "").strip() or None,
    )
    session.add(user)
    await session.flush()
    return user


async def set_password(session: AsyncSession, *, user: StaffUser, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = await _hash(password)
    await session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


async def get_user_by_username(session: AsyncSession, *, username: str) -> StaffUser | None:
    result = await session.execute(select(StaffUser).where(StaffUser.username == username))
    return result.scalar_one_or_none()


async def get_user(session: AsyncSession, *, user_id: str) -> StaffUser | None:
    return await session.get(StaffUser, user_id)


async def list_users(session: AsyncSession) -> Sequence[StaffUser]:
    result = await session.execute(select(StaffUser).order_by(StaffUser.username))
    return result.scalars().all()


async def authenticate(session: AsyncSession, *, username: str, password: str) -> StaffUser | None:
    """The active user with this username and password, or None (in the same time either way)."""
    user = await get_user_by_username(session, username=username)
    stored = user.password_hash if user is not None else _dummy_hash()
    valid = await _verify(password, stored)
    if user is None or not valid or not user.is_active:
        return None
    return user


async def open_session(
    session: AsyncSession, *, user: StaffUser, lifetime: dt.timedelta, now: dt.datetime
) -> tuple[str, str]:
    """A new session for a signed-in user; returns (cookie token, CSRF token), each shown only now."""
    token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=sha256(token),
            user_id=user.id,
            csrf_token_hash=sha256(csrf_token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await session.flush()
    return token, csrf_token


async def resolve_session(
    session: AsyncSession, *, token: str, now: dt.datetime
) -> tuple[StaffUser, StaffSession] | None:
    """The user and session of a cookie token, if the session is live and the user still active."""
    row = await session.get(StaffSession, sha256(token))
    if row is None or row.expires_at <= now:
        return None
    user = await session.get(StaffUser, row.user_id)
    if user is None or not user.is_active:
        return None
    return user, row


async def close_session(session: AsyncSession, *, token: str) -> None:
    await session.execute(delete(StaffSession).where(StaffSession.token_hash == sha256(token)))


def csrf_matches(csrf_token_hash: str, given: str | None) -> bool:
    """Whether a request's CSRF token is the session's (compared in constant time)."""
    return bool(given) and hmac.compare_digest(sha256(given or ""), csrf_token_hash)


@dataclass(frozen=True)
class ResolvedSession:
    staff: StaffIdentity
    csrf_token_hash: str
    expires_at: dt.datetime


class SessionCache:
    """Sessions resolved in the last few seconds, in this process: a console sends many requests a minute, and
    each would otherwise read two rows. A session signed out (or a user deactivated) elsewhere is refused by this
    process within ``ttl_seconds``; the process that signs a session out drops it at once."""

    def __init__(self, *, ttl_seconds: float = 5.0, max_entries: int = 10_000):
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, ResolvedSession]] = {}

    def get(self, token: str, *, now: dt.datetime) -> ResolvedSession | None:
        key = sha256(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        cached_at, resolved = entry
        if time.monotonic() - cached_at > self.ttl_seconds or resolved.expires_at <= now:
            self._entries.pop(key, None)
            return None
        return resolved

    def put(self, token: str, resolved: ResolvedSession) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[sha256(token)] = (time.monotonic(), resolved)

    def drop(self, token: str) -> None:
        self._entries.pop(sha256(token), None)


class SignInLimiter:
    """Failed sign-ins are counted per username (``max_failures``, 5 by default) and per client address (a higher
    ``max_failures_per_address``, so one office behind one address is not locked out by one forgetful agent,
    while guessing across many usernames from one address is still stopped), each in a window that opens with
    the first failure. Without Redis the counts cannot be kept and the check is skipped (logged); Argon2's cost
    still slows guessing."""

    def __init__(self, redis: Redis, *, max_failures: int, max_failures_per_address: int, window_seconds: int):
        self.redis = redis
        self.limits = (max_failures, max_failures_per_address)
        self.window_seconds = window_seconds

    @staticmethod
    def _keys(username: str, client: str) -> list[str]:
        return [f"hub:signin:user:{sha256(username.lower())}", f"hub:signin:addr:{client}"]

    async def check(self, *, username: str, client: str) -> None:
        keys = self._keys(username, client)
        try:
            counts = await answer(self.redis.mget(keys))
            ttls = [await answer(self.redis.ttl(key)) for key in keys]
        except RedisError:
            logger.warning("sign-in limit not checked: Redis unavailable")
            return
        for count, limit, ttl in zip(counts, self.limits, ttls, strict=True):
            if count is not None and int(count) >= limit:
                raise RateLimited(
                    "Too many failed sign-ins; please wait before trying again.",
                    code="sign_in_locked",
                    details={"retry_after_seconds": max(int(ttl), 1)},
                )

    async def record_failure(self, *, username: str, client: str) -> None:
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                for key in self._keys(username, client):
                    pipe.incr(key)
                    pipe.expire(key, self.window_seconds, nx=True)
                await pipe.execute()
        except RedisError:
            logger.warning("sign-in failure not counted: Redis unavailable")

    async def clear(self, *, username: str) -> None:
        """A successful sign-in clears the username's count (not the address's)."""
        with contextlib.suppress(RedisError):
            await self.redis.delete(self._keys(username, "")[0])
