"""Imported by the fork server of tests/processes.py only: loads everything a bot process
needs."""

from tests.processes import warm_up

warm_up()
