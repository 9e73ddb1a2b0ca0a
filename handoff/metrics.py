"""The hub's Prometheus metrics (served at ``/metrics`` with the HTTP ones, servicemetrics/): customer messages,
the assistant's replies and their latency, the live queue's length, the waits for an agent, handoffs by reason.
Counted where the thing happens (handoff/conversations.py, handoff/handoffs.py); the queue's length is read from
Redis when ``/metrics`` is asked."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from servicemetrics import LATENCY_BUCKETS

# Waits for an agent: seconds to an hour.
WAIT_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)

CUSTOMER_MESSAGES = Counter(
    "hub_customer_messages_total", "Customer messages stored (once each), by who reads them", ["to"]
)
ASSISTANT_REPLIES = Counter("hub_assistant_replies_total", "Replies of the assistant stored")
ASSISTANT_LATENCY = Histogram(
    "hub_assistant_reply_seconds",
    "From a customer message sent to the assistant to its replies",
    buckets=LATENCY_BUCKETS,
)
ASSISTANT_UNAVAILABLE = Counter("hub_assistant_unavailable_total", "Customer messages the assistant did not answer")
HANDOFFS = Counter(
    "hub_handoffs_total", "Handoff packets acted on, by reason and what came of them", ["reason", "queued"]
)
QUEUE_WAIT = Histogram(
    "hub_queue_wait_seconds", "From queued to the first agent accepting, by skill", ["skill"], buckets=WAIT_BUCKETS
)
QUEUE_LENGTH = Gauge(
    "hub_queue_waiting", "Chats waiting for an agent, by skill", ["skill"], multiprocess_mode="mostrecent"
)
