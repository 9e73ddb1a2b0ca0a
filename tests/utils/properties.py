"""Property-based API tests (schemathesis): the settings that keep a run bounded and deterministic, and the
checks every response of the hub and the lending core must pass.

Each operation of an app's own OpenAPI document gets generated requests, valid and invalid (positive and
negative data), against the real app on real PostgreSQL and Redis. A response must not be a 5xx, and every 4xx
must carry the project's error shape (docs/contracts.md): ``{"error": {"code": str, "message": str,
"details"?: object}}`` and nothing else at the top level.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

# One fixed seed and a few examples per operation and per generation mode: the same requests every run, the
# two files together within about a minute and a half.
PROPERTY_CONFIG: dict[str, Any] = {
    "seed": 20260302,
    "generation": {"mode": "all", "max-examples": 25, "database": "none"},
    # The coverage phase enumerates every boundary of every parameter (hundreds of requests per operation on
    # these schemas); the fuzzing phase's bounded examples keep the run short.
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
}

PROPERTY_SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


def config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(PROPERTY_CONFIG)


def assert_error_shape(response: schemathesis.Response, codes: Collection[str] | None = None) -> None:
    """A 4xx answer is the project's one error shape (docs/contracts.md), with one of `codes` when given."""
    if not 400 <= response.status_code < 500:
        return
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} is not JSON: {response.text[:200]!r}") from exc
    assert isinstance(body, dict) and set(body) == {"error"}, f"{response.status_code}: {body!r}"
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str), body
    assert set(error) <= {"code", "message", "details"}, body
    if "details" in error:
        assert isinstance(error["details"], dict), body
    if codes is not None:
        assert error["code"] in codes, f"undocumented error code: {body!r}"


def check_response(
    case: schemathesis.Case, response: schemathesis.Response, codes: Collection[str] | None = None
) -> None:
    """No server error (schemathesis' own check, with its reproduction) and the error shape on every 4xx."""
    case.validate_response(response, checks=[not_a_server_error])
    assert_error_shape(response, codes)
