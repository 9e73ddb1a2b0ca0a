"""FAQ suggestions for agents: the FAQ entries closest to the customer's latest message.

The search runs in the action server, which already holds the FAQ index and its encoder (about 200 MB): the hub
asks its read-only ``POST /faq/search`` instead of loading a second copy into every hub process. When the action
server does not answer, the console shows no suggestions and says so; nothing else depends on them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suggestion:
    entry_id: str
    version: int
    topic: str
    score: float
    question: str
    answer: str


class SuggestionsUnavailable(Exception):
    """The FAQ search did not answer."""


class SuggestionClient:
    def __init__(self, *, base_url: str, http: httpx.AsyncClient, enabled: bool = True):
        self._url = f"{base_url.rstrip('/')}/faq/search"
        self._http = http
        self.enabled = enabled

    async def suggest(self, *, query: str, language: str | None, k: int = 3) -> list[Suggestion]:
        if not self.enabled or not query.strip():
            return []
        try:
            response = await self._http.post(
                self._url, json={"query": query[:2000], "language": language, "k": k}, timeout=3.0
            )
            response.raise_for_status()
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("FAQ suggestions unavailable (%s)", type(exc).__name__)
            raise SuggestionsUnavailable(str(exc)) from exc
        return [
            Suggestion(
                entry_id=str(hit["entry_id"]),
                version=int(hit["version"]),
                topic=str(hit.get("topic", "")),
                score=float(hit.get("score", 0.0)),
                question=str(hit.get("question", "")),
                answer=str(hit.get("answer", "")),
            )
            for hit in body.get("hits", [])
            if isinstance(hit, dict) and "entry_id" in hit
        ]
