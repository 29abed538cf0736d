"""No bot token and no webhook secret in the logs, even at DEBUG and when requests fail."""

from __future__ import annotations

import json
import logging

import pytest

from bot.runtime.logs import configure_logging
from sandbox.localapi import LocalBotApi
from tests.runtime.conftest import ADMIN, SECRET, TOKEN, webhook_bot


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "plain"])
async def test_no_token_or_secret_in_logs_even_for_failing_requests(
    db_url: str, api: LocalBotApi, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    # What `digestbot` does first in every mode, at the most talkative level.
    configure_logging(logging.DEBUG, as_json=as_json, secrets=[TOKEN, SECRET])
    async with webhook_bot(db_url, api, "/hook") as hook:
        # A request with a wrong secret, refused.
        update = api.send_text(ADMIN, "/help", deliver=False)
        assert await hook.post(update, secret="wrong") == 403
        # A reply Telegram refuses, and one whose answer never arrives: both fail in the
        # handler, with tracebacks that go through the HTTP client (whose URLs hold the token).
        api.fail_next("sendMessage", 400, "Bad Request: chat not found")
        api.send_text(ADMIN, "/help")
        await api.wait_for(lambda a: a.counters["webhook.delivered"] == 1)
        api.drop_next("sendMessage")
        api.send_text(ADMIN, "/help")
        await api.wait_for(lambda a: a.counters["webhook.delivered"] == 2, timeout=15)

    logged = capsys.readouterr().err
    assert "Refused a webhook request" in logged
    assert "Traceback" in logged or '"exception"' in logged
    for secret in (TOKEN, TOKEN.split(":")[1], SECRET):
        assert secret not in logged
    # The redaction did work: the token and the secret were there to be hidden.
    assert "<token>" in logged
    assert "<secret>" in logged
    if as_json:
        for line in logged.splitlines():
            entry = json.loads(line)
            assert {"time", "level", "logger", "message"} <= entry.keys()
