"""Which stored days are final: fetched by a successful sync after the day ended (UTC), per provider.

The rule (contract §4 `freshness`, §5): a day counts as complete once a sync fetched it after it ended. A sync
at 23:10 holds 23 h 10 min of that day, so until a later sync fetches it again the day is not final, whatever
a later failed sync did (failed syncs write nothing). A backfill that fetched a day before it ended does not make
it complete either. Providers still revise recent days; the trailing re-sync window picks that up.

`complete_through` is the last day D such that every day of the provider's latest unbroken run of fetched days
through D was fetched after it ended. An incremental sync reaches back to the first unfinished day within its
backfill horizon (bot.sync), so a day left partial or skipped by `sync --days` is completed by the next one; a
day left behind before a longer downtime is never fetched again and no longer holds complete_through back, but
every period that reaches it still says it is not final.

Pure: the store (bot.store.freshness) returns ProviderFetches; the report and the alerts ask this module which
days of their windows are unfinished and how to say so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.records import SyncState, provider_name
from bot.safe_text import TEXT_LIMIT, clean

DAY = timedelta(days=1)
TRAILING_DAYS = 3  # what every incremental sync fetches again, at least (bot.sync's default)


def day_end(day: date) -> datetime:
    """The moment `day` ends: midnight UTC at the start of the next day."""
    return datetime.combine(day + DAY, time(), UTC)


def is_final(day: date, fetched_at: datetime | None) -> bool:
    return fetched_at is not None and fetched_at >= day_end(day)


@dataclass(frozen=True, slots=True)
class ProviderFetches:
    """What the store knows about one provider's fetched days (only providers with at least one are listed)."""

    provider: str
    first_day: date  # the first day any successful sync fetched
    last_day: date  # the last day fetched
    fetched_at: datetime  # the latest fetch
    complete_through: date | None  # the latest run of fetched days is final through it; None if its first is not
    span: tuple[date, date]  # the days [start, end] that `days` was read for
    days: Mapping[date, datetime] = field(default_factory=dict)  # when each day of `span` was last fetched

    def fetched(self, day: date) -> datetime | None:
        if not self.span[0] <= day <= self.span[1]:
            raise ValueError(f"{day} is outside the days read for {self.provider} ({self.span[0]}..{self.span[1]})")
        return self.days.get(day)


@dataclass(frozen=True, slots=True)
class Unfinished:
    """A day of a window one provider has not fetched after it ended."""

    provider: str
    day: date
    fetched_at: datetime | None  # when it was last fetched (before it ended); None when never fetched


def unfinished_days(
    fetches: Mapping[str, ProviderFetches], start: date, end: date, *, configured: Collection[str] = ()
) -> list[Unfinished]:
    """Days of [start, end] that are not final, by day then provider.

    A provider counts from its first synced day on (earlier days are before its history, which the report notes
    apart). A configured provider owes every day after that; one without a key only the days it has fetched,
    since nothing can fetch more of it.
    """
    out = []
    for provider in sorted(fetches):
        info = fetches[provider]
        last = end if provider in configured else min(end, info.last_day)
        day = max(start, info.first_day)
        while day <= last:
            at = info.fetched(day)
            if not is_final(day, at):
                out.append(Unfinished(provider, day, at))
            day += DAY
    return sorted(out, key=lambda u: (u.day, u.provider))


def _clock(at: datetime, day: date) -> str:
    at = at.astimezone(UTC)
    return f"{at:%H:%M} UTC" if at.date() == day else f"{at:%Y-%m-%d %H:%M} UTC"


def not_final_notes(unfinished: Iterable[Unfinished], *, today: date, comparison: Collection[date] = ()) -> list[str]:
    """'2026-11-30 is not final: last fetched by Anthropic at 23:10 UTC, before the day ended; ...' per day.

    Only days that were fetched early are described; days never fetched are never_fetched_notes' (a gap) or the
    report's "no data after" notes.
    Days in `comparison` are said to be in the comparison period. Runs of many days collapse into one note. A
    day within the trailing re-sync window is completed by the next sync; an older one by `sync --days N`.
    """
    early: dict[date, list[Unfinished]] = defaultdict(list)
    for item in unfinished:
        if item.fetched_at is not None:
            early[item.day].append(item)
    if len(early) > 2:
        days = sorted(early)
        names = _names([provider_name(p) for p in sorted({u.provider for items in early.values() for u in items})])
        return [
            f"{date_list(days)} are not final: {names} fetched them before they ended; {_fix(days[0], today, 'them')}."
        ]
    notes = []
    for day in sorted(early):
        where = ", in the comparison," if day in comparison else ""
        by_time: dict[str, list[str]] = defaultdict(list)
        for u in early[day]:
            if u.fetched_at is not None:
                by_time[_clock(u.fetched_at, day)].append(provider_name(u.provider))
        who = _names([f"{_names(names)} at {clock}" for clock, names in sorted(by_time.items())])
        notes.append(
            f"{day.isoformat()}{where} is not final: last fetched by {who}, before the day ended; {_fix(day, today)}."
        )
    return notes


