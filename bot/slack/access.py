"""Who may read spend and who may change settings (contract §3). Pure: settings in, refusal text out.

AISPEND_ALLOWED_USERS / AISPEND_ALLOWED_CHANNELS, when set, limit reading; AISPEND_ADMIN_USERS limits
changes and, when empty, nobody can change anything. Admins may always read, wherever the channel rules
allow. Per-person spend is for admins and AISPEND_PEOPLE_VIEWERS, and never in public replies unless
AISPEND_SHOW_PEOPLE_IN_CHANNEL says so. A refusal is a polite sentence that says how to get access.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True, slots=True)
class Policy:
    admin_users: frozenset[str] = frozenset()
    allowed_users: frozenset[str] = frozenset()
    allowed_channels: frozenset[str] = frozenset()
    people_viewers: frozenset[str] = frozenset()
    show_people_in_channel: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            settings.admin_users,
            settings.allowed_users,
            settings.allowed_channels,
            settings.people_viewers,
            settings.show_people_in_channel,
        )


def may_see_people(policy: Policy, user_id: str, public: bool) -> bool:
    """Per-person spend (users, owners of keys) only for admins and people viewers, and in a `public` reply only
    when AISPEND_SHOW_PEOPLE_IN_CHANNEL allows it (CONTRACT §2)."""
    if public and not policy.show_people_in_channel:
        return False
    return user_id in policy.admin_users or user_id in policy.people_viewers


# what each per-person view is called in its refusal, and where else the caller can look
PEOPLE_VIEWS = {
    "users": ("Spend by person", " `/aispend keys` shows spend by API key."),
    "claude-code": ("Claude Code activity per person", ""),
}


def people_refusal(policy: Policy, user_id: str, public: bool, view: str = "users") -> str:
    """Why a per-person view (`users`, `claude-code`) shows nobody to this caller, and who can see it."""
    what, elsewhere = PEOPLE_VIEWS[view]
    if (
        public
        and not policy.show_people_in_channel
        and (user_id in policy.admin_users or user_id in policy.people_viewers)
    ):
        return (
            f":lock: {what} is not posted in channels: ask without `public` to see it yourself, or whoever "
            "runs aispend can set AISPEND_SHOW_PEOPLE_IN_CHANNEL=true."
        )
    return (
        f":lock: {what} is shown only to aispend admins and the people in AISPEND_PEOPLE_VIEWERS; ask "
        f"whoever runs aispend to add your Slack user ID `{user_id}` there.{elsewhere}"
    )


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
