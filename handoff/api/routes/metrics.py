"""``GET /metrics``: the hub's Prometheus metrics (handoff/metrics.py) and its HTTP ones, summed over the workers of
``serve --workers N``. No personal data: labels are route templates, skills, reasons. Meant for the cluster's
scraper, which sends ``Authorization: Bearer <METRICS_TOKEN>``: the hub is on the public address, so without the
token the answer is 401."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from redis.exceptions import RedisError

from handoff import metrics
from handoff.api.deps import SettingsDep, bearer_token
from handoff.errors import Unauthorized
from servicemetrics import CONTENT_TYPE, exposition

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def prometheus_metrics(
    request: Request, settings: SettingsDep, token: Annotated[str | None, Depends(bearer_token)]
) -> Response:
    if token is None or not hmac.compare_digest(token.encode(), settings.metrics_token.encode()):
        raise Unauthorized("The metrics are for the bank's monitoring: send its bearer token.", code="metrics_token")
    queue = request.app.state.handoffs.queue
    for skill in queue.skills:
        try:
            metrics.QUEUE_LENGTH.labels(skill).set(len(await queue.waiting(skill)))
        except RedisError:
            break  # the live queue is unknown while Redis is down; the last values stand
    return Response(exposition(), media_type=CONTENT_TYPE)
