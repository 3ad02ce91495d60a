"""Configuration: the contract's variables (§3), read from a mapping plus an optional `.env` file.

Only the entry point passes the real `os.environ` in; everything else receives a `Settings`. Secrets are
wrapped in `Secret`, whose repr and str never show the value, so a stray log line or traceback cannot
leak a key. Every secret `X` may come from the file named by `X_FILE` instead (read by bot.setting_files). Every
malformed value is one sentence naming the variable, and no sentence ever quotes a secret.
"""

from __future__ import annotations

import io
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from dotenv import dotenv_values

from bot.config_values import QuietHours, _Reader
from bot.config_values import Secret as Secret
from bot.errors import ConfigError
from bot.setting_files import FileProblem, read_dotenv

SECRET_VARS = (
    "ANTHROPIC_ADMIN_KEY",
    "OPENAI_ADMIN_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
)
ANTHROPIC_KEY_PAGE = "Console › Settings › Admin keys (https://console.anthropic.com/settings/admin-keys)"
OPENAI_KEY_PAGE = "https://platform.openai.com/settings/organization/admin-keys"


@dataclass(frozen=True)
class Settings:
    anthropic_admin_key: Secret | None = None
    openai_admin_key: Secret | None = None
    anthropic_base_url: str = "https://api.anthropic.com"
    openai_base_url: str = "https://api.openai.com/v1"
    slack_bot_token: Secret | None = None
    slack_app_token: Secret | None = None
    slack_signing_secret: Secret | None = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = 3000
    host: str = "0.0.0.0"
    db_path: str = "./aispend.db"
    alert_channel: str | None = None
    budget_channel: str | None = None  # budget and cap alerts; AISPEND_ALERT_CHANNEL when unset
    anomaly_channel: str | None = None  # spikes, anomalies and drops; AISPEND_ALERT_CHANNEL when unset
    quiet_hours: QuietHours | None = None  # UTC window in which non-urgent alerts wait
    spike_pct: Decimal = Decimal(25)
    spike_min_usd: Decimal = Decimal(10)
    monthly_budget_usd: Decimal | None = None
    sync_interval_minutes: int = 60
    backfill_days: int = 90
    digest_cron: str = "mon 09:00"
    admin_users: frozenset[str] = field(default_factory=frozenset)
    allowed_users: frozenset[str] = field(default_factory=frozenset)
    allowed_channels: frozenset[str] = field(default_factory=frozenset)
    people_viewers: frozenset[str] = field(default_factory=frozenset)  # besides admins, may see per-person spend
    show_people_in_channel: bool = False  # per-person figures allowed in `public` replies and channel messages
    warnings: tuple[str, ...] = ()
    # the AISPEND_* variables the environment set, so `doctor` can tell a value's source from a default
    from_environment: frozenset[str] = field(default_factory=frozenset)

    def secrets(self) -> list[str]:
        """Every secret value, for redaction filters and leak tests."""
        values = [
            self.anthropic_admin_key,
            self.openai_admin_key,
            self.slack_bot_token,
            self.slack_app_token,
            self.slack_signing_secret,
        ]
        return [s.reveal() for s in values if s is not None]

    @property
    def configured_providers(self) -> list[str]:
        names = []
        if self.anthropic_admin_key is not None:
            names.append("anthropic")
        if self.openai_admin_key is not None:
            names.append("openai")
        return names


