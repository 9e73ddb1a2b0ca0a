"""Shared clients of the action server, created on first use and kept for the process's life."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

from actions.lending_client import LendingCoreClient
from actions.settings import get_action_settings
from businesshours import BusinessHours

logger = logging.getLogger(__name__)
_searcher_lock = threading.Lock()


@lru_cache
def lending_core() -> LendingCoreClient:
    settings = get_action_settings()
    return LendingCoreClient(
        base_url=settings.lending_core_url,
        api_key=settings.lending_core_api_key,
        timeout=settings.lending_core_timeout_seconds,
        retries=settings.lending_core_retries,
    )


@lru_cache
def business_hours() -> BusinessHours:
    """The account managers' working hours (``BUSINESS_HOURS_FILE``), read once: the server reads it at start-up."""
    path = get_action_settings().business_hours_file
    hours = BusinessHours.from_file(path)
    logger.info("business hours read from %s", path)
    return hours


_searcher: Any = None


def faq_index_loaded() -> bool:
    """True once the FAQ index is in memory (the server's readiness: before it, a question would wait for it)."""
    return _searcher is not None


def faq_searcher() -> Any:
    """The FAQ searcher over the current index build (loaded once; later builds are picked up without a restart)."""
    global _searcher
    if _searcher is None:
        with _searcher_lock:
            if _searcher is None:
                from knowledge.search import FaqSearcher

                _searcher = FaqSearcher()
                logger.info("FAQ index %s loaded", _searcher.build_id)
    _searcher.reload_if_changed()
    return _searcher
