"""What the App Home dashboard shows one viewer, read from the store: the model `bot.slack.home_blocks` draws.

This week against last week, the month to date against the budget, the week's top models, workspaces and
spenders, recent alerts with their state, and each provider's freshness; for admins, the settings in force.
Per-person spenders are loaded only when the viewer may see people (the caller decides, with
bot.slack.access.may_see_people): otherwise the key view carries no owners and no user view is read at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.alerts.model import AlertRecord
from bot.budget import budget_in_force
from bot.config import Settings
from bot.periods import parse_period
from bot.projection import MonthProjection
from bot.records import KEY, USER
from bot.report import Report, load_report
from bot.saved_settings import SettingInForce, settings_in_force
from bot.spenders import SpenderView, load_spenders
from bot.store import Store
from bot.store.alerts import AlertStore

TOP_SPENDERS = 5
RECENT_ALERTS = 5


@dataclass(frozen=True, slots=True)
class HomeData:
    now: datetime
    week: Report  # the 7 complete days, against the 7 before; its `budget` is the month's, when one is set
    month: MonthProjection | None  # the month to date and its projection, read only when no budget is set
    keys: SpenderView  # the week's top API keys (owners only for viewers who may see people)
    users: SpenderView | None  # the week's top people, only for viewers who may see people
    alerts: tuple[AlertRecord, ...]  # the most recent first
    settings: tuple[SettingInForce, ...] | None  # for admins: the Settings button and the values in force


def load_home(store: Store, settings: Settings, *, now: datetime, people: bool, admin: bool) -> HomeData:
    today = now.date()
    configured = settings.configured_providers
    budget = budget_in_force(store, settings).amount
    week_period = parse_period("week", today)
    week = load_report(store, week_period, now=now, configured=configured, budget_usd=budget)
    # with a budget, the week's report already holds the month to date and its projection (BudgetStatus)
    month = None
    if week.budget is None:
        month = load_report(store, parse_period("month", today), now=now, configured=configured, budget_usd=None).month
    keys = load_spenders(store, week_period, KEY, people=people, top=TOP_SPENDERS)
    users = load_spenders(store, week_period, USER, people=True, top=TOP_SPENDERS) if people else None
    alerts = tuple(AlertStore(store).recent(RECENT_ALERTS))
    in_force = tuple(settings_in_force(store, settings)) if admin else None
    return HomeData(now, week, month, keys, users, alerts, in_force)
