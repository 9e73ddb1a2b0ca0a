"""Idempotency keys for money-moving requests.

The first request with a key inserts a row (unique on caller, endpoint, key) in the same transaction as
its effect, and stores its status and body there. A concurrent request with the same key blocks on the
unique index until that transaction ends (PostgreSQL; SQLite serialises writers), then finds the row and
replays it. A refused request (any error) rolls back, row included, so nothing is stored and a retry runs
again. The same key with a different body is refused with idempotency_key_mismatch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lending_core.errors import IdempotencyKeyMismatch
from lending_core.models import IdempotencyRecord


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def request_fingerprint(payload: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the request."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _find(*, session: AsyncSession, caller: str, endpoint: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.caller == caller, IdempotencyRecord.endpoint == endpoint, IdempotencyRecord.key == key
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _replay(record: IdempotencyRecord, fingerprint: str) -> StoredResponse:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyMismatch(idempotency_key=record.key)
    return StoredResponse(status_code=record.status_code, body=record.response_body, replayed=True)


async def run_idempotent(
    *,
    session: AsyncSession,
    caller: str,
    endpoint: str,
    key: str,
    payload: dict[str, Any],
    now: dt.datetime,
    status_code: int,
    operation: Callable[[], Awaitable[BaseModel]],
) -> StoredResponse:
    """Run `operation` once per (caller, endpoint, key) and commit; replay the stored response after."""
    fingerprint = request_fingerprint(payload)
    existing = await _find(session=session, caller=caller, endpoint=endpoint, key=key)
    if existing is not None:
        return _replay(existing, fingerprint)
    record = IdempotencyRecord(
        caller=caller,
        endpoint=endpoint,
        key=key,
        request_hash=fingerprint,
        status_code=0,
        response_body={},
        created_at=now,
    )
    session.add(record)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await _find(session=session, caller=caller, endpoint=endpoint, key=key)
        if existing is None:  # the other request was refused and rolled back: run again
            return await run_idempotent(
                session=session,
                caller=caller,
                endpoint=endpoint,
                key=key,
                payload=payload,
                now=now,
                status_code=status_code,
                operation=operation,
            )
        return _replay(existing, fingerprint)
    result = await operation()
    body = result.model_dump(mode="json")
    record.status_code = status_code
    record.response_body = body
    await session.commit()
    return StoredResponse(status_code=status_code, body=body, replayed=False)
