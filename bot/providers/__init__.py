"""The provider registry: which provider modules exist, and building one per configured key."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.config import Settings
from bot.providers.anthropic import AnthropicProvider
from bot.providers.base import OrgIdentity, Provider
from bot.providers.openai import OpenAIProvider

PROVIDER_CLASSES: dict[str, type[AnthropicProvider] | type[OpenAIProvider]] = {
    "anthropic": AnthropicProvider,
    "openai": OpenAIProvider,
}

__all__ = ["PROVIDER_CLASSES", "AnthropicProvider", "OpenAIProvider", "OrgIdentity", "Provider", "build_providers"]


def build_providers(
    settings: Settings,
    *,
    timeout: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    max_workers: int = 4,
) -> list[Provider]:
    """One provider per configured key, in PROVIDER_CLASSES order; none when no key is set."""
    built: list[Provider] = []
    if settings.anthropic_admin_key is not None:
        built.append(
            AnthropicProvider(
                settings.anthropic_admin_key,
                settings.anthropic_base_url,
                timeout=timeout,
                sleep=sleep,
                max_workers=max_workers,
            )
        )
    if settings.openai_admin_key is not None:
        built.append(
            OpenAIProvider(
                settings.openai_admin_key,
                settings.openai_base_url,
                timeout=timeout,
                sleep=sleep,
                max_workers=max_workers,
            )
        )
    return built
