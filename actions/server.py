"""The action server: Rasa SDK's Sanic app with this project's actions, bound to a local address, and every
action call authenticated with a shared token that only the Rasa server has (``X-Action-Token``).

Actions move money on the word of the tracker Rasa sends, so nothing else may call them.
``python -m actions.server --port 5055``.
"""

from __future__ import annotations

import argparse
import hmac
import logging

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import HTTPResponse, Request, Sanic, response
from sanic.worker.loader import AppLoader

from actions.settings import get_action_settings

logger = logging.getLogger(__name__)
TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = frozenset({"/health"})


def create_app() -> Sanic:
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app_for_serve(executor, cors_origins=None)
    expected = get_action_settings().action_server_token.encode()

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = (request.headers.get(TOKEN_HEADER) or "").encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("refused an action call without the right %s", TOKEN_HEADER)
            return response.json({"error": {"code": "unauthorized", "message": "action token required"}}, status=401)
        return None

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--host", default=None, help="default: ACTION_SERVER_HOST (127.0.0.1)")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    settings = get_action_settings()
    loader = AppLoader(factory=create_app)
    app = loader.load()
    app.prepare(host=args.host or settings.action_server_host, port=args.port, workers=1, access_log=False)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
