"""`digestbot run`, `digestbot sandbox` and `digestbot start` as real processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from sandbox.localapi import LocalBotApi
from tests.driver import ALICE, TOKEN
from tests.processes import child, exit_status, terminate

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh clone: no token, no database or API settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "DATABASE_", "TELEGRAM_", "FLOOD__", "LOG_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        NO_COLOR="1",
        # Replies go out at once; the flood budget has its own tests.
        FLOOD__PER_CHAT_INTERVAL="0",
        FLOOD__RATE="0",
    )
    env.update(extra)
    return env


def digestbot_process(
    *args: str, cwd: Path, env: dict[str, str]
) -> AbstractAsyncContextManager[asyncio.subprocess.Process]:
    """`python -m bot args` in a process of its own, with pipes for its input and output."""
    return child(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def digestbot(
    *args: str, cwd: Path, env: dict[str, str], stdin: bytes | None = None
) -> tuple[int, str, str]:
    async with digestbot_process(*args, cwd=cwd, env=env) as process:
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def test_run_without_a_token_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    assert exit_status(["run"]) == 2
    err = capsys.readouterr().err
    for needed in ("@BotFather", "/newbot", "BOT_TOKEN=", ".env", "digestbot sandbox"):
        assert needed in err


@pytest.mark.slow
async def test_run_polls_answers_and_stops_cleanly_on_sigterm(
    tmp_path: Path, sqlite_template: Path
) -> None:
    # A migrated copy saves the migration time; the upgrade on start still runs (a no-op).
    shutil.copyfile(sqlite_template, tmp_path / "bot.db")
    async with LocalBotApi(TOKEN) as api:
        api.add_chat(ALICE, first_name="Alice")
        env = clean_env(
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        )
        async with digestbot_process("run", cwd=tmp_path, env=env) as process:
            # On start: the schema is upgraded and the command menu registered.
            await api.wait_for_call("setMyCommands", timeout=60)
            menu = next(iter(api.commands.values()))
            assert {"topic", "subscribe", "unsubscribe", "subscriptions", "start", "help"} <= {
                command["command"] for command in menu
            }
            api.send_text(ALICE, "/start")
            (sent,) = await api.wait_for_call("sendMessage", ALICE, timeout=30)
            assert sent.result["text"].startswith("👋 Hi! I'm Digestbot.")
            await api.wait_for(lambda server: not server.pending_updates, timeout=30)
            out, err = await terminate(process)
    assert process.returncode == 0, err.decode()
    assert TOKEN.split(":")[1] not in out.decode() + err.decode()


@pytest.mark.slow
async def test_sandbox_prints_the_conversation(tmp_path: Path, sqlite_template: Path) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "sandbox.db")
    # [7] opens the long read's retelling, [10] turns its page, [8] is "More".
    script = "/start\n/subscribe #Kyiv\n/topic Kyiv\n7\n10\n8\n99\n/subscriptions\n"
    code, out, err = await digestbot(
        "sandbox",
        "--db",
        str(tmp_path / "sandbox.db"),
        cwd=tmp_path,
        env=clean_env(),
        stdin=script.encode(),
    )
    assert code == 0, err
    assert f"Database: {tmp_path / 'sandbox.db'} (9 sample articles loaded" in out
    expected_in_order = [
        "you › /start",
        "bot › 👋 **Hi! I'm Digestbot.**",
        "[1] 🔎 #Kyiv",
        "you › /subscribe #Kyiv",
        "bot › ✅ Subscribed to #Kyiv.",
        "you › /topic Kyiv",
        # The title's literal <b> and & reach the reader as text.
        'bot › **Ministry\'s Tariff Page Shows Raw <b> Tags & a Price "< 0" for Hours**',
        "📌 **Key takeaways**",
        "#Tariffs #Open_data #Kyiv",
        # A short retelling is in the card (collapsed in Telegram), a long one a tap away.
        "📖 **Full retelling**",
        "bot › **The Long Winter: How Kyiv's Grid Engineers Keep the Lights On**",
        "[7] 📖 Full retelling",
        "bot › **Peace Talks in Geneva End With an Agreement on a Prisoner Exchange**",
        "Showing 3 of 5 articles on #Kyiv.",
        "[8] ⏬ More (2 left)",
        "you › 7",
        "bot (edited) › **The Long Winter: How Kyiv's Grid Engineers Keep the Lights On**",
        "📖 _Full retelling · 1/3_",
        "[9] 1/3   [10] ›",
        "[11] 📌 Back to takeaways",
        "you › 10",
        "📖 _Full retelling · 2/3_",
        "[12] ‹   [13] 2/3   [14] ›",
        "you › 8",
        "bot (edited) › **Peace Talks in Geneva End With an Agreement on a Prisoner Exchange**",
        "Showing 3 of 5 articles on #Kyiv.",
        "bot › **Kyiv Metro Opens Six More Stations as Night Shelters for the Winter**",
        "you › 99",
        "(there is no button [99]; the last one is [15])",
        "you › /subscriptions",
        "bot › 📋 **This chat follows 1 label**",
        "✖ #Kyiv",
    ]
    position = 0
    for piece in expected_in_order:
        found = out.find(piece, position)
        assert found >= 0, f"{piece!r} missing after position {position}:\n{out}"
        position = found + len(piece)
    assert "Traceback" not in out + err
    assert "refused" not in out


@pytest.mark.slow
async def test_start_without_a_token_starts_the_sandbox(
    tmp_path: Path, sqlite_template: Path
) -> None:
    (tmp_path / "data").mkdir()
    shutil.copyfile(sqlite_template, tmp_path / "data" / "sandbox.db")
    code, out, err = await digestbot(
        "start", cwd=tmp_path, env=clean_env(), stdin=b"/topic Odesa\n/quit\n/help\n"
    )
    assert code == 0, err
    assert out.startswith("BOT_TOKEN is not set: starting the local sandbox")
    assert "Database: data/sandbox.db" in out
    assert "bot › **Odesa Ports Ship a Record Month of Grain" in out
    assert "you › /quit" in out
    assert "you › /help" not in out
    assert (tmp_path / "data" / "sandbox.db").exists()
