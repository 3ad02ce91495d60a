"""Reading a provider's spend caps without ever failing its sync: a refusal or a failure becomes a one-sentence note.

Caps are optional data. A key or organization that may not read them (401/403, a beta it has not joined: 400,
an API that is not there: 404) is a refusal: the caps are unknown and the stored ones are dropped. A network
failure or an answer that does not match the documented shape leaves the stored caps as they were, for the next
sync to try again. Either way the sync of billed spend goes on.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.errors import ProviderAuthError, ProviderError, ProviderHTTPError
from bot.providers.http import FetchSession
from bot.records import CapsFetch, SpendCap

REFUSED_STATUS = frozenset({400, 403, 404})
NOT_SHOWN = "so its spend caps are not shown or forecast (billed spend is unaffected)"


def read_caps(
    provider: str,
    read: Callable[[FetchSession], list[SpendCap]],
    refused_note: Callable[[str], str],
) -> CapsFetch:
    """`read` under a session of its own; `refused_note(said)` is the sentence for a refusal, given what was said."""
    session = FetchSession()
    try:
        caps = read(session)
    except ProviderAuthError:
        return CapsFetch(provider, None, refused_note("HTTP 401/403"), refused=True, requests=session.requests)
    except ProviderHTTPError as err:
        if err.status in REFUSED_STATUS:
            note = refused_note(f"HTTP {err.status}")
            return CapsFetch(provider, None, note, refused=True, requests=session.requests)
        return CapsFetch(provider, None, _failed(provider, err), requests=session.requests)
    except ProviderError as err:
        return CapsFetch(provider, None, _failed(provider, err), requests=session.requests)
    return CapsFetch(provider, tuple(sorted(caps, key=_order)), requests=session.requests)


def _failed(provider: str, err: ProviderError) -> str:
    gist = str(err).split(". ", 1)[0].rstrip(".")[:200]
    name = "Anthropic" if provider == "anthropic" else "OpenAI"
    return f"{name} spend caps could not be read this time ({gist}); the caps from the last sync that read them stay."


def _order(cap: SpendCap) -> tuple[str, str, str]:
    return (cap.scope, cap.scope_id, cap.period)
