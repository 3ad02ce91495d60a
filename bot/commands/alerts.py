"""`aispend alerts`: evaluate the alert rules and post (or with --dry-run print) the new alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from bot.commands import EXIT_FAILED, EXIT_OK, open_store
from bot.config import Settings
from bot.errors import ConfigError, UsageError
from bot.safe_text import terminal


def cmd_alerts(
    settings: Settings, dry_run: bool, as_of: date | None, out: TextIO, *, now: datetime, resend: Sequence[str] = ()
) -> int:
    from bot.alerts.delivery import resend as resend_alerts
    from bot.alerts.pictures import AlertPictures
    from bot.alerts.service import format_alerts_text, run_alerts

    today = as_of or now.date()
    if not Path(settings.db_path).exists():
        # opening it would create an empty database and report "No new alerts" for a mistyped AISPEND_DB
        raise ConfigError(
            f"No database at {settings.db_path}: run `aispend sync` first (or set AISPEND_DB to the bot's database)."
        )
    client = None
    charts = None
    if not dry_run:
        if settings.slack_bot_token is None or _alert_channel(settings) is None:
            raise ConfigError(
                "Posting alerts needs SLACK_BOT_TOKEN and AISPEND_ALERT_CHANNEL: set both, or use --dry-run to "
                "only print them."
            )
        from bot.slack.charts import ChartUploads
        from bot.slack.client import make_client

        client = make_client(settings)
        charts = ChartUploads(client)
    if resend and client is None:
        raise UsageError("--resend posts, so it cannot go with --dry-run: drop one of them.")
    store = open_store(settings)
    try:
        if resend and client is not None:
            run = resend_alerts(store, client, settings=settings, identities=resend, today=today, now=now)
        else:
            pictures = None if charts is None else AlertPictures(charts)
            run = run_alerts(store, client, settings=settings, today=today, now=now, dry_run=dry_run, pictures=pictures)
    finally:
        store.close()
    out.write(terminal(format_alerts_text(run)) + "\n")
    notice = None if charts is None else charts.take_notice()
    if notice:  # the alerts went out without their charts: say why here, where the admin is
        out.write(terminal(notice) + "\n")
    return EXIT_FAILED if run.failed or run.uncertain else EXIT_OK


def _alert_channel(settings: Settings) -> str | None:
    """The alert channel in force: AISPEND_ALERT_CHANNEL, or the one an admin saved from Slack."""
    from bot.saved_settings import effective_settings

    store = open_store(settings)
    try:
        return effective_settings(store, settings).alert_channel
    finally:
        store.close()
