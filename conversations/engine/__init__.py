"""The run engine: one way in for every message, wherever it comes from."""
