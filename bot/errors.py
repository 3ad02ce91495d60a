"""The exception tree every layer raises from, so callers can catch by meaning.

AispendError
├── ConfigError            a variable is missing or malformed (exit code 2)
├── UsageError             a command or Slack argument is wrong
├── ProviderError          a provider could not be read; .provider names it
│   ├── ProviderAuthError      401/403: wrong key type, missing scope, individual account
│   ├── ProviderHTTPError      a status that stayed bad after bounded retries
│   ├── ProviderNetworkError   timeouts and connection failures after retries
│   └── ProviderDataError      a 200 whose body is not what the API documents
└── StoreError             the database cannot be opened or written

Every message is one or two sentences that end by saying what to do. No message ever carries a secret.
"""

from __future__ import annotations


class AispendError(Exception):
    """Base class: `str(err)` is safe to show to a user."""


class ConfigError(AispendError):
    """Configuration problems; `problems` holds one sentence per variable."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(AispendError):
    """A malformed command line or slash-command argument."""


class ProviderError(AispendError):
    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        super().__init__(message)


class ProviderAuthError(ProviderError):
    """The key was refused: a configuration problem, never "zero spend"."""


class ProviderHTTPError(ProviderError):
    def __init__(self, provider: str, message: str, status: int) -> None:
        self.status = status
        super().__init__(provider, message)


class ProviderNetworkError(ProviderError):
    """Timeouts, resets and refused connections that outlived the retries."""


class ProviderDataError(ProviderError):
    """A response that does not match the documented shape (missing envelope, bad amount, bad cursor)."""


class StoreError(AispendError):
    """The SQLite database cannot be opened, migrated or written."""
