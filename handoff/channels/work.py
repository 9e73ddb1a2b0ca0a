"""Work per channel customer inside one hub process, and the lock that makes it one process at a time.

``CustomerWork`` runs a job for a customer in a background task: at most ``limit`` customers at once (each job
waits for the assistant or the channel's API holding a database connection, and a burst of callbacks must still
find one to store in), and one task per customer waiting to start (it reads whatever arrived meanwhile when it
starts, so a second would find nothing). ``customer_lock`` is the Redis lock that keeps two hub processes off
the same customer; without Redis the work goes on (the conversation's own lock and the client ids keep it
right).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from redis.asyncio import Redis

from handoff.redis_util import renewed_lock

# A customer's lock, renewed while held: how long a killed process keeps its customers waiting.
LEASE_SECONDS = 6.0


class CustomerWork:
    def __init__(self, name: str, *, limit: int, job: Callable[[int], Awaitable[None]]):
        self.name = name
        self._job = job
        self._slots = asyncio.Semaphore(limit)
        self._waiting: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, user_id: int) -> None:
        """Run the job for the customer soon, unless a task for them is already waiting to start."""
        if user_id in self._waiting:
            return
        self._waiting.add(user_id)
        task = asyncio.create_task(self.run(user_id), name=f"{self.name}-{user_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, user_id: int) -> None:
        """Run the job now, within the limit."""
        try:
            async with self._slots:
                self._waiting.discard(user_id)
                await self._job(user_id)
        finally:
            self._waiting.discard(user_id)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task


@contextlib.asynccontextmanager
async def customer_lock(redis: Redis, key: str, *, lease: float, blocking_timeout: float) -> AsyncIterator[bool]:
    """Whether this process holds the customer's lock for the block (True without Redis, see the module). The lease
    is renewed every third of its length while the block runs (the assistant may take longer than the lease), so a
    process killed while holding it keeps the customer waiting at most ``lease`` seconds."""
    async with renewed_lock(redis, key, lease=lease, blocking_timeout=blocking_timeout) as held:
        yield held is not False
