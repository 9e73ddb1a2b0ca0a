"""Service analytics for supervisors: what the assistant served, what it handed over and why, where customers drop,
how the queue and the account managers did, how customers rated it, and what the assistant could not answer.

Every figure is a SQL query (SQLAlchemy Core, PostgreSQL and SQLite) over the stored tables: the transcript, the
handoffs and their events, the ratings, the service requests. Days and hours are Asia/Shanghai's. Each figure is a
table (a list of rows with the same keys), so the API gives it as JSON or CSV alike (handoff/api/routes/analytics.py).

What the transcript holds, and what is stored for the figures going forward:

- a bot reply carries its FAQ entry (``custom.faq``), its handoff packet (``custom.handoff``, with the journey stage
  ``form:slot``) or its service request; the handoff row keeps the packet's reason and journey stage;
- the journey funnels read ``custom.journey = {"form", "step"}`` of bot replies (step: the slot asked, ``summary``,
  ``confirmed``, ``cancelled``), the questions' from their domain responses (``utter_ask_<slot>``, or
  ``utter_ask_<form>_<slot>`` for the verification the money forms share), the others' from the actions that
  summarise, submit and cancel, through its rollup ``journey_steps`` (a row per marked reply, written with it by
  crud.add_message); a step also counts when a later step or a handoff at that step is seen (``reached`` is
  "reached or passed": a question answered in advance is not asked, and older replies have no question markers);
- the FAQ gaps read ``custom.faq_gap = {"kind": "abstained" | "fallback"}`` on the reply that said the assistant was
  not sure (actions/faq.py), through its rollup ``faq_gap_messages`` (a row per marked reply that answers a customer
  message, written with it by crud.add_message), which points at the customer message it answered.
"""

from handoff.analytics.filters import MAX_RANGE_DAYS, Filters, InvalidRange
from handoff.analytics.queries import JOURNEYS, Report, report

__all__ = ["JOURNEYS", "MAX_RANGE_DAYS", "Filters", "InvalidRange", "Report", "report"]
