"""The App Home tab: publish the dashboard on `app_home_opened`, refresh it after syncs, and the admin Settings form.

Every listener acks at once and does its work in the `work` pool (SQLite and Slack calls never run on the ack
path, which in HTTP mode is the event loop). Who may see what:
- The tab is private to its viewer, so per-person spenders are in it when that viewer may see people
  (bot.slack.access.may_see_people, as in an ephemeral reply); a viewer outside AISPEND_ALLOWED_USERS gets the
  refusal instead of figures.
- Only admins (AISPEND_ADMIN_USERS) see the Settings button; a click from anyone else opens a modal that says
  why, and a submission is checked again on submit (a form can be forged or outlive a change of admins).
Opens are recorded in SQLite (bot.store.home), so `refresh_later` after each sync republishes the tab of
everyone who opened it within RECENT, also after a restart. Failures are one log line, never a traceback.
With `charts` (bot.slack.charts), the month to date shows its burn-up chart, uploaded once per day and data stamp;
without it, or when the upload fails, the tab is the same minus the picture.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.budget import budget_in_force
from bot.charts import month_chart_image
from bot.charts.model import ChartImage
from bot.config import Settings
from bot.home_data import load_home
from bot.periods import parse_period
from bot.report import load_report
from bot.saved_settings import save_settings, settings_in_force
from bot.slack.access import Policy, admin_refusal, may_see_people, read_refusal
from bot.slack.charts import ChartUploads
from bot.slack.home_blocks import SETTINGS_ACTION, home_view
from bot.slack.kit import section
from bot.slack.settings_modal import (
    SETTINGS_CALLBACK,
    check_submission,
    refusal_modal,
    settings_modal,
    submitted_values,
)
from bot.store import Store

log = logging.getLogger(__name__)

RECENT = timedelta(hours=24)  # whose tab a sync refreshes: those who opened it within this
SETTINGS_CHANGE = "change aispend's settings"
Body = dict[str, Any]
Views = dict[tuple[bool, bool], dict[str, Any]]  # (may see people, admin) -> the view built for them


class HomeTab:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        client: WebClient,
        now: Callable[[], datetime],
        work: Executor,
        on_saved: Callable[[], object] | None = None,
        recent: timedelta = RECENT,
        charts: ChartUploads | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.policy = Policy.from_settings(settings)
        self.client = client
        self.now = now
        self.work = work
        self.on_saved = on_saved  # after settings are saved (`aispend run` reschedules the digest there)
        self.recent = recent
        self.charts = charts  # the month's burn-up under the month to date; None: no chart

    # --- listeners (Bolt injects arguments by name) -------------------------------------------------------

    def on_home_opened(self, ack: Ack, event: dict[str, Any]) -> None:
        ack()
        user = event.get("user")
        if event.get("tab") != "home" or not isinstance(user, str) or not user:
            return  # the Messages tab sends the same event
        self._later(self.opened, user)

    def on_open_settings(self, ack: Ack, body: Body) -> None:
        ack()
        user, trigger = _user(body), body.get("trigger_id")
        if user is None or not isinstance(trigger, str):
            log.info("a Settings click without a user or trigger_id was ignored")
            return
        self._later(self.open_settings, user, trigger)

    def on_settings_submitted(self, ack: Ack, body: Body, view: dict[str, Any]) -> None:
        user = _user(body) or ""
        refusal = admin_refusal(self.policy, user, SETTINGS_CHANGE)
        if refusal is not None:  # checked on submit too: the form may be forged, or its admin removed since
            log.info("refused a settings submission from %s", user)
            ack(response_action="update", view=refusal_modal(refusal))
            return
        to_store, errors = check_submission(submitted_values(view))
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        self._later(self.save, user, to_store)

    # --- the work after the ack ---------------------------------------------------------------------------

    def opened(self, user: str) -> None:
        self.store.record_home_open(user, self.now())
        self.publish(user)

    def publish(self, user: str, views: Views | None = None) -> bool:
        """Build and publish `user`'s dashboard; False (and one log line) when that failed.

        `views` keeps the views built in one refresh round: a view depends on its viewer only through what they
        may see, so people alike share one build."""
        try:
            view = self.view_for(user, views)
            self.client.views_publish(user_id=user, view=view)
        except SlackApiError as err:
            log.warning("could not publish the Home tab of %s: Slack said %s", user, err.response.get("error"))
            return False
        except Exception as err:  # the store, or no answer from Slack: one line, and the next open tries again
            log.warning("could not publish the Home tab of %s (%s)", user, type(err).__name__)
            return False
        return True

    def view_for(self, user: str, views: Views | None = None) -> dict[str, Any]:
        refusal = read_refusal(dataclasses.replace(self.policy, allowed_channels=frozenset()), user, "")
        if refusal is not None:
            return {"type": "home", "blocks": [section(refusal)]}  # names the user: never shared
        people = may_see_people(self.policy, user, public=False)
        admin = user in self.policy.admin_users
        key = (people, admin)
        if views is not None and key in views:
            return views[key]
        data = load_home(self.store, self.settings, now=self.now(), people=people, admin=admin)
        view = home_view(data, chart_file_id=self.month_chart())
        if views is not None:
            views[key] = view
        return view

    def month_chart(self) -> str | None:
        """The file id of the month's burn-up (bot.charts), uploaded once per day and data stamp; None without."""
        if self.charts is None:
            return None
        now = self.now()

        def draw() -> ChartImage | None:
            budget = budget_in_force(self.store, self.settings).amount
            month = parse_period("month", now.date())
            configured = self.settings.configured_providers
            return month_chart_image(load_report(self.store, month, now=now, configured=configured, budget_usd=budget))

        picture = self.charts.picture(("home-month", now.date(), self.store.change_stamp()), draw)
        return None if picture is None else picture.file_id

    def refresh_recent(self) -> int:
        """Republish the tab of everyone who opened it within `recent`; returns how many were published."""
        try:
            users = self.store.home_viewers(self.now() - self.recent)
        except Exception as err:
            log.warning("could not read who opened the Home tab (%s); no tab was refreshed", type(err).__name__)
            return 0
        views: Views = {}
        return sum(self.publish(user, views) for user in users)

    def refresh_later(self) -> None:
        """`refresh_recent` in the work pool: called after each sync, which must not wait for Slack."""
        self._later(self.refresh_recent)

    def open_settings(self, user: str, trigger: str) -> None:
        refusal = admin_refusal(self.policy, user, SETTINGS_CHANGE)
        try:
            if refusal is not None:
                log.info("refused the Settings form to %s", user)
                view = refusal_modal(refusal)
            else:
                view = settings_modal(settings_in_force(self.store, self.settings))
            self.client.views_open(trigger_id=trigger, view=view)
        except SlackApiError as err:
            log.warning("could not open the Settings form for %s: Slack said %s", user, err.response.get("error"))
        except Exception as err:
            log.warning("could not open the Settings form for %s (%s)", user, type(err).__name__)

    def save(self, user: str, to_store: dict[str, str | None]) -> None:
        try:
            save_settings(self.store, to_store)
        except Exception as err:
            log.warning("could not save the settings %s from %s (%s)", sorted(to_store), user, type(err).__name__)
            return
        log.info("settings saved from Slack by %s: %s", user, sorted(k for k, v in to_store.items() if v is not None))
        if self.on_saved is not None:
            try:
                self.on_saved()
            except Exception as err:
                log.warning("settings were saved, but applying them failed (%s)", type(err).__name__)
        self.publish(user)

    def _later(self, fn: Callable[..., object], *args: Any) -> None:
        def run() -> None:
            try:
                fn(*args)
            except Exception as err:  # after the ack nobody else would see it
                log.warning("an App Home task failed (%s)", type(err).__name__)

        try:
            self.work.submit(run)
        except RuntimeError:  # the pool is shut down: the process is stopping
            log.info("the process is stopping: an App Home task was dropped")


def _user(body: Body) -> str | None:
    user = body.get("user")
    found = user.get("id") if isinstance(user, dict) else None
    return found if isinstance(found, str) and found else None


def register_home(
    app: App,
    *,
    store: Store,
    settings: Settings,
    client: WebClient,
    now: Callable[[], datetime],
    work: Executor,
    on_saved: Callable[[], object] | None = None,
    charts: ChartUploads | None = None,
) -> HomeTab:
    """Register the Home tab's listeners on `app`; returns the HomeTab (call its `refresh_later` after syncs)."""
    home = HomeTab(store=store, settings=settings, client=client, now=now, work=work, on_saved=on_saved, charts=charts)
    app.event("app_home_opened")(home.on_home_opened)
    app.action(SETTINGS_ACTION)(home.on_open_settings)
    app.view_submission(SETTINGS_CALLBACK)(home.on_settings_submitted)
    return home
