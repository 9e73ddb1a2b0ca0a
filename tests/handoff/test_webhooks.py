"""Standard Webhooks signatures: what the relay signs, a receiver checks; anything else is refused."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable

import pytest

from handoff import webhooks

SECRET = "whsec_" + base64.b64encode(b"a-test-secret-of-thirty-two-byte").decode()
OTHER = "whsec_" + base64.b64encode(b"another-secret-of-thirty-two-byt").decode()
BODY = webhooks.dumps({"type": "service_request.created", "version": 1, "data": {"number": "SR2612010001"}})


def signed(secret: str = SECRET, *, at: dt.datetime | None = None, body: str = BODY) -> dict[str, str]:
    return webhooks.signed_headers(secret=secret, message_id="msg_1", body=body, now=at)


def test_a_signed_webhook_checks_out() -> None:
    payload = webhooks.verify(secret=SECRET, body=BODY.encode(), headers=signed())
    assert payload["data"]["number"] == "SR2612010001"


def test_the_headers_are_the_standard_ones() -> None:
    headers = signed(at=dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC))
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC).timestamp()))
    assert headers["webhook-signature"].startswith("v1,")


def test_the_signing_time_is_utc_whatever_zone_it_is_given_in() -> None:
    instant = dt.datetime.now(dt.UTC)
    shanghai = instant.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert signed(at=instant)["webhook-signature"] == signed(at=shanghai)["webhook-signature"]


def _without(name: str) -> dict[str, str]:
    return {k: v for k, v in signed().items() if k != name}


# Built when each test runs (not when the tests are collected): the clock matters to two of them.
REFUSED: dict[str, Callable[[], tuple[dict[str, str], str]]] = {
    "tampered body": lambda: (signed(), BODY.replace("0001", "0002")),
    "wrong secret": lambda: (signed(OTHER), BODY),
    "too old": lambda: (signed(at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)), BODY),
    "from the future": lambda: (signed(at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)), BODY),
    "no signature": lambda: (_without("webhook-signature"), BODY),
    "no id": lambda: (_without("webhook-id"), BODY),
    "no timestamp": lambda: (_without("webhook-timestamp"), BODY),
    "garbled signature": lambda: ({**signed(), "webhook-signature": "nonsense"}, BODY),
    "another id": lambda: ({**signed(), "webhook-id": "msg_2"}, BODY),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_anything_else_is_refused(case: str) -> None:
    headers, body = REFUSED[case]()
    with pytest.raises(webhooks.InvalidWebhook):
        webhooks.verify(secret=SECRET, body=body.encode(), headers=headers)


def test_a_body_that_is_not_an_object_is_refused() -> None:
    body = "[1, 2]"
    with pytest.raises(webhooks.InvalidWebhook):
        webhooks.verify(secret=SECRET, body=body.encode(), headers=signed(body=body))
