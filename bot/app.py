"""The composition root: builds the Application and the digest pipeline from Deps, once."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults

from bot.runtime.deps import Deps
from bot.runtime.flood import FloodBudget
from bot.runtime.types import BotApp
from bot.runtime.updates import ChatOrderedUpdateProcessor
from delivery.pipeline import DeliveryPipeline
from handlers import registry

# A well-formed token for the local sandbox, whose Bot API accepts any token.
SANDBOX_TOKEN = "123456789:sandbox-token-for-the-local-bot-api-0000"
# The name of the scheduler's repeating job.
TICK_JOB = "digest-tick"


@dataclass(frozen=True, slots=True)
class Digestbot:
    """The application and the digest pipeline that runs in it."""

    app: BotApp
    pipeline: DeliveryPipeline


def build_bot(deps: Deps, *, role: str = "bot", sender_id: str | None = None) -> Digestbot:
    """Return the bot with every handler and the scheduler's tick registered; it upgrades the
    schema on start. `role` and `sender_id` name this process among the senders."""
    token = deps.settings.bot_token
    api = deps.settings.telegram_api_url

    async def post_init(app: BotApp) -> None:
        await deps.db.upgrade()
        await registry.post_init(app, deps)

    async def leave_senders(_: BotApp) -> None:
        # The batches in flight were sent and recorded when the application stopped; the
        # other senders take up this one's share of the budget at their next heartbeat.
        await pipeline.stop()

    async def close_db(_: BotApp) -> None:
        await deps.db.dispose()

    app = (
        Application.builder()
        .token(token.get_secret_value() if token is not None else SANDBOX_TOKEN)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .post_init(post_init)
        .post_stop(leave_senders)
        .post_shutdown(close_db)
        # Every text the bot sends is HTML, and a card links its source at most: a preview
        # would push the card's text aside.
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Every Bot API call goes through the flood budget (see bot/runtime/flood.py).
        .rate_limiter(flood_budget(deps))
        # Updates side by side, in order within a chat, timed for /metrics in every mode.
        .concurrent_updates(ChatOrderedUpdateProcessor(deps.settings.updates.concurrency))
        .build()
    )
    pipeline = DeliveryPipeline(deps, app, role=role, sender_id=sender_id)
    registry.register(app, deps, pipeline)
    _schedule_tick(app, deps, pipeline)
    return Digestbot(app, pipeline)


def build_application(deps: Deps) -> BotApp:
    """Return the bot's Application (see build_bot), for callers that only run it."""
    return build_bot(deps).app


def _schedule_tick(app: BotApp, deps: Deps, pipeline: DeliveryPipeline) -> None:
    """Run the pipeline's tick every DIGEST__TICK_SECONDS, the first one at start."""
    job_queue = app.job_queue
    if job_queue is None:
        raise RuntimeError("the application was built without a job queue")
    job_queue.run_repeating(
        pipeline.tick,
        interval=deps.settings.digest.tick_seconds,
        first=0,
        name=TICK_JOB,
        job_kwargs={
            # A tick that starts late (a busy loop, a suspended machine) still runs, and
            # several missed ticks run once: the schedule lives in our tables, so one late
            # tick catches up on everything due.
            "misfire_grace_time": None,
            "coalesce": True,
            "max_instances": 1,
        },
    )


def flood_budget(deps: Deps) -> FloodBudget:
    """Return the flood budget the settings describe."""
    flood = deps.settings.flood
    return FloodBudget(
        rate=flood.rate,
        per_chat_interval=flood.per_chat_interval,
        per_chat_burst=flood.per_chat_burst,
        group_per_minute=flood.group_per_minute,
        max_retries=flood.max_retries,
    )
