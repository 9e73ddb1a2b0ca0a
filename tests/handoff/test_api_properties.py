"""Property-based tests of the hub's HTTP API from its own OpenAPI document (schemathesis).

The document is the app's own (create_app().openapi(), the one the hub serves: checked below); the requests go to
the test run's real hub (its PostgreSQL database and Redis, the assistant behind it). Every generated request is
sent as generated (mostly the 401, 403 and 422 paths), then with the credential its API takes: a conversation's
resume token (customer API), a signed-in supervisor's cookies and CSRF token (console), a signed-in account
manager's (inbox). No answer may be a 5xx; every 4xx has the error shape of docs/contracts.md.

Not driven here: the websockets (/api/v1/conversations/{id}/ws, /api/console/ws) are not in the document and
cannot be driven this way (their own tests: test_websocket.py, console tests). The platform's webhook and the
WeChat / WeCom callbacks are driven with generated input only: their credential is a signature over the exact
body, so a valid one is made by their own tests (test_webhooks.py, channels/).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis
import schemathesis

from handoff.api.main import create_app
from handoff.config import Settings
from tests.utils.properties import PROPERTY_SETTINGS, check_response, config
from tests.utils.services import Service
from tests.utils.stack import hub_env
from tests.utils.staff import STAFF_PASSWORD, create_staff

_UNUSED = "http://127.0.0.1:9"
# Built without a database or Redis (the lifespan connects, not create_app), so collection needs no server.
_SETTINGS: dict[str, Any] = {
    name.lower(): value
    for name, value in hub_env(
        database_url="postgresql+psycopg://postgres@127.0.0.1:5432/unused",
        redis_url="redis://127.0.0.1:6379/0",
        rasa_url=_UNUSED,
        action_url=_UNUSED,
        lending_url=_UNUSED,
    ).items()
}
OPENAPI = create_app(Settings(**_SETTINGS)).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI, config=config())


@dataclass
class StaffSession:
    cookies: dict[str, str]
    csrf: str


@dataclass
class Credentials:
    conversation_id: str
    resume_token: str
    supervisor: StaffSession
    account_manager: StaffSession
    account_manager_name: str


def _sign_in(base_url: str, username: str) -> StaffSession:
    with httpx.Client(base_url=base_url, timeout=30, headers={"Origin": base_url}) as client:
        response = client.post("/api/console/session", json={"username": username, "password": STAFF_PASSWORD})
        assert response.status_code == 200, response.text
        return StaffSession(cookies=dict(client.cookies.items()), csrf=response.json()["csrf_token"])


@pytest.fixture(scope="module")
async def property_staff(hub: Service, hub_database_url: str) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    supervisor, manager = f"prop-sup-{suffix}", f"prop-am-{suffix}"
    await create_staff(hub_database_url, supervisor, role="supervisor")
    await create_staff(hub_database_url, manager, role="account_manager", external_id=f"AM{suffix}", branch="Test")
    return supervisor, manager


@pytest.fixture(scope="module")
def credentials(hub: Service, redis_url: str, property_staff: tuple[str, str]) -> Iterator[Credentials]:
    supervisor, manager = property_staff
    conversation = httpx.post(f"{hub.url}/api/v1/conversations", json={"channel": "web"}, timeout=30)
    assert conversation.status_code == 201, conversation.text
    yield Credentials(
        conversation_id=conversation.json()["conversation_id"],
        resume_token=conversation.json()["resume_token"],
        supervisor=_sign_in(hub.url, supervisor),
        account_manager=_sign_in(hub.url, manager),
        account_manager_name=manager,
    )
    # Generated sign-ins fail and count against 127.0.0.1; later tests of the run sign in from there too.
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("hub:signin:*"):
        client.delete(key)


def test_the_document_is_the_one_the_hub_serves(hub: Service) -> None:
    assert httpx.get(f"{hub.url}/openapi.json", timeout=30).json() == OPENAPI


def _authenticated(case: schemathesis.Case, hub: Service, credentials: Credentials) -> None:
    """The same request with the credential its API takes (and this run's own conversation in the path)."""
    path = case.path
    headers: dict[str, str] = {"Origin": hub.url}
    cookies: dict[str, str] = {}
    if path.startswith("/api/v1/conversations/"):
        case.path_parameters = {**(case.path_parameters or {}), "conversation_id": credentials.conversation_id}
        headers["Authorization"] = f"Bearer {credentials.resume_token}"
    elif path.startswith(("/api/console/", "/api/inbox/")):
        staff = credentials.account_manager if path.startswith("/api/inbox/") else credentials.supervisor
        if path == "/api/console/session" and case.method == "DELETE":
            # Signing out ends the session the other requests use: sign out a fresh one.
            staff = _sign_in(hub.url, credentials.account_manager_name)
        cookies = dict(staff.cookies)
        headers["X-CSRF-Token"] = staff.csrf
    else:
        return
    check_response(case, case.call(base_url=hub.url, headers=headers, cookies=cookies))


@schema.parametrize()
@PROPERTY_SETTINGS
def test_no_server_error_and_every_error_in_shape(
    case: schemathesis.Case, hub: Service, credentials: Credentials
) -> None:
    check_response(case, case.call(base_url=hub.url))
    _authenticated(case, hub, credentials)


def test_a_cursor_past_every_sequence_reads_an_empty_page(hub: Service, credentials: Credentials) -> None:
    """Found by the property test: ``after`` beyond the 32-bit sequence column was a 500 (the database's
    out-of-range error); now it reads nothing, as any cursor past the last message does."""
    response = httpx.get(
        f"{hub.url}/api/v1/conversations/{credentials.conversation_id}/messages",
        params={"after": 364542894716, "limit": 10},
        headers={"Authorization": f"Bearer {credentials.resume_token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"messages": [], "has_more": False}


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_canned_reply_id_past_the_id_column_is_not_found(hub: Service, credentials: Credentials, method: str) -> None:
    """Found by the property test: an id beyond the INTEGER id column was a 500; it is 404 like any unknown id."""
    body = {"title": "t", "text": "x", "language": "en"} if method == "PUT" else None
    response = httpx.request(
        method,
        f"{hub.url}/api/console/canned-replies/8796093022207",
        json=body,
        headers={"Origin": hub.url, "X-CSRF-Token": credentials.supervisor.csrf},
        cookies=credentials.supervisor.cookies,
        timeout=30,
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "canned_reply_not_found"


def test_the_document_gives_422_the_error_shape_the_hub_answers() -> None:
    schemas = OPENAPI["components"]["schemas"]
    assert schemas["HTTPValidationError"]["required"] == ["error"]
    assert schemas["ErrorDetail"]["required"] == ["code", "message"]
    assert "ValidationError" not in schemas  # FastAPI's {"detail": [...]} is not what the hub sends
