"""The scheduled jobs of `aispend run`, and the only module that imports APScheduler (3.x).

- sync: every AISPEND_SYNC_INTERVAL_MINUTES (and once at start), then alert evaluation on the fresh data.
- digest: last week's summary at AISPEND_DIGEST_AT ("mon 09:00" UTC by default), and at start when that
  slot passed less than DIGEST_GRACE ago, so a restart right after the slot still posts it. A digest whose week
  is not completely synced yet (a fresh database, a sync still running) waits; every sync round tries it again
  while the slot is within DIGEST_GRACE, so it goes out after the sync that completes the data.

The jobs are plain functions taking explicit `now` and clients; the scheduler only calls them with the clock.
Missed runs are coalesced into one; max_instances=1 keeps a slow sync from overlapping the next. What keeps a
restart from re-posting and two processes from both posting is the alert ledger (bot.alerts.service), not
the scheduler, whose job store is in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from bot.alerts.model import AlertRun
from bot.alerts.pictures import Pictures
from bot.alerts.service import post_digest, run_alerts
from bot.config import Settings
from bot.errors import ConfigError
from bot.providers.base import Provider
from bot.saved_settings import effective_settings
from bot.store import Store
from bot.sync import SyncResult, sync_providers

logger = logging.getLogger("aispend.jobs")

DIGEST_GRACE = timedelta(hours=12)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DIGEST_AT = re.compile(r"^\s*(?P<days>[a-z*,\-]+)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(utc)?\s*$")
_DIGEST_FIX = (
    "AISPEND_DIGEST_AT must be days and a UTC time such as 'mon 09:00', 'mon,thu 08:30', 'mon-fri 17:00' or "
    "'daily 09:00'"
)

Clock = Callable[[], datetime]
ProvidersFactory = Callable[[], list[Provider]]


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    days: frozenset[int]  # 0 = Monday
    hour: int
    minute: int

    @property
    def cron_days(self) -> str:
        return ",".join(DAYS[d] for d in sorted(self.days))

    def latest_slot(self, now: datetime) -> datetime:
        """The most recent scheduled moment at or before `now`."""
        moment = now.astimezone(UTC).replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if moment > now:
            moment -= timedelta(days=1)
        while moment.weekday() not in self.days:
            moment -= timedelta(days=1)
        return moment


def parse_digest_at(text: str) -> DigestSchedule:
    """'mon 09:00' → Mondays 09:00 UTC; ConfigError naming the accepted forms otherwise."""
    match = _DIGEST_AT.match(text.lower())
    if not match:
        raise ConfigError(f"{_DIGEST_FIX}; it is {text!r}.")
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ConfigError(f"{_DIGEST_FIX}; {text!r} is not a time of day.")
    days: set[int] = set()
    for part in match["days"].split(","):
        if part in ("daily", "*"):
            days.update(range(7))
        elif "-" in part:
            first, last = (_day(word, text) for word in part.split("-", 1))
            days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)])
        else:
            days.add(_day(part, text))
    return DigestSchedule(frozenset(days), hour, minute)


def _day(word: str, text: str) -> int:
    """0 for 'mon' or 'monday' (any prefix of three letters or more)."""
    for index, name in enumerate(DAY_NAMES):
        if len(word) >= 3 and name.startswith(word):
            return index
    raise ConfigError(f"{_DIGEST_FIX}; {word!r} in {text!r} is not a day.")


# --- the jobs: plain functions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncRound:
    results: list[SyncResult]
    alerts: AlertRun | None = None
    alert_error: str | None = None
    notes: list[str] = field(default_factory=list)
    digest: AlertRun | None = None  # the digest tried after the sync (None when not due or Slack is off)


def sync_and_alert(
    store: Store,
    providers: list[Provider],
    client: WebClient | None,
    settings: Settings,
    *,
    now: datetime,
    pace: float = 1.0,
    digest: DigestSchedule | None = None,
    pictures: Pictures | None = None,
) -> SyncRound:
    """One sync of every provider, then alert evaluation (when Slack and an alert channel are configured).

    With `digest`, the digest of its latest slot is tried too (see digest_job): one that waited for this sync's
    data goes out now; one already recorded is not built again.
    """
    results = sync_providers(store, providers, now=now, backfill_days=settings.backfill_days) if providers else []
    for result in results:
        if not result.ok:
            logger.warning("sync of %s failed: %s", result.provider, result.error)
    settings = effective_settings(store, settings)  # an alert channel saved from Slack counts from now on
    if client is None or settings.alert_channel is None:
        return SyncRound(results, notes=["alerts are off: set SLACK_BOT_TOKEN and AISPEND_ALERT_CHANNEL"])
    try:
        run = run_alerts(
            store,
            client,
            settings=settings,
            today=now.date(),
            now=now,
            dry_run=False,
            retry_failed=False,
            pace=pace,
            pictures=pictures,
        )
    except Exception as err:  # a failed evaluation must not stop the next sync; the log says why
        logger.exception("alert evaluation failed")
        return SyncRound(results, alert_error=f"{type(err).__name__}: {err}")
    if digest is None:
        return SyncRound(results, run)
    try:
        posted = digest_job(store, client, settings, now=now, schedule=digest, pace=pace, pictures=pictures)
    except Exception as err:
        logger.exception("the weekly digest failed")
        return SyncRound(results, run, alert_error=f"{type(err).__name__}: {err}")
    return SyncRound(results, run, digest=posted)


def digest_job(
    store: Store,
    client: WebClient | None,
    settings: Settings,
    *,
    now: datetime,
    schedule: DigestSchedule,
    grace: timedelta = DIGEST_GRACE,
    pace: float = 1.0,
    pictures: Pictures | None = None,
) -> AlertRun | None:
    """Post the digest for the latest slot if it passed less than `grace` ago; the ledger makes it once a week."""
    settings = effective_settings(store, settings)
    if client is None or settings.alert_channel is None:
        return None
    slot = schedule.latest_slot(now)
    if now - slot > grace:
        return None
    return post_digest(store, client, settings=settings, now=now, today=slot.date(), pace=pace, pictures=pictures)


# --- the scheduler ---------------------------------------------------------------------------------------------


def build_scheduler(
    *,
    store: Store,
    client: WebClient | None,
    settings: Settings,
    providers_factory: ProvidersFactory,
    clock: Clock,
    run_now: bool = True,
    after_sync: Callable[[], None] | None = None,
    pictures: Pictures | None = None,
) -> BackgroundScheduler:
    """The scheduler with the sync and digest jobs, not yet started (call .start(), later .shutdown()).

    `clock` gives the jobs their `now`; `run_now` also runs both once as soon as the scheduler starts.
    `after_sync` runs after each sync round (the App Home refresh); it must hand its work off, not block.
    The digest time is the effective one (a time saved from Slack wins), read again by every tick; a change is
    applied to the digest job by `reschedule_digest`, which each sync round calls too.
    """
    schedule = digest_schedule(store, settings)
    interval = settings.sync_interval_minutes
    scheduler = BackgroundScheduler(
        timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": interval * 30}
    )

    # APScheduler fires on its own wall clock (a DateTrigger without a date is its "now"); `clock` is only the
    # `now` the jobs are given, so a test's fixed clock still runs on time
    def first_now_then(trigger: BaseTrigger) -> BaseTrigger:
        return OrTrigger([DateTrigger(timezone=UTC), trigger]) if run_now else trigger

    def sync_tick() -> None:
        providers = providers_factory()
        try:
            current = reschedule_digest(scheduler, store, settings)
            sync_and_alert(store, providers, client, settings, now=clock(), digest=current, pictures=pictures)
        finally:
            for provider in providers:
                provider.close()
        if after_sync is not None:
            try:
                after_sync()
            except Exception as err:  # the next sync must still run; the hook logs its own details
                logger.warning("the after-sync step failed: %s", type(err).__name__)

    def digest_tick() -> None:
        digest_job(store, client, settings, now=clock(), schedule=digest_schedule(store, settings), pictures=pictures)

    scheduler.add_job(
        sync_tick, first_now_then(IntervalTrigger(minutes=interval, timezone=UTC)), id="sync", name="sync and alerts"
    )
    scheduler.add_job(
        digest_tick,
        first_now_then(_cron(schedule)),
        id="digest",
        name="weekly digest",
        misfire_grace_time=int(DIGEST_GRACE.total_seconds()),
    )
    return scheduler


def digest_schedule(store: Store, settings: Settings) -> DigestSchedule:
    """The digest time in force: saved from Slack, else AISPEND_DIGEST_AT (both checked by parse_digest_at)."""
    return parse_digest_at(effective_settings(store, settings).digest_cron)


def reschedule_digest(scheduler: BackgroundScheduler, store: Store, settings: Settings) -> DigestSchedule:
    """Point the digest job at the digest time in force, if it changed; returns that schedule."""
    schedule = digest_schedule(store, settings)
    job = scheduler.get_job("digest")
    trigger = _cron(schedule)
    if job is not None and str(trigger) not in str(job.trigger):
        scheduler.reschedule_job("digest", trigger=trigger)
        logger.info(
            "the weekly digest now goes out at %s %02d:%02d UTC", schedule.cron_days, schedule.hour, schedule.minute
        )
    return schedule


def _cron(schedule: DigestSchedule) -> CronTrigger:
    return CronTrigger(day_of_week=schedule.cron_days, hour=schedule.hour, minute=schedule.minute, timezone=UTC)
