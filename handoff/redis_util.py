"""redis-py types every command of its asyncio client as ``Awaitable[T] | T``; ``answer`` awaits one and keeps
its type for mypy."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def answer(result: Awaitable[T] | T) -> T:
    """The command's reply."""
    return await result if inspect.isawaitable(result) else result
