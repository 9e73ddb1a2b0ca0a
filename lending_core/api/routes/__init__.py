"""Routers of the lending core API."""
