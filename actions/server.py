"""The action server: Rasa SDK's Sanic app with this project's actions, bound to a local address, and every
action call authenticated with a shared token that only the Rasa server has (``X-Action-Token``).

Actions move money on the word of the tracker Rasa sends, so nothing else may call them. Probes are open:
``/health`` and ``/healthz`` (the process answers), ``/readyz`` (503 until the FAQ index is loaded at start). One
read-only route is open besides them: ``POST /faq/search`` answers the agent console's FAQ suggestions from the
index this process already holds (the FAQ is public content; one copy of the encoder instead of one per hub).
``python -m actions.server --port 5055``.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import time
from typing import Any

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic, response
from sanic.worker.loader import AppLoader

import servicemetrics
from actions import services
from actions.metrics import ACTION_CALLS, ACTION_LATENCY
from actions.settings import get_action_settings

logger = logging.getLogger(__name__)
TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = frozenset({"/health", "/healthz", "/readyz", "/faq/search", "/metrics"})
MAX_QUERY_CHARS = 2000


def create_app() -> Sanic[Any, Any]:
    executor = ActionExecutor()
    executor.register_package("actions")
    app: Sanic[Any, Any] = create_app_for_serve(executor, cors_origins=None)
    expected = get_action_settings().action_server_token.encode()
    # The account managers' hours are read now, so a missing or broken file stops the server at start, not a
    # customer's service request later.
    services.business_hours()

    async def start_timer(request: Request) -> None:
        request.ctx.started = time.perf_counter()

    app.register_middleware(start_timer, "request", priority=100)  # before the token check: refusals are timed too

    @app.on_response
    async def count(request: Request, answer: HTTPResponse) -> None:
        started = getattr(request.ctx, "started", None)
        if started is None:
            return
        seconds = time.perf_counter() - started
        route = request.route.path if request.route else "unmatched"
        servicemetrics.observe_request("actions", request.method, "/" + route.lstrip("/"), answer.status, seconds)
        if request.path == "/webhook" and isinstance(request.json, dict):
            action = str(request.json.get("next_action") or "unknown")[:64]
            ACTION_CALLS.labels(action, str(answer.status)).inc()
            ACTION_LATENCY.labels(action).observe(seconds)

    @app.get("/metrics")
    async def metrics(request: Request) -> HTTPResponse:
        return response.raw(servicemetrics.exposition(), content_type=servicemetrics.CONTENT_TYPE)

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = (request.headers.get(TOKEN_HEADER) or "").encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("refused an action call without the right %s", TOKEN_HEADER)
            return response.json({"error": {"code": "unauthorized", "message": "action token required"}}, status=401)
        return None

    @app.after_server_start
    async def load_faq_index(app: Sanic[Any, Any]) -> None:
        """Load the FAQ index in the background at start, so the first question does not wait for it."""

        async def load() -> None:
            try:
                await asyncio.to_thread(services.faq_searcher)
            except Exception:  # a missing index is reported by the FAQ action itself, in the customer's language
                logger.exception("the FAQ index could not be loaded at start")

        app.add_task(load())

    @app.get("/healthz")
    async def healthz(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/readyz")
    async def readyz(request: Request) -> HTTPResponse:
        loaded = services.faq_index_loaded()
        return response.json(
            {"status": "ready" if loaded else "not_ready", "checks": {"faq_index": "ok" if loaded else "loading"}},
            status=200 if loaded else 503,
        )

    @app.post("/faq/search")
    async def faq_search(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        query, language = body.get("query"), body.get("language")
        if not isinstance(query, str) or not query.strip() or len(query) > MAX_QUERY_CHARS:
            error = {"code": "validation_error", "message": f"query: 1-{MAX_QUERY_CHARS} characters"}
            return response.json({"error": error}, status=422)
        k = body.get("k", 3)
        k = k if isinstance(k, int) and 1 <= k <= 10 else 3
        result = services.faq_searcher().search(
            query, language=language if language in ("zh", "en") else None, k=k, record_abstention=False
        )
        hits = [
            {
                "entry_id": hit.entry_id,
                "version": hit.version,
                "topic": hit.topic,
                "score": round(hit.score, 4),
                "question": hit.matched_question,
                "answer": hit.answer,
            }
            for hit in result.hits
        ]
        return response.json({"abstained": result.abstained, "language": result.language, "hits": hits})

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--host", default=None, help="default: ACTION_SERVER_HOST (127.0.0.1)")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--workers", type=int, default=1, help="Sanic worker processes sharing the port, each with its own FAQ index"
    )
    args = parser.parse_args()
    settings = get_action_settings()
    servicemetrics.prepare_workers("actions", args.workers)  # before Sanic starts its worker processes
    loader = AppLoader(factory=create_app)
    app = loader.load()
    workers = max(1, args.workers)
    app.prepare(host=args.host or settings.action_server_host, port=args.port, workers=workers, access_log=False)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
