"""HTTP API of the lending core."""
