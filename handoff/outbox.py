"""The outbox: webhooks to the account-manager platform, written in the same transaction as the change they report,
and the relay that delivers them.

Delivery is at least once: a message is marked delivered only after the platform answered 2xx, so a relay that
dies between sending and marking sends it again, and the receiver deduplicates by ``webhook-id`` (the message's
id). A refused or unanswered message is retried with exponential backoff (``OUTBOX_BACKOFF_SECONDS`` doubling up
to ``OUTBOX_BACKOFF_MAX_SECONDS``, with jitter); after ``OUTBOX_MAX_ATTEMPTS`` it is dead: supervisors see it in
the console and can send it again.

Every hub process runs a relay, and no message is sent by two at once: on PostgreSQL each relay claims due rows
with ``SELECT ... FOR UPDATE SKIP LOCKED`` and holds the lock while it sends them; on SQLite (which has no row
locks) one relay at a time holds a lease in Redis.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handoff import realtime, webhooks
from handoff.clock import Clock
from handoff.config import Settings
from handoff.leases import Lease
from handoff.models import OutboxMessage, ServiceRequest

logger = logging.getLogger(__name__)

BATCH = 20
LEASE_KEY = "hub:relay:lease"


def add_message(
    session: AsyncSession, *, event_type: str, data: dict[str, Any], request_id: int | None, now: dt.datetime
) -> OutboxMessage:
    """An outbox row in the caller's transaction; the relay sends it once the transaction commits."""
    message_id = f"msg_{uuid.uuid4().hex}"
    message = OutboxMessage(
        id=message_id,
        event_type=event_type,
        payload={"type": event_type, "version": webhooks.WEBHOOK_VERSION, "id": message_id, "data": data},
        request_id=request_id,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


class Relay:
    """Delivers due outbox messages to the platform's URL, signed; one per hub process."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        clock: Clock,
        http: httpx.AsyncClient,
    ):
        self.settings = settings
        self.sessions = sessions
        self.redis = redis
        self.clock = clock
        self.http = http
        self._wake = asyncio.Event()
        self._lease = Lease(
            redis,
            key=LEASE_KEY,
            ttl_seconds=max(settings.relay_poll_seconds * 5, settings.webhook_timeout_seconds * 3),
        )
        self._uses_row_locks: bool | None = None

    def wake(self) -> None:
        """Look for due messages now (a change was just committed in this process)."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                while await self.deliver_due() == BATCH:
                    pass  # more were due: go on at once
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("relay round failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.relay_poll_seconds)
            except TimeoutError:
                pass

    async def deliver_due(self) -> int:
        """One round: claim up to BATCH due messages, send them, record what happened. Returns how many."""
        async with self.sessions() as session:
            if not await self._row_locks(session) and not await self._lease.hold():
                return 0
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.delivered_at.is_(None),
                    OutboxMessage.dead_at.is_(None),
                    OutboxMessage.next_attempt_at <= self.clock.now(),
                )
                .order_by(OutboxMessage.created_at)
                .limit(BATCH)
            )
            if self._uses_row_locks:
                query = query.with_for_update(skip_locked=True)
            due: Sequence[OutboxMessage] = (await session.execute(query)).scalars().all()
            for message in due:
                await self._send(session, message)
                if not self._uses_row_locks:
                    # SQLite locks the whole database for a write: commit each message rather than hold it while
                    # the next one is sent; stop if the lease ran out under a slow platform.
                    await session.commit()
                    if not await self._lease.hold():
                        break
            await session.commit()
        if any(m.delivered_at is not None for m in due):
            await realtime.publish(self.redis, realtime.CONSOLE_CHANNEL, {"type": "service_requests_changed"})
        return len(due)

    async def _row_locks(self, session: AsyncSession) -> bool:
        if self._uses_row_locks is None:
            self._uses_row_locks = session.get_bind().dialect.name == "postgresql"
        return self._uses_row_locks

    async def _send(self, session: AsyncSession, message: OutboxMessage) -> None:
        body = webhooks.dumps(message.payload)
        headers = webhooks.signed_headers(
            secret=self.settings.platform_webhook_secret, message_id=message.id, body=body
        )
        error: str | None = None
        try:
            response = await self.http.post(
                self.settings.platform_webhook_url,
                content=body.encode(),
                headers=headers,
                timeout=self.settings.webhook_timeout_seconds,
            )
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        now = self.clock.now()
        message.attempts += 1
        if error is None:
            message.delivered_at = now
            message.last_error = None
            if message.request_id is not None and message.event_type == "service_request.created":
                request = await session.get(ServiceRequest, message.request_id)
                if request is not None and request.delivered_at is None:
                    request.delivered_at = now
            logger.info("outbox %s delivered (%s, attempt %d)", message.id, message.event_type, message.attempts)
            return
        message.last_error = error
        if message.attempts >= self.settings.outbox_max_attempts:
            message.dead_at = now
            logger.warning("outbox %s dead after %d attempts: %s", message.id, message.attempts, error)
            return
        message.next_attempt_at = now + dt.timedelta(seconds=self.backoff(message.attempts))
        logger.info(
            "outbox %s attempt %d failed (%s); next in %.1f s",
            message.id,
            message.attempts,
            error,
            (message.next_attempt_at - now).total_seconds(),
        )

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt: doubling from the base, capped, with 20% jitter either way."""
        base = min(self.settings.outbox_backoff_seconds * 2 ** (attempts - 1), self.settings.outbox_backoff_max_seconds)
        seconds: float = base * random.uniform(0.8, 1.2)
        return seconds


async def dead_messages(session: AsyncSession) -> Sequence[OutboxMessage]:
    result = await session.execute(
        select(OutboxMessage).where(OutboxMessage.dead_at.is_not(None)).order_by(OutboxMessage.dead_at.desc())
    )
    return result.scalars().all()


async def pending_messages(session: AsyncSession) -> Sequence[OutboxMessage]:
    """Not delivered yet and not dead (retrying, or waiting for the relay)."""
    result = await session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.dead_at.is_(None))
        .order_by(OutboxMessage.created_at)
        .limit(500)
    )
    return result.scalars().all()


async def request_numbers(session: AsyncSession, request_ids: list[int]) -> dict[int, str]:
    if not request_ids:
        return {}
    rows = await session.execute(
        select(ServiceRequest.id, ServiceRequest.number).where(ServiceRequest.id.in_(request_ids))
    )
    return {row[0]: row[1] for row in rows}


async def retry(session: AsyncSession, *, message_id: str, now: dt.datetime) -> OutboxMessage | None:
    """A dead (or failing) message goes out again at once, with its attempts counted afresh."""
    message = await session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.delivered_at is not None:
        return None
    message.dead_at = None
    message.attempts = 0
    message.next_attempt_at = now
    return message
