"""The staff pages: the agent console (``/console/``), the account-manager inbox (``/inbox/``) and their static files, served by the hub from the repo (no
CDN). Every page carries a Content-Security-Policy that allows only the hub's own scripts and styles, so even a
rendering mistake could not run a customer's text as script."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONSOLE_DIR = Path(__file__).resolve().parents[2] / "console"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]

router = APIRouter(include_in_schema=False)


@router.get("/console")
async def console_redirect() -> RedirectResponse:
    return RedirectResponse("/console/")


@router.get("/console/")
async def console_page() -> FileResponse:
    return FileResponse(
        CONSOLE_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS} | {"cache-control": "no-store"},
    )


@router.get("/console/analytics")
async def analytics_redirect() -> RedirectResponse:
    return RedirectResponse("/console/analytics/")


@router.get("/console/analytics/")
async def analytics_page() -> FileResponse:
    """The supervisors' analytics dashboard (the console's sign-in; the API refuses other roles)."""
    return FileResponse(
        CONSOLE_DIR / "analytics.html",
        media_type="text/html; charset=utf-8",
        headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS} | {"cache-control": "no-store"},
    )


@router.get("/inbox")
async def inbox_redirect() -> RedirectResponse:
    return RedirectResponse("/inbox/")


@router.get("/inbox/")
async def inbox_page() -> FileResponse:
    """The account managers' inbox (same sign-in as the console; works on a phone)."""
    return FileResponse(
        CONSOLE_DIR / "inbox.html",
        media_type="text/html; charset=utf-8",
        headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS} | {"cache-control": "no-store"},
    )


class SecurityHeaders:
    """Adds the pages' security headers to every response of the wrapped app (the static files)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def mount_static(app: FastAPI) -> None:
    app.mount("/console/static", SecurityHeaders(StaticFiles(directory=CONSOLE_DIR / "static")), name="console-static")
