"""The lending core's ``/metrics``: requests by route template and status, and their duration."""

from __future__ import annotations

import re

import httpx


def value(text: str, metric: str) -> float:
    found = re.search(rf"^{re.escape(metric)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_requests_are_counted_by_route_template(client: httpx.AsyncClient) -> None:
    route = 'route="/api/v1/customers/{customer_id}/credit-line"'
    counted = f'http_requests_total{{method="GET",{route},service="lending_core",status="404"}}'
    timed = f'http_request_duration_seconds_count{{method="GET",{route},service="lending_core"}}'
    before = (await client.get("/metrics")).text
    for _ in range(3):
        assert (await client.get("/api/v1/customers/NOBODY/credit-line")).status_code == 404
    after = await client.get("/metrics")
    assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain")
    assert value(after.text, counted) - value(before, counted) == 3
    assert value(after.text, timed) - value(before, timed) == 3
    assert "NOBODY" not in after.text
