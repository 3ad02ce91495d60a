"""Configuration: the contract's variables (§3), read from a mapping plus an optional `.env` file.

Only the entry point passes the real `os.environ` in; everything else receives a `Settings`. Secrets are
wrapped in `Secret`, whose repr and str never show the value, so a stray log line or traceback cannot
leak a key. Every secret `X` may come from the file named by `X_FILE` instead (read by bot.setting_files). Every
malformed value is one sentence naming the variable, and no sentence ever quotes a secret.
"""

from __future__ import annotations

import io
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from dotenv import dotenv_values

from bot.budget import MAX_BUDGET, BudgetError, parse_amount, parse_budget
from bot.errors import ConfigError
from bot.setting_files import FileProblem, read_dotenv, read_secret_file

SECRET_VARS = (
    "ANTHROPIC_ADMIN_KEY",
    "OPENAI_ADMIN_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
)
ANTHROPIC_KEY_PAGE = "Console › Settings › Admin keys (https://console.anthropic.com/settings/admin-keys)"
OPENAI_KEY_PAGE = "https://platform.openai.com/settings/organization/admin-keys"
MAX_SPIKE_PCT = Decimal(10_000)
# Slack IDs: a letter for the kind, then capital letters and digits (U0123ABCDEF, W… on Enterprise Grid)
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")  # C public, G private, D a direct message with the bot
ALERT_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]+$")
_MENTION = re.compile(r"^<[@#]([A-Z0-9]+)(\|[^>]*)?>$")
_PERCENT = re.compile(r"^(\d+)(\.\d{1,2})?%?$", re.ASCII)


class Secret:
    """A credential that refuses to print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


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


class _Reader:
    def __init__(self, env: Mapping[str, str], problems: list[str]) -> None:
        self.env = env
        self.problems = problems

    def text(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def secret(self, name: str, alias: str | None = None) -> Secret | None:
        for var in (name, alias) if alias else (name,):
            direct = self.text(var)
            path = self.text(f"{var}_FILE")
            if direct and path:
                self.problems.append(f"{var} and {var}_FILE are both set: keep only one of them.")
                return None
            if path:
                try:
                    value = read_secret_file(f"{var}_FILE", path).strip()
                except FileProblem as problem:
                    self.problems.append(str(problem))
                    return None
                if not value:
                    self.problems.append(f"{var}_FILE names {path}, which is empty: put the secret in it.")
                    return None
                return self._one_word(var, value)
            if direct:
                return self._one_word(var, direct)
        return None

    def _one_word(self, var: str, value: str) -> Secret | None:
        # a line break inside a header value makes httpx raise an error that quotes the whole key
        if any(c.isspace() or not c.isprintable() for c in value):
            self.problems.append(
                f"{var} contains a space, line break or control character: set it to the secret alone, on one line."
            )
            return None
        return Secret(value)

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        self.problems.append(f"{name} must be true or false; it is {_shown(raw)}.")
        return default

    def url(self, name: str, default: str) -> str:
        value = self.text(name) or default
        if not value.startswith(("http://", "https://")):
            self.problems.append(f"{name} must be an http(s) URL such as {default}.")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        # digits only: int() would also take "1_000", "٣٠٠٠" and 4,300-digit strings it then refuses
        value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else low - 1
        if not low <= value <= high:
            self.problems.append(f"{name} must be a whole number from {low} to {high}; it is {_shown(raw)}.")
            return default
        return value

    def percent(self, name: str, default: Decimal) -> Decimal:
        raw = self.text(name)
        if raw is None:
            return default
        value = Decimal(raw.rstrip("%")) if _PERCENT.match(raw) else None
        if value is None or value > MAX_SPIKE_PCT:
            self.problems.append(
                f"{name} must be a percentage from 0 to {MAX_SPIKE_PCT:,}, such as 25 or 12.5; it is {_shown(raw)}."
            )
            return default
        return value

    def dollars(self, name: str, default: Decimal) -> Decimal:
        raw = self.text(name)
        if raw is None:
            return default
        value = parse_amount(raw)
        if value is None or value > MAX_BUDGET:
            self.problems.append(
                f"{name} must be US dollars from 0 to ${MAX_BUDGET:,}, such as 10 or 12.50; it is {_shown(raw)}."
            )
            return default
        return value

    def budget(self, name: str) -> Decimal | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return parse_budget(raw)  # the bounds of `/aispend budget set`, so the two cannot disagree
        except BudgetError as err:
            self.problems.append(f"{name} {err}; it is {_shown(raw)}.")
            return None

    def channel(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not ALERT_CHANNEL_ID.match(raw):
            self.problems.append(
                f"{name} must be a channel ID such as C0123456789, not a name ({_shown(raw)}): "
                "in Slack open the channel details and copy the ID at the bottom."
            )
            return None
        return raw

    def user_ids(self, name: str) -> frozenset[str]:
        return self._ids(
            name,
            USER_ID,
            "a Slack member ID (U or W, then capital letters and digits, such as U0123ABCDEF): in Slack open the "
            "person's profile, then ⋮ › Copy member ID",
        )

    def channel_ids(self, name: str) -> frozenset[str]:
        return self._ids(
            name,
            CHANNEL_ID,
            "a Slack channel ID (C, G or D, then capital letters and digits, such as C0123ABCDEF): in Slack open "
            "the channel's details and copy the Channel ID at the bottom",
        )

    def _ids(self, name: str, pattern: re.Pattern[str], what: str) -> frozenset[str]:
        raw = self.text(name) or ""
        entries = [part.strip() for part in raw.replace(";", ",").replace(" ", ",").split(",") if part.strip()]
        for entry in entries:
            if pattern.match(entry):
                continue
            mention = _MENTION.match(entry)
            if mention and pattern.match(mention[1]):
                self.problems.append(f"{name} holds {_shown(entry)}: write the ID alone, {mention[1]}.")
            else:
                self.problems.append(f"{name} holds {_shown(entry)}, which is not {what}.")
        return frozenset(e for e in entries if pattern.match(e))


_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")


def _shown(raw: str, limit: int = 40) -> str:
    """A malformed value quoted in a message: repr (so control characters show as escapes), shortened."""
    return repr(raw if len(raw) <= limit else raw[: limit - 1] + "…")


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
