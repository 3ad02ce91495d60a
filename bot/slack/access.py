"""Who may read spend and who may change settings (contract §3). Pure: settings in, refusal text out.

AISPEND_ALLOWED_USERS / AISPEND_ALLOWED_CHANNELS, when set, limit reading; AISPEND_ADMIN_USERS limits
changes and, when empty, nobody can change anything. Admins may always read, wherever the channel rules
allow. A refusal is a polite sentence that says how to get access.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True, slots=True)
class Policy:
    admin_users: frozenset[str] = frozenset()
    allowed_users: frozenset[str] = frozenset()
    allowed_channels: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(settings.admin_users, settings.allowed_users, settings.allowed_channels)


def read_refusal(policy: Policy, user_id: str, channel_id: str) -> str | None:
    """None when `user_id` may see spend in `channel_id`; otherwise the polite reason and the fix."""
    if policy.allowed_users and user_id not in policy.allowed_users and user_id not in policy.admin_users:
        return (
            ":lock: Sorry, AI spend is shared with a limited group and you're not in it yet. "
            f"To get access, ask whoever runs aispend to add your Slack user ID `{user_id}` "
            "to AISPEND_ALLOWED_USERS."
        )
    if policy.allowed_channels and channel_id not in policy.allowed_channels:
        where = ", ".join(f"<#{c}>" for c in sorted(policy.allowed_channels))
        return (
            f":lock: Sorry, aispend only answers in {where}. Try the command there, or ask whoever runs "
            f"aispend to add this channel's ID `{channel_id}` to AISPEND_ALLOWED_CHANNELS."
        )
    return None


def admin_refusal(policy: Policy, user_id: str, what: str) -> str | None:
    """None when `user_id` may run the change `what` (e.g. "change the budget"); otherwise why not."""
    if user_id in policy.admin_users:
        return None
    if not policy.admin_users:
        return (
            f":lock: Sorry, nobody can {what} from Slack yet: whoever runs aispend can list admins' Slack user "
            f"IDs in AISPEND_ADMIN_USERS (yours is `{user_id}`) and restart the bot."
        )
    return (
        f":lock: Sorry, only aispend admins can {what}. Ask one of them to do it, or ask whoever runs aispend "
        f"to add your Slack user ID `{user_id}` to AISPEND_ADMIN_USERS."
    )


def may_see_people(policy: Policy, user_id: str) -> bool:
    """Whether `user_id` may see per-person data (Claude Code activity, emails): admins only for now.

    CONTRACT §2 also admits AISPEND_PEOPLE_VIEWERS; the lead extends this one function when that setting lands.
    """
    return user_id in policy.admin_users


def people_refusal(policy: Policy, user_id: str, public: bool) -> str | None:
    """None when `user_id` may see per-person data here; otherwise who can, and how to get it."""
    if public:
        return (
            ":lock: Claude Code activity is shown per person, so aispend never posts it in the channel: "
            "run the command again without `public` to see it yourself."
        )
    if may_see_people(policy, user_id):
        return None
    return (
        ":lock: Sorry, Claude Code activity is per person, so only aispend admins (AISPEND_ADMIN_USERS) and people "
        "viewers (AISPEND_PEOPLE_VIEWERS) can see it. To get access, ask whoever runs aispend to add your Slack "
        f"user ID `{user_id}` to AISPEND_PEOPLE_VIEWERS."
    )
