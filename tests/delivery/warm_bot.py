"""Imported by the kill test's fork server only: loads everything a bot process needs."""

from tests.delivery.bot_process import warm_up

warm_up()
