"""Webhooks to the account-manager platform, signed the Standard Webhooks way (the ``standardwebhooks`` library).

Each message carries ``webhook-id`` (the outbox row's id; a receiver deduplicates by it), ``webhook-timestamp``
(Unix seconds) and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 over ``id.timestamp.body`` with the shared
secret, ``whsec_`` + base64). A receiver refuses a timestamp more than five minutes from its own clock. The
timestamp is the wall clock's, not the hub's business clock: a demo that starts the hub's clock at 23:00 still
signs what a receiver elsewhere can check.

The body is JSON: ``{"type": "service_request.created" | "service_request.reassigned", "version": 1,
"data": {...}}`` (docs/contracts.md).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

WEBHOOK_VERSION = 1


class InvalidWebhook(Exception):
    """A webhook whose headers or signature do not check out (or whose body is not JSON)."""


def dumps(payload: dict[str, Any]) -> str:
    """The exact text that is signed and sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


def signed_headers(*, secret: str, message_id: str, body: str, now: dt.datetime | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for a body (``now``: the wall clock unless a test says otherwise)."""
    instant = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=instant, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(instant.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def verify(*, secret: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """The JSON body of a webhook whose signature and timestamp check out; InvalidWebhook otherwise."""
    try:
        payload = Webhook(secret).verify(body, headers)
    except WebhookVerificationError as exc:
        raise InvalidWebhook(str(exc)) from exc
    except (ValueError, UnicodeDecodeError) as exc:  # a malformed signature header, or a body that is not UTF-8
        raise InvalidWebhook(f"unreadable webhook: {type(exc).__name__}") from exc
    if not isinstance(payload, dict):
        raise InvalidWebhook("the body is not a JSON object")
    return payload
