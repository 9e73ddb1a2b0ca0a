"""Custom actions of the assistant, served by the Rasa SDK action server (``python -m rasa_sdk --actions actions``).

One class per action, split by concern: ``conversation`` (language, greeting), and later ``faq``, ``loans``
and ``handoff``. Configuration is read when an action first runs, never at import time.
"""
