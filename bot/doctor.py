"""`aispend doctor`: check every configured piece live and say how to fix what fails.

Each check returns a `Check`; the command prints ✓ / ✗ / – lines and exits 1 when a required check fails.
Messages come from the provider and Slack layers' own errors, which never carry secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TextIO

from bot.config import Settings
from bot.errors import AispendError
from bot.money import fmt_usd, nano_to_usd


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool | None  # None: not configured, nothing to check
    detail: str
    required: bool = True

    def line(self) -> str:
        mark = "–" if self.ok is None else "✓" if self.ok else "✗"
        return f"{mark} {self.name}: {self.detail}"


def provider_checks(settings: Settings, now: datetime) -> list[Check]:
    from bot.providers import build_providers

    providers = build_providers(settings, timeout=15.0)
    if not providers:
        return [
            Check(
                "providers",
                False,
                "no provider key is configured: set ANTHROPIC_ADMIN_KEY and/or OPENAI_ADMIN_KEY (or the _FILE variant).",
            )
        ]
    checks: list[Check] = []
    yesterday = now.date() - timedelta(days=1)
    for provider in providers:
        try:
            org = provider.identity()
            checks.append(
                Check(f"{provider.name} key", True, f"admin key accepted, organization {org.name} ({org.id})")
            )
            data = provider.fetch(yesterday, now.date())
            total = nano_to_usd(sum(r.amount_nano for r in data.costs))
            checks.append(
                Check(
                    f"{provider.name} report",
                    True,
                    f"one-day report for {yesterday}: {fmt_usd(total)} in {len(data.costs)} cost rows, "
                    f"{len(data.labels)} workspace/project names",
                )
            )
            for warning in data.warnings:
                checks.append(Check(f"{provider.name} permissions", False, warning, required=False))
        except AispendError as err:
            checks.append(Check(f"{provider.name}", False, str(err)))
        finally:
            provider.close()
    return checks


def database_check(settings: Settings) -> Check:
    from bot.store import Store

    try:
        store = Store(settings.db_path)
    except AispendError as err:
        return Check("database", False, str(err))
    try:
        pending = store.pending_migrations()
        store.set_setting("doctor_write_check", "ok")
        store.set_setting("doctor_write_check", None)
    except AispendError as err:
        return Check("database", False, str(err))
    finally:
        store.close()
    if pending:
        return Check("database", False, f"{settings.db_path} has pending migrations {pending}: run aispend sync once.")
    return Check("database", True, f"{settings.db_path} is writable and its schema is current")


def run_doctor(
    settings: Settings,
    out: TextIO,
    *,
    now: datetime,
    slack_checks: Callable[[Settings], list[Check]] | None = None,
) -> int:
    if slack_checks is None:
        from bot.slack.checks import slack_checks as default_slack_checks

        slack_checks = default_slack_checks
    checks = [*provider_checks(settings, now), database_check(settings), *slack_checks(settings)]
    for check in checks:
        out.write(check.line() + "\n")
    failed = [c for c in checks if c.ok is False and c.required]
    out.write(f"\n{len(failed)} required check(s) failed.\n" if failed else "\nAll required checks passed.\n")
    return 1 if failed else 0
