"""Fixtures for the local Bot API's tests: a server with Alice in it, a PTB bot and a plain
HTTP client talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import telegram

from sandbox.localapi import LocalBotApi
from tests.sandbox.support import ALICE, TOKEN


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(TOKEN) as server:
        server.add_chat(ALICE, first_name="Alice")
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(TOKEN, base_url=f"{api.url}/bot") as client:
        yield client


@pytest.fixture
async def http(api: LocalBotApi) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{api.url}/bot{TOKEN}/") as client:
        yield client


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns about int retry_after unless the timedelta behaviour is switched on.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
