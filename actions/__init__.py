"""Custom actions of the assistant, served by the Rasa SDK action server (``python -m actions.server``).

One class per action, split by concern (``conversation``, ``faq``, ``handoff``, ``verification``, one module per
journey: ``applications``, ``drawdowns``, ``repayments``, ``renewals``, ``credit_line``, ``service_requests``).
Each form is described once by a ``Journey`` (``journeys``), listed in ``registry``; one submit path ends every
journey in the lending core. Configuration is read when an action first runs, never at import time.
"""