def never_fetched_notes(
    unfinished: Iterable[Unfinished],
    fetches: Mapping[str, ProviderFetches],
    *,
    today: date,
    comparison: Collection[date] = (),
) -> list[str]:
    """'Anthropic has no data synced for 2026-11-29, so that day shows no spend; ...' for days never fetched
    although later days were (a `sync --days N` too short after a downtime). Days after a provider's last fetched
    day are the report's "no data after" notes, so they are left out here. Providers missing the same days share
    one note; days of the comparison period get their own.
    """
    missing: dict[tuple[str, bool], set[date]] = defaultdict(set)
    for u in unfinished:
        if u.fetched_at is None and u.provider in fetches and u.day <= fetches[u.provider].last_day:
            missing[(u.provider, u.day in comparison)].add(u.day)
    by_days: dict[tuple[bool, tuple[date, ...]], list[str]] = defaultdict(list)
    for (provider, compared), skipped in sorted(missing.items()):
        by_days[(compared, tuple(sorted(skipped)))].append(provider_name(provider))
    notes = []
    for (compared, days), names in sorted(by_days.items()):
        where = " (in the comparison)" if compared else ""
        have = "has" if len(names) == 1 else "have"
        shown = "that day shows" if len(days) == 1 else "those days show"
        fix = _fix(days[0], today, "it" if len(days) == 1 else "them")
        notes.append(
            f"{_names(names)} {have} no data synced for {date_list(list(days))}{where}, so {shown} no spend; {fix}."
        )
    return notes


def _fix(day: date, today: date, it: str = "it") -> str:
    # every incremental sync fetches the last TRAILING_DAYS days again (bot.sync)
    if day >= today - (TRAILING_DAYS - 1) * DAY:
        return f"the next sync completes {it}"
    return f"`aispend sync --days {(today - day).days + 1}` fetches {it} again"


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def date_list(days: list[date]) -> str:
    """'2026-11-18', '2026-11-10, 2026-11-14 to 2026-11-16 and 2026-11-18': runs of 3+ days collapse."""
    runs: list[list[date]] = []
    for day in days:
        if runs and day - runs[-1][-1] == DAY:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{run[0].isoformat()} to {run[-1].isoformat()}")
        else:
            parts += [d.isoformat() for d in run]
    return _names(parts)


# --- alert readiness -------------------------------------------------------------------------------------------


def wait_reasons(
    fetches: Mapping[str, ProviderFetches],
    start: date,
    end: date,
    *,
    configured: Collection[str],
    states: Mapping[str, SyncState],
) -> list[str]:
    """Why an alert for the days [start, end] must wait; empty when every provider's data covers them, final.

    Every configured provider must have a successful sync whose data reaches back to `start` (a provider still
    on its first sync, or synced only from later, has not covered the window), and every day of the window must
    be final for every provider with data in it. A provider without a key that has no data in the window does
    not hold anything up.
    """
    reasons = []
    for provider in sorted(set(configured) | set(fetches)):
        name = provider_name(provider)
        info = fetches.get(provider)
        if info is None:
            reasons.append(_never_synced(name, states.get(provider)))
            continue
        if provider not in configured and info.last_day < start:
            continue
        if info.first_day > start:
            reasons.append(
                f"{name}'s synced data starts on {info.first_day.isoformat()}, after {start.isoformat()}; "
                f"run `aispend sync --days {(info.last_day - start).days + 1}` to fetch the whole window"
            )
            continue
        unfinished = unfinished_days({provider: info}, start, end, configured=configured)
        fetched = [u for u in unfinished if u.fetched_at is not None]
        missing = [u for u in unfinished if u.fetched_at is None]
        if fetched:
            u = fetched[-1]
            assert u.fetched_at is not None
            reasons.append(
                f"{u.day.isoformat()} is not final for {name} (last fetched at {_clock(u.fetched_at, u.day)}, "
                "before the day ended)"
            )
        if missing:
            state = states.get(provider)
            failed = f" (the last sync failed: {_error(state)})" if state and state.status == "error" else ""
            reasons.append(f"{name} has no data synced for {date_list([u.day for u in missing])}{failed}")
    return reasons


def _never_synced(name: str, state: SyncState | None) -> str:
    if state is None:
        return f"{name} has not been synced yet"
    if state.status == "running":
        return f"{name}'s first sync has not finished yet"
    if state.status == "error":
        return f"{name}'s sync failed ({_error(state)}) and nothing has been synced"
    return f"{name} has no synced data"


def _error(state: SyncState) -> str:
    # the provider's own words (bot.providers.http quotes its error message): one clean line, like every name
    return clean(state.error or "unknown error", TEXT_LIMIT)


def through_text(complete_through: date | None, period_end: date) -> str:
    """', complete through Nov 21' when the period reaches past the provider's final days; '' when it does not."""
    if complete_through is not None and complete_through >= period_end:
        return ""
    if complete_through is None:
        return ", no day final yet"
    return f", complete through {complete_through:%b} {complete_through.day}"
