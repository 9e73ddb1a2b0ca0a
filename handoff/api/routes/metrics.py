"""``GET /metrics``: the hub's Prometheus metrics (handoff/metrics.py) and its HTTP ones, summed over the workers of
``serve --workers N``. No personal data: labels are route templates, skills, reasons. Meant for the cluster's
scraper; the ingress does not route it (deploy/)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from redis.exceptions import RedisError

from handoff import metrics
from servicemetrics import CONTENT_TYPE, exposition

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def prometheus_metrics(request: Request) -> Response:
    queue = request.app.state.handoffs.queue
    for skill in queue.skills:
        try:
            metrics.QUEUE_LENGTH.labels(skill).set(len(await queue.waiting(skill)))
        except RedisError:
            break  # the live queue is unknown while Redis is down; the last values stand
    return Response(exposition(), media_type=CONTENT_TYPE)
