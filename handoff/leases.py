"""Leases in Redis: one hub process at a time does a job (pushing queue places, reconciling, relaying on SQLite,
sweeping overdue service requests). The holder renews its lease every round; a process that dies loses it when
its time runs out, and another takes over."""

from __future__ import annotations

import os
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

# Take the lease if nobody holds it, or renew it if we do: one atomic step, never renewing another's.
HOLD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class Lease:
    def __init__(self, redis: Redis, *, key: str, ttl_seconds: float):
        self.key = key
        self.ttl_ms = int(ttl_seconds * 1000)
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._hold = redis.register_script(HOLD)

    async def hold(self) -> bool:
        """True while this process holds the lease (taken or renewed now); False without Redis."""
        try:
            return bool(await self._hold(keys=[self.key], args=[self.holder, self.ttl_ms]))
        except RedisError:
            return False
