"""Hand-built provider data with spenders (issue 11), written through Store.replace_provider_data.

The providers fetch these records in their own modules; here they are built by hand around the suite's `today`,
so the store, the report and the surfaces can be tested on exact figures.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.records import (
    BILLED,
    KEY,
    NO_KEY,
    SERVICE_ACCOUNT,
    TOKEN_SHARE,
    USER,
    CostRecord,
    Label,
    ProviderData,
    SpenderBasis,
    SpenderCost,
    SpenderLabel,
    SpenderUsage,
    UsageRecord,
)
from bot.store import Store

ONE = timedelta(days=1)
OPUS = "claude-opus-4-8"
HOSTILE_KEY = "<!channel> *ci* `x` <https://evil.example|click>\u202e\x1b[31m"
ALICE_EMAIL = "alice.secret@example.com"
SHARE_REASON = (
    "OpenAI's costs endpoint does not group this organization's costs by API key (HTTP 400), so per-key figures "
    "are token shares of the billed total, not billed cost."
)
USER_REASON = "OpenAI bills no cost per user, so per-user figures are token shares of the billed total."


def synced_at(day: date) -> datetime:
    """A fetch after `day` ended, so its days are final."""
    return datetime.combine(day, time(1, 0), tzinfo=UTC)


def usage(
    provider: str, day: date, kind: str, who: str, workspace: str, model: str, inp: int, out: int
) -> SpenderUsage:
    return SpenderUsage(provider, day, kind, who, workspace, model, inp, out, 0, 0, 1)


def anthropic_week(end: date, *, billed: bool = True, basis: bool = True) -> ProviderData:
    """Seven days [end - 6, end] of Anthropic: $100.000000001 a day on opus in batch-jobs, billed per key.

    Keys: `ci-nightly` (owned by a service account), alice's key (owned by a user), and Console / Workbench.
    """
    start = end - 6 * ONE
    data = ProviderData("anthropic", start, end + ONE)
    day = start
    while day <= end:
        data.costs.append(CostRecord("anthropic", day, "wrk_batch", OPUS, "tokens", "", 100_000_000_001))
        data.usage.append(UsageRecord("anthropic", day, "wrk_batch", OPUS, "", 3_000, 30, 0, 0, 3))
        for who, inp in (("key_ci", 2_000), ("key_alice", 900), (NO_KEY, 100)):
            data.spender_usage.append(usage("anthropic", day, KEY, who, "wrk_batch", OPUS, inp, 10))
        if billed:
            for who, nano in (("key_ci", 70_000_000_000), ("key_alice", 25_000_000_001), (NO_KEY, 5_000_000_000)):
                data.spender_costs.append(SpenderCost("anthropic", day, KEY, who, "wrk_batch", OPUS, nano))
            for who, nano in (("user_alice", 25_000_000_001),):
                data.spender_costs.append(SpenderCost("anthropic", day, USER, who, "wrk_batch", OPUS, nano))
            data.spender_usage.append(usage("anthropic", day, USER, "user_alice", "wrk_batch", OPUS, 900, 10))
        day += ONE
    data.labels.append(Label("anthropic", "wrk_batch", "batch-jobs"))
    data.spender_labels += [
        SpenderLabel("anthropic", KEY, "key_ci", "ci-nightly", "wrk_batch", SERVICE_ACCOUNT, "sa_ci", None, "active"),
        SpenderLabel("anthropic", KEY, "key_alice", "laptop", "wrk_batch", USER, "user_alice", None, "archived"),
        SpenderLabel("anthropic", USER, "user_alice", "Alice Example", "", "", "", ALICE_EMAIL, "active"),
        SpenderLabel("anthropic", SERVICE_ACCOUNT, "sa_ci", "ci-bot", "", "", "", None, "active"),
    ]
    if basis:
        kind_basis = BILLED if billed else TOKEN_SHARE
        reason = None if billed else "Anthropic's Usage & Cost Analytics API is not available (HTTP 403)."
        data.spender_basis += [SpenderBasis("anthropic", KEY, kind_basis, reason)]
        if billed:
            data.spender_basis.append(SpenderBasis("anthropic", USER, BILLED))
    else:
        data.spender_usage.clear()
        data.spender_costs.clear()
    return data


def openai_week(end: date) -> ProviderData:
    """Seven days of OpenAI: $10.00 a day on gpt-5 in one project, split by tokens among three keys and a user.

    Tokens 1:1:1 so the $10 split leaves a remainder of 1 nano each day, which must go to exactly one key.
    """
    start = end - 6 * ONE
    data = ProviderData("openai", start, end + ONE)
    day = start
    while day <= end:
        data.costs.append(CostRecord("openai", day, "proj_a", "gpt-5", "gpt-5, input", "", 10_000_000_000))
        data.usage.append(UsageRecord("openai", day, "proj_a", "gpt-5", "", 3_000, 300, 0, 0, 3))
        for who in ("key_a", "key_b", "key_c"):
            data.spender_usage.append(usage("openai", day, KEY, who, "proj_a", "gpt-5", 1_000, 100))
        data.spender_usage.append(usage("openai", day, USER, "user_bob", "proj_a", "gpt-5", 1_000, 100))
        day += ONE
    data.labels.append(Label("openai", "proj_a", "research"))
    data.spender_labels += [
        SpenderLabel("openai", KEY, "key_a", HOSTILE_KEY, "proj_a", SERVICE_ACCOUNT, "sa_x", None, "active"),
        SpenderLabel("openai", KEY, "key_b", "", "proj_a", "", "", None, "active"),
        SpenderLabel("openai", USER, "user_bob", "Bob <@U999> Person", "", "", "", "bob@example.com", "active"),
    ]
    data.spender_basis += [
        SpenderBasis("openai", KEY, TOKEN_SHARE, SHARE_REASON),
        SpenderBasis("openai", USER, TOKEN_SHARE, USER_REASON),
    ]
    return data


def fill(store: Store, today: date) -> None:
    """Both providers' last complete week (ending yesterday), fetched after it ended."""
    yesterday = today - ONE
    store.replace_provider_data(anthropic_week(yesterday), synced_at(today))
    store.replace_provider_data(openai_week(yesterday), synced_at(today))
