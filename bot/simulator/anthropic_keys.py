"""Who spends in the synthetic Anthropic organization: API keys, users, and how a workspace's traffic splits.

Each workspace's traffic is shared by the keys that are live on a day, by integer weights; Console / Workbench
traffic (`api_key_id: null`) is one more share, attributed to the user who used the Workbench. Splits are exact
integer apportionments (largest remainder), so the per-key token counts and cost amounts add up to exactly the
legacy reports' figures. The traps: an archived key, an expired key with spend only in older history, a key
renamed (the list shows the new name), a key whose creator was deleted (absent from /users, present in the
analytics actor rows), and principal-bound keys whose usage the analytics API attributes to a user.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.simulator.catalog import Workspace, b62, iso_at

API_ACTOR = "api_actor"
USER_ACTOR = "user_actor"
Actor = tuple[str, str]  # (type, id): ("api_actor", apikey_...) or ("user_actor", user_...)


@dataclass(frozen=True, slots=True)
class SimUser:
    id: str
    name: str
    email: str
    added_at: str
    deleted: bool = False  # removed from the organization: absent from /users, still in analytics actor rows


@dataclass(frozen=True, slots=True)
class SimKey:
    id: str
    name: str
    workspace_id: str | None  # None: the Default Workspace
    status: str  # active | inactive | archived | expired
    created_at: str
    created_by: str  # a user id
    principal: str | None  # a user the key acts as (its usage is that user's in analytics), or None
    weight: int  # its share of the workspace's traffic while it is live
    first_offset: int | None = None  # live from today-first_offset on (None: forever)
    last_offset: int | None = None  # live until today-last_offset (None: up to today)
    expires_at: str | None = None

    def live(self, offset: int) -> bool:
        if self.first_offset is not None and offset > self.first_offset:
            return False
        return not (self.last_offset is not None and offset < self.last_offset)

    def actor(self) -> Actor:
        return (USER_ACTOR, self.principal) if self.principal else (API_ACTOR, self.id)


@dataclass(frozen=True, slots=True)
class Share:
    key_id: str | None  # None: Console / Workbench
    actor: Actor
    weight: int


@dataclass(slots=True)
class KeyBook:
    users: tuple[SimUser, ...]
    keys: list[SimKey]
    workbench: dict[str | None, tuple[str, int]]  # workspace -> (Workbench user, weight)

    def shares(self, workspace_id: str | None, offset: int) -> list[Share]:
        out = [Share(k.id, k.actor(), k.weight) for k in self.keys if k.workspace_id == workspace_id and k.live(offset)]
        bench = self.workbench.get(workspace_id)
        if bench is not None:
            out.append(Share(None, (USER_ACTOR, bench[0]), bench[1]))
        return out

    def rename(self, key_id: str, name: str) -> None:
        self.keys = [replace(k, name=name) if k.id == key_id else k for k in self.keys]

    def listed_users(self) -> list[SimUser]:
        return [u for u in self.users if not u.deleted]


def apportion(value: int, weights: list[int]) -> list[int]:
    """`value` split by `weights` into integers that add up to exactly `value` (largest remainder)."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("a split needs a positive weight")
    parts = [value * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(value * weights[i] % total), i))
    for i in order[: value - sum(parts)]:
        parts[i] += 1
    return parts


def _user(seed: int, name: str, email: str, day: date, deleted: bool = False) -> SimUser:
    return SimUser("user_01" + b62(seed, 22, "user", email), name, email, iso_at(day, seed, email), deleted)


def key_id(seed: int, name: str) -> str:
    return "apikey_01" + b62(seed, 22, "key", name)


def demo_keys(workspaces: tuple[Workspace, ...], today: date, seed: int) -> KeyBook:
    old = date(2024, 10, 30)
    alice = _user(seed, "Alice Martin", "alice@acme.example", old)
    bob = _user(seed, "Bob Okafor", "bob@acme.example", old + timedelta(days=20))
    carol = _user(seed, "Carol Diaz", "carol@acme.example", old + timedelta(days=30), deleted=True)
    ids = {w.name: w.id for w in workspaces}

    def key(
        name: str,
        ws: str,
        by: SimUser,
        weight: int,
        *,
        principal: str | None = None,
        status: str = "active",
        last_offset: int | None = None,
        created: date = old + timedelta(days=5),
    ) -> SimKey:
        created_at = iso_at(created, seed, name)
        return SimKey(
            key_id(seed, name), name, ids[ws], status, created_at, by.id, principal, weight, None, last_offset
        )

    keys = [
        key("default-dev", "Default", alice, 1),
        key("prod-api-v2", "production", alice, 6),  # renamed from "prod-api": the list shows the new name
        key("prod-worker", "production", bob, 3, principal=bob.id),  # usage attributed to Bob
        key("prod-legacy", "production", alice, 2, last_offset=31, status="expired"),
        key("ci-nightly", "batch-jobs", carol, 1, created=today - timedelta(days=9)),  # the spike's key
        key("research-notebook", "research", carol, 1, principal=carol.id, status="archived"),
    ]
    workbench = {ids["Default"]: (bob.id, 1), ids["production"]: (alice.id, 1)}
    return KeyBook((alice, bob, carol), keys, workbench)


def scale_keys(workspaces: tuple[Workspace, ...], today: date, seed: int, n_keys: int, n_users: int) -> KeyBook:
    """n_keys keys round-robin over the workspaces and n_users users. A workspace's first key is live forever;
    the others live for 90 days somewhere in the last 400, so a day has a bounded number of live keys."""
    start = date(2024, 6, 1)
    users = tuple(
        _user(seed, f"User {u + 1:03d}", f"user{u + 1:03d}@acme.example", start, deleted=u == n_users - 1 and u > 0)
        for u in range(max(1, n_users))
    )
    statuses = ("active", "active", "active", "inactive", "archived", "expired")
    keys = []
    for i in range(n_keys):
        ws = workspaces[i % len(workspaces)]
        name = f"key-{i + 1:04d}"
        permanent = i < len(workspaces)
        start_of = int.from_bytes(b62(seed, 4, "span", name).encode(), "big") % 490 - 90
        first, last = (None, None) if permanent else (start_of + 90, max(start_of, 0) or None)
        owner = users[i % len(users)]
        keys.append(
            SimKey(
                key_id(seed, name),
                name,
                ws.id,
                "active" if permanent else statuses[i % len(statuses)],
                iso_at(start, seed, name),
                owner.id,
                owner.id if i % 5 == 4 else None,
                1 + i % 7,
                first,
                last,
            )
        )
    return KeyBook(users, keys, {None: (users[0].id, 1)})