def load_settings(environ: Mapping[str, str], cwd: Path | None = None) -> Settings:
    """Settings from `environ`, falling back to `.env` in `cwd`; ConfigError lists every problem at once."""
    problems: list[str] = []
    env, warnings = _merged_environment(environ, cwd or Path.cwd(), problems)
    reader = _Reader(env, problems)

    anthropic = reader.secret("ANTHROPIC_ADMIN_KEY", alias="ANTHROPIC_ADMIN_API_KEY")
    openai = reader.secret("OPENAI_ADMIN_KEY")
    if anthropic is not None:
        _check_anthropic_key(anthropic.reveal(), problems)
    if openai is not None:
        _check_openai_key(openai.reveal(), problems)

    settings = Settings(
        anthropic_admin_key=anthropic,
        openai_admin_key=openai,
        anthropic_base_url=reader.url("ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
        openai_base_url=reader.url("OPENAI_BASE_URL", "https://api.openai.com/v1"),
        slack_bot_token=reader.secret("SLACK_BOT_TOKEN"),
        slack_app_token=reader.secret("SLACK_APP_TOKEN"),
        slack_signing_secret=reader.secret("SLACK_SIGNING_SECRET"),
        slack_api_url=reader.url("SLACK_API_URL", "https://slack.com/api/"),
        port=reader.integer("PORT", 3000, 1, 65535),
        host=reader.text("AISPEND_HOST") or "0.0.0.0",
        db_path=reader.text("AISPEND_DB") or "./aispend.db",
        alert_channel=reader.channel("AISPEND_ALERT_CHANNEL"),
        budget_channel=reader.channel("AISPEND_BUDGET_CHANNEL"),
        anomaly_channel=reader.channel("AISPEND_ANOMALY_CHANNEL"),
        quiet_hours=reader.quiet_hours("AISPEND_QUIET_HOURS"),
        spike_pct=reader.percent("AISPEND_SPIKE_PCT", Decimal(25)),
        spike_min_usd=reader.dollars("AISPEND_SPIKE_MIN_USD", Decimal(10)),
        monthly_budget_usd=reader.budget("AISPEND_MONTHLY_BUDGET_USD"),
        sync_interval_minutes=reader.integer("AISPEND_SYNC_INTERVAL_MINUTES", 60, 1, 24 * 60),
        backfill_days=reader.integer("AISPEND_BACKFILL_DAYS", 90, 1, 400),
        digest_cron=reader.text("AISPEND_DIGEST_AT") or "mon 09:00",
        admin_users=reader.user_ids("AISPEND_ADMIN_USERS"),
        allowed_users=reader.user_ids("AISPEND_ALLOWED_USERS"),
        allowed_channels=reader.channel_ids("AISPEND_ALLOWED_CHANNELS"),
        people_viewers=reader.user_ids("AISPEND_PEOPLE_VIEWERS"),
        show_people_in_channel=reader.boolean("AISPEND_SHOW_PEOPLE_IN_CHANNEL", False),
        warnings=tuple(warnings),
        from_environment=frozenset(name for name in env if name.startswith("AISPEND_") and reader.text(name)),
    )
    if problems:
        raise ConfigError(problems)
    return settings


def _merged_environment(environ: Mapping[str, str], cwd: Path, problems: list[str]) -> tuple[dict[str, str], list[str]]:
    """The process environment wins over `.env`, as with docker and systemd env files."""
    warnings: list[str] = []
    merged: dict[str, str] = {}
    dotenv = cwd / ".env"
    if dotenv.is_file():
        mode = dotenv.stat().st_mode
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            warnings.append(f"{dotenv} is readable by other users; it holds admin keys, so run: chmod 600 {dotenv}")
        try:
            text = read_dotenv(dotenv)
        except FileProblem as problem:
            problems.append(str(problem))
        else:
            merged.update({k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v is not None})
    merged.update(environ)
    return merged, warnings


def _check_anthropic_key(key: str, problems: list[str]) -> None:
    # prefixes are only hints (the HTTP answer decides), so only known non-admin kinds are refused here
    if key.startswith("sk-ant-") and not key.startswith("sk-ant-admin"):
        problems.append(
            "ANTHROPIC_ADMIN_KEY holds a regular API key (sk-ant-api…); the cost and usage reports need an "
            f"Admin key (sk-ant-admin…), created by an organization admin at {ANTHROPIC_KEY_PAGE}. "
            "Individual accounts have no Admin keys: set up an Organization under Console › Settings › "
            "Organization first."
        )


def _check_openai_key(key: str, problems: list[str]) -> None:
    kinds = {"sk-proj-": "a project key (sk-proj-…)", "sk-svcacct-": "a service-account key (sk-svcacct-…)"}
    for prefix, kind in kinds.items():
        if key.startswith(prefix):
            problems.append(
                f"OPENAI_ADMIN_KEY holds {kind}; the Usage and Costs API needs an Admin key (sk-admin-…), created "
                f"by an organization owner at {OPENAI_KEY_PAGE} (a Restricted key with Usage: Read and "
                "Organization Administration: Read is enough)."
            )
