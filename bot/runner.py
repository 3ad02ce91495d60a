"""`aispend run`: the Slack listener and the scheduler in one process, wired from Settings.

This is where the long-lived pieces are built and joined: the store, the Slack Web API client, the Bolt app
(with the alert buttons), the scheduler's sync / alert / digest jobs, and the admin `/aispend sync` action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.errors import ConfigError

log = logging.getLogger("aispend.run")


def check_startup(settings: Settings) -> None:
    """ConfigError listing what `aispend run` cannot start with beyond load_settings; `aispend doctor` runs it too.

    The digest schedule is parsed by the scheduler's own parser, so the two can never disagree about it.
    """
    from bot.jobs import parse_digest_at

    problems: list[str] = []
    try:
        parse_digest_at(settings.digest_cron)
    except ConfigError as err:
        problems += err.problems
    if problems:
        raise ConfigError(problems)


def run(settings: Settings, clock: Callable[[], datetime]) -> None:
    """Run until SIGINT/SIGTERM; `clock` (UTC-aware) is the "now" of every sync, alert, digest and answer."""
    from bot.alerts.pictures import AlertPictures
    from bot.alerts.service import LedgerView
    from bot.jobs import build_scheduler, reschedule_digest, sync_and_alert
    from bot.providers import build_providers
    from bot.saved_settings import effective_settings
    from bot.slack.alert_actions import register_alert_actions
    from bot.slack.charts import ChartUploads
    from bot.slack.client import make_client
    from bot.slack.home import HomeTab, register_home
    from bot.slack.server import run_bot
    from bot.store import Store
    from bot.store.alerts import AlertStore

    check_startup(settings)
    if not settings.configured_providers:
        log.warning("No provider key is configured: /aispend answers from the existing database only.")
    store = Store(settings.db_path)
    alert_store = AlertStore(store)
    # the alert channel may also be saved from Slack later (App Home › Settings): each round checks it then
    alerts_client = make_client(settings) if settings.slack_bot_token else None
    if alerts_client is None or effective_settings(store, settings).alert_channel is None:
        log.warning(
            "Alerts and digests are off: set AISPEND_ALERT_CHANNEL (or save one in the App Home's Settings) and "
            "SLACK_BOT_TOKEN to turn them on."
        )
    homes: list[HomeTab] = []  # the Home tab, once the app is built: refreshed after each sync

    def after_sync() -> None:
        for home in homes:
            home.refresh_later()

    # one uploader for replies and alerts: one cache, one rate limit, and an upload failure told to admins once
    charts = ChartUploads(alerts_client) if alerts_client else None
    pictures = AlertPictures(charts) if charts else None
    scheduler = build_scheduler(
        store=store,
        client=alerts_client,
        settings=settings,
        providers_factory=lambda: build_providers(settings),
        clock=clock,
        after_sync=after_sync,
        pictures=pictures,
    )

    def sync_now() -> str:
        # the same job the scheduler runs, so an admin's sync also evaluates alerts on the fresh numbers. The
        # listener runs one admin sync at a time; one meeting the scheduled sync is safe (each provider's write is
        # one transaction, and the alert lease keeps the posts single)
        providers = build_providers(settings)
        try:
            results = sync_and_alert(store, providers, alerts_client, settings, now=clock(), pictures=pictures).results
        finally:
            for provider in providers:
                provider.close()
        after_sync()
        if not results:
            return "No provider key is configured: set ANTHROPIC_ADMIN_KEY and/or OPENAI_ADMIN_KEY."
        return "; ".join(
            f"{r.provider}: synced {r.rows} rows" if r.ok else f"{r.provider}: failed ({r.error})" for r in results
        )

    # button handlers ack, then do their Slack calls here, so the ack never waits on them
    alert_work = ThreadPoolExecutor(max_workers=4, thread_name_prefix="aispend-alert-work")

    def register(app: Any) -> None:
        register_alert_actions(app, alert_store, settings, work=alert_work, now=clock)
        if alerts_client is not None:
            homes.append(
                register_home(
                    app,
                    store=store,
                    settings=settings,
                    client=alerts_client,
                    now=clock,
                    work=alert_work,
                    on_saved=lambda: reschedule_digest(scheduler, store, settings),
                    charts=charts,
                )
            )

    try:
        run_bot(
            settings,
            store,
            clock=clock,
            registrars=[register],
            on_ready=scheduler.start,
            before_stop=lambda: scheduler.shutdown(wait=True),
            sync_now=sync_now,
            alerts=LedgerView(store, settings),
            charts=charts,
        )
    finally:
        alert_work.shutdown(wait=True, cancel_futures=True)
        store.close()
