"""`aispend doctor`: check every configured piece live and say how to fix what fails.

Each check returns a `Check`; the command prints ✓ / ✗ / – lines and exits 1 when a required check fails.
Messages come from the provider, store and Slack layers' own errors, which never carry secrets; an
unexpected exception is named by its type only, since its text could hold anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.errors import AispendError
from bot.money import fmt_usd, nano_to_usd
from bot.providers.base import OrgIdentity, Provider
from bot.report import provider_name
from bot.safe_text import clean, terminal

log = logging.getLogger(__name__)

MAX_RETRY_WAIT = 2.0  # seconds: a diagnosis should answer in seconds, not wait out a long retry-after
UNEXPECTED = "unexpected error ({kind}); run `aispend -v doctor` and report what it logs"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool | None  # None: not configured, nothing to check
    detail: str  # what passed, or what failed and how to fix it
    required: bool = True

    def line(self) -> str:
        mark = "–" if self.ok is None else "✓" if self.ok else "✗"
        optional = " (optional)" if self.ok is False and not self.required else ""
        return f"{mark} {self.name}{optional}: {self.detail}"


def unexpected(name: str, err: Exception) -> Check:
    log.error("doctor: the %s check failed unexpectedly", name, exc_info=err)
    return Check(name, False, UNEXPECTED.format(kind=type(err).__name__))


def _short_sleep(seconds: float) -> None:
    time.sleep(min(seconds, MAX_RETRY_WAIT))


def provider_checks(settings: Settings, now: datetime, *, sleep: Callable[[float], None] = _short_sleep) -> list[Check]:
    """Per configured provider: whose key it is (admin or not), then a one-day report with it."""
    from bot.providers import build_providers

    providers = build_providers(settings, timeout=15.0, sleep=sleep)
    if not providers:
        return [
            Check(
                "providers",
                False,
                "no provider key is configured: set ANTHROPIC_ADMIN_KEY and/or OPENAI_ADMIN_KEY (or the _FILE "
                "variant naming a file that holds the key).",
            )
        ]
    checks: list[Check] = []
    for provider in providers:
        try:
            checks += _one_provider(provider, now)
        finally:
            provider.close()
    return checks


def _one_provider(provider: Provider, now: datetime) -> list[Check]:
    display = provider_name(provider.name)
    try:
        org = provider.identity(now.date())
    except AispendError as err:
        return [Check(f"{display} key", False, str(err))]
    except Exception as err:
        return [unexpected(f"{display} key", err)]
    checks = [Check(f"{display} key", True, f"{provider.key_variable} is accepted; {_organization(org)}")]
    yesterday = now.date() - timedelta(days=1)
    try:
        data = provider.fetch(yesterday, now.date())
    except AispendError as err:
        return [*checks, Check(f"{display} report", False, str(err))]
    except Exception as err:
        return [*checks, unexpected(f"{display} report", err)]
    total = nano_to_usd(sum(r.amount_nano for r in data.costs))
    names = sum(1 for label in data.labels if label.id)  # the Default Workspace is named by us, not fetched
    checks.append(
        Check(
            f"{display} report",
            True,
            f"one-day report for {yesterday}: {fmt_usd(total)} in {len(data.costs)} cost rows; "
            f"{names} workspace/project names readable",
        )
    )
    checks += [Check(f"{display} permissions", False, warning, required=False) for warning in data.warnings]
    caps = provider.fetch_caps(data)
    if caps.caps is None:
        checks.append(Check(f"{display} spend caps", False, caps.note or "could not be read", required=False))
    else:
        checks.append(Check(f"{display} spend caps", True, f"{len(caps.caps)} spend cap(s) readable (read only)"))
    return checks


def _organization(org: OrgIdentity) -> str:
    if org.name and org.id:
        return f"organization {clean(org.name)} ({clean(org.id)})"
    if org.id:
        return f"organization {clean(org.id)}"
    return "the organization had no cost in the last 7 days, so its id is not known"


def database_check(settings: Settings) -> list[Check]:
    """The database opens (creating it if needed), takes a write, and has every migration applied; and who may read it.

    Opening it applies pending migrations, as `aispend run` would, so "pending" is only reported when that failed.
    A database made by a newer release, or another program's, is refused by the Store itself, in the same words.
    """
    from bot.store import Store
    from bot.store.alerts import AlertStore

    path = settings.db_path
    existed = Path(path).exists()
    try:
        store = Store(path)
    except AispendError as err:
        return [Check("database", False, str(err))]
    except Exception as err:
        return [unexpected("database", err)]
    permissions = [Check("database permissions", False, w, required=False) for w in store.warnings]
    try:
        pending = [*store.pending_migrations(), *AlertStore(store).pending_migrations()]
        store.set_setting("doctor_write_check", "ok")
        store.set_setting("doctor_write_check", None)
    except AispendError as err:
        return [Check("database", False, str(err)), *permissions]
    except Exception as err:
        return [unexpected("database", err), *permissions]
    finally:
        store.close()
    if pending:
        return [
            Check("database", False, f"{path} has pending migrations {pending}: run `aispend sync` once."),
            *permissions,
        ]
    created = "" if existed else " (it did not exist, so it was created)"
    return [Check("database", True, f"{path} is writable{created}; its schema is current"), *permissions]


def _settings_in_force(settings: Settings) -> tuple[Settings, list[str], list[Check]]:
    """The effective settings, one line per setting an admin can change from Slack with its source, and a
    warning for each saved value that was set aside."""
    from bot.saved_settings import doctor_lines, effective_settings, settings_in_force
    from bot.store import Store

    try:
        with Store(settings.db_path) as store:
            lines = settings_in_force(store, settings)
            effective = effective_settings(store, settings)
    except AispendError as err:
        return settings, [], [Check("saved settings", False, str(err), required=False)]
    except Exception as err:
        return settings, [], [unexpected("saved settings", err)]
    problems = [Check("saved settings", False, line.problem, required=False) for line in lines if line.problem]
    return effective, doctor_lines(lines), problems


def run_doctor(
    settings: Settings,
    out: TextIO,
    *,
    now: datetime,
    slack_checks: Callable[[Settings], list[Check]] | None = None,
    sleep: Callable[[float], None] = _short_sleep,
) -> int:
    """Print one line per check and a summary; 1 if any required check failed, else 0."""
    if slack_checks is None:
        from bot.slack.checks import slack_checks as default_slack_checks

        slack_checks = default_slack_checks
    checks = [*provider_checks(settings, now, sleep=sleep), *database_check(settings)]
    database_ok = all(c.ok for c in checks if c.name == "database")
    effective, in_force, problems = _settings_in_force(settings) if database_ok else (settings, [], [])
    checks += problems
    for check in checks:
        out.write(terminal(check.line()) + "\n")  # details quote what providers and Slack said
    if in_force:  # read from the database, so listed after its check
        out.write("Settings in force (admins change them in the App Home's Settings):\n")
        out.write(terminal("\n".join(in_force)) + "\n")
    try:
        slack = slack_checks(effective)  # the alert channel in force, wherever it was set
    except Exception as err:
        slack = [unexpected("Slack", err)]
    for check in slack:
        out.write(terminal(check.line()) + "\n")
    checks += slack
    failed = [c for c in checks if c.ok is False and c.required]
    if failed:
        out.write(
            f"\n{len(failed)} required check(s) failed: fix them as each line says, then run aispend doctor again.\n"
        )
    else:
        out.write("\nAll required checks passed.\n")
    return 1 if failed else 0
