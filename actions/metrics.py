"""The action server's own metrics (served at ``/metrics`` by actions/server.py with the HTTP ones): action calls
by action and status, and their duration. A module of their own: rasa_sdk imports every module of the package,
and a metric is registered once per process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from servicemetrics import LATENCY_BUCKETS

ACTION_CALLS = Counter("actions_calls_total", "Action calls from Rasa, by action and status", ["action", "status"])
ACTION_LATENCY = Histogram("actions_call_seconds", "Time to run an action", ["action"], buckets=LATENCY_BUCKETS)
