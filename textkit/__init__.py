"""Text rules shared by the hub, the actions and the index (masking personal numbers); no service of its own."""
