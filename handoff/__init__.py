"""The hub: owns every customer connection, stores the transcript, forwards to the assistant.

Layout: ``config`` (Settings), ``db`` and ``models`` (SQL), ``crud`` (keyword-only queries),
``conversations`` (the message flow shared by REST and websocket), ``rasa`` (the assistant's REST webhook),
``realtime`` (Redis pub/sub between hub instances), ``api/`` (FastAPI routes and dependencies).
"""
