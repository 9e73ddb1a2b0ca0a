"""Small Redis helpers: ``answer`` (redis-py types every command of its asyncio client as ``Awaitable[T] | T``;
it awaits one and keeps its type for mypy) and ``renewed_lock`` (a lock whose lease is renewed while it is held)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def answer(result: Awaitable[T] | T) -> T:
    """The command's reply."""
    return await result if inspect.isawaitable(result) else result


@contextlib.asynccontextmanager
async def renewed_lock(redis: Redis, key: str, *, lease: float, blocking_timeout: float) -> AsyncIterator[bool | None]:
    """A Redis lock held for the block: ``True`` when held, ``False`` when another holder kept it past
    ``blocking_timeout``, ``None`` when Redis did not answer (the caller says what it does without the lock).

    The lease is renewed every third of its length while the block runs (an assistant call can take longer than
    the lease), so a process killed while holding it blocks the others at most ``lease`` seconds. A renewal that
    fails (Redis gone, the lease lost) stops renewing and is logged; the release at the end is best effort.
    """
    lock = redis.lock(key, timeout=lease, blocking_timeout=blocking_timeout)
    try:
        acquired = bool(await lock.acquire())
    except RedisError:
        yield None
        return
    if not acquired:
        yield False
        return
    renewal = asyncio.create_task(_keep_renewed(lock, lease))
    try:
        yield True
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal
        with contextlib.suppress(LockError, RedisError):
            await lock.release()


async def _keep_renewed(lock: Lock, lease: float) -> None:
    while True:
        await asyncio.sleep(lease / 3)
        try:
            await lock.reacquire()
        except (LockError, RedisError):
            logger.warning("could not renew the lease of %s", lock.name)
            return
