"""The provider registry: which provider modules exist, and building one per configured key."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.config import Secret, Settings
from bot.providers.anthropic import AnthropicProvider
from bot.providers.base import OrgIdentity, Provider
from bot.providers.openai import OpenAIProvider

PROVIDER_CLASSES: dict[str, type[AnthropicProvider] | type[OpenAIProvider]] = {
    "anthropic": AnthropicProvider,
    "openai": OpenAIProvider,
}

__all__ = ["PROVIDER_CLASSES", "AnthropicProvider", "OpenAIProvider", "OrgIdentity", "Provider", "build_providers"]


# provider name -> (the Settings field holding its key, the Settings field holding its base URL)
SETTINGS_FIELDS: dict[str, tuple[str, str]] = {
    "anthropic": ("anthropic_admin_key", "anthropic_base_url"),
    "openai": ("openai_admin_key", "openai_base_url"),
}


def build_providers(
    settings: Settings,
    *,
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    max_workers: int = 4,
) -> list[Provider]:
    """One provider per configured key, in PROVIDER_CLASSES order; none when no key is set."""
    built: list[Provider] = []
    for name, cls in PROVIDER_CLASSES.items():
        key_field, url_field = SETTINGS_FIELDS[name]
        key: Secret | None = getattr(settings, key_field)
        if key is not None:
            built.append(cls(key, getattr(settings, url_field), timeout=timeout, sleep=sleep, max_workers=max_workers))
    return built
