"""Repos: the repositories of one transaction, the one way to reach the database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import ArticleRepository
from storage.chats import ChatRepository
from storage.labels import LabelRepository
from storage.ledger import LedgerRepository
from storage.plans import PlanRepository
from storage.schedules import ScheduleRepository
from storage.senders import SenderRepository
from storage.stats import StatsRepository
from storage.subscriptions import SubscriptionRepository
from storage.updates import ProcessedUpdateRepository


class Repos:
    """The repositories of one transaction, all sharing its session."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        # For storage's own modules and for tests that set up rows directly; code outside
        # storage goes through the repositories below (tests/test_layers.py checks it).
        self.session = session
        self.articles = ArticleRepository(session, dialect)
        self.labels = LabelRepository(session, dialect)
        self.chats = ChatRepository(session, dialect)
        self.subscriptions = SubscriptionRepository(session, dialect)
        self.schedules = ScheduleRepository(session, dialect)
        self.ledger = LedgerRepository(session, dialect)
        self.plans = PlanRepository(session, dialect)
        self.senders = SenderRepository(session, dialect)
        self.updates = ProcessedUpdateRepository(session, dialect)
        self.stats = StatsRepository(session)
