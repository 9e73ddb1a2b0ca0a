"""Property-based tests of the lending core's HTTP API from its own OpenAPI document (schemathesis).

The document is the app's own (create_app().openapi(), the one it serves at /openapi.json: checked below); the
requests go to a real core (uvicorn subprocess) on the PostgreSQL test database with the demo customers seeded. Every generated
request is sent as generated (headers included, so mostly the 401 and 400 paths), then with a valid API key, a
fresh Idempotency-Key and, where the path names them, a demo customer and its loan, so the authenticated
endpoints are driven past authentication. No answer may be a 5xx; every 4xx has the error shape and one of the
codes of ERRORS.md.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import schemathesis

from lending_core.api.app import create_app
from lending_core.config import Settings
from lending_core.errors import all_error_classes
from tests.utils.lending import (
    TEST_API_KEY,
    TEST_OTP_SECRET,
    database_url_for_tests,
    lending_core_settings,
    reset_and_seed,
    start_lending_core,
)
from tests.utils.properties import PROPERTY_SETTINGS, check_response, config
from tests.utils.services import Service

# A demo customer with a live loan (lending_core/DEMO_DATA.md).
DEMO_PATH = {"customer_id": "C1001", "loan_number": "LN1001000001"}
CODES = {cls.code for cls in all_error_classes()}


# Built without touching the database (the engine connects lazily), so collection needs no server.
OPENAPI = create_app(
    Settings(
        environment="test", database_url=database_url_for_tests(), api_key=TEST_API_KEY, otp_secret=TEST_OTP_SECRET
    )
).openapi()
schema = schemathesis.openapi.from_dict(OPENAPI, config=config())


@pytest.fixture(scope="module")
def core_settings() -> Settings:
    return lending_core_settings()  # migrates (alembic runs its own event loop): not inside an async fixture


@pytest.fixture(scope="module")
async def property_core(core_settings: Settings) -> AsyncIterator[Service]:
    settings = core_settings
    await reset_and_seed(settings)
    service = start_lending_core(settings, name="lending-core-properties")
    yield service
    service.stop()


def test_the_document_is_the_one_the_core_serves(property_core: Service) -> None:
    assert httpx.get(f"{property_core.url}/openapi.json").json() == OPENAPI


@schema.parametrize()
@PROPERTY_SETTINGS
def test_no_server_error_and_every_error_in_shape(case: schemathesis.Case, property_core: Service) -> None:
    check_response(case, case.call(base_url=property_core.url), CODES)
    if case.path_parameters:
        for name, value in DEMO_PATH.items():
            if name in case.path_parameters:
                case.path_parameters[name] = value
    headers = {"X-Api-Key": TEST_API_KEY, "Idempotency-Key": f"property-{uuid.uuid4()}"}
    check_response(case, case.call(base_url=property_core.url, headers=headers), CODES)


async def test_an_unreadable_body_is_invalid_body(client: httpx.AsyncClient) -> None:
    """Found by the property test: a JSON body that is not UTF-8 was answered 400 with code ``http_error``, which
    ERRORS.md does not list; it is ``invalid_body`` now (and a wrong method ``method_not_allowed``)."""
    response = await client.post(
        "/api/v1/applications",
        content=b"\xff\xfe{",
        headers={"Content-Type": "application/json", "Idempotency-Key": f"property-{uuid.uuid4()}"},
    )
    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": {"code": "invalid_body", "message": "the request body cannot be read", "details": {}}
    }
    wrong_method = await client.delete("/api/v1/applications")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
