"""Who spends in the synthetic OpenAI organization: users, service accounts and project API keys.

The demo org's traps: a key owned by a service account, a key whose owner lost project access (`inactive`),
a deleted user (in usage, not in /users) whose key was deleted with them (in usage, not listed), a key in the
archived project, Playground usage (api_key_id null, user_id set). Usage of a service account's key has
user_id null: the simulator's reading, since the spec does not say which user such usage names.

The scale org spreads `n_keys` keys over the projects, mostly rarely used (a long tail, as in real orgs), so
2,000 keys over 400 days stay a few hundred rows a day; each project's first key is used every day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.simulator.catalog import Project, b62, digest, unix_at

SA_OWNER = "service_account"
USER_OWNER = "user"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    email: str
    role: str  # owner | reader
    added_at: int
    listed: bool = True  # False: deleted, still in the usage history


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    id: str
    name: str
    project_id: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Spender:
    """One source of a project's usage: an API key, or Playground use (key_id None) by a user."""

    key_id: str | None
    name: str
    project_id: str
    owner_kind: str  # USER_OWNER | SA_OWNER
    owner_id: str
    weight: int  # share of the project's traffic on the days it is active
    activity_permille: int = 1000  # chance of being active on a given day
    listed: bool = True  # False: a deleted key, still in the usage history
    owner_access: str = "active"  # owner_project_access: active | inactive
    created_at: int = 0

    @property
    def user_id(self) -> str | None:
        """The user_id its usage carries: the owning person; None for a service account's key."""
        return self.owner_id if self.owner_kind == USER_OWNER else None

    def active(self, seed: int, day: date) -> bool:
        if self.activity_permille >= 1000:
            return True
        raw = digest(seed, "key-active", self.key_id, self.project_id, day.isoformat())
        return int.from_bytes(raw[:2], "big") % 1000 < self.activity_permille


@dataclass(slots=True)
class People:
    users: tuple[User, ...]
    service_accounts: tuple[ServiceAccount, ...]
    spenders: tuple[Spender, ...]
    renamed: dict[str, str] = field(default_factory=dict)  # key id -> its new name (Simulator.rename_key)
    _by_project: dict[str, tuple[Spender, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        grouped: dict[str, list[Spender]] = {}
        for spender in self.spenders:
            grouped.setdefault(spender.project_id, []).append(spender)
        self._by_project = {project: tuple(found) for project, found in grouped.items()}

    def of_project(self, project_id: str | None) -> tuple[Spender, ...]:
        return self._by_project.get(project_id or "", ())

    def key_name(self, spender: Spender) -> str:
        return self.renamed.get(spender.key_id or "", spender.name)


def key_id(seed: int, name: str) -> str:
    return "key_" + b62(seed, 16, "key", name)


def user_id(seed: int, name: str) -> str:
    return "user-" + b62(seed, 24, "user", name)


def sa_id(seed: int, name: str) -> str:
    return "svc_acct_" + b62(seed, 24, "sa", name)


def _user(seed: int, name: str, role: str, listed: bool = True) -> User:
    email = f"{name.lower().replace(' ', '.')}@acme.example"
    return User(user_id(seed, name), name, email, role, unix_at(date(2024, 6, 1)), listed)


def demo_people(projects: tuple[Project, ...], seed: int) -> People:
    ids = {p.name: p.id for p in projects if p.id is not None}
    web, pipeline, legacy = ids["web-app"], ids["data-pipeline"], ids["legacy-bot"]
    alice, bob, carol, dave = (
        _user(seed, "Alice Admin", "owner"),
        _user(seed, "Bob Builder", "reader"),
        _user(seed, "Carol Gone", "reader", listed=False),
        _user(seed, "Dave Moved", "reader"),
    )
    backend = ServiceAccount(sa_id(seed, "web-backend"), "web-backend", web, unix_at(date(2024, 6, 4)))
    runner = ServiceAccount(sa_id(seed, "ci-runner"), "ci-runner", pipeline, unix_at(date(2024, 7, 1)))
    created = unix_at(date(2024, 8, 1))

    def key(
        name: str,
        project: str,
        owner: User | ServiceAccount,
        weight: int,
        *,
        access: str = "active",
        activity: int = 1000,
        listed: bool = True,
    ) -> Spender:
        kind = SA_OWNER if isinstance(owner, ServiceAccount) else USER_OWNER
        return Spender(key_id(seed, name), name, project, kind, owner.id, weight, activity, listed, access, created)

    spenders = (
        key("web-prod", web, backend, 6),
        key("alice-laptop", web, alice, 2),
        key("dave-old", web, dave, 1, access="inactive", activity=400),
        Spender(None, "", web, USER_OWNER, bob.id, 1),  # Playground
        key("ci-nightly", pipeline, runner, 5),
        key("carol-etl", pipeline, carol, 2, listed=False),
        key("bob-notebook", pipeline, bob, 1),
        key("legacy-bot-key", legacy, alice, 1),
    )
    return People((alice, bob, carol, dave), (backend, runner), spenders)


def scale_people(projects: tuple[Project, ...], seed: int, n_keys: int, n_users: int) -> People:
    """`n_keys` keys over the projects (round robin), owned by `n_users` users and one service account per
    project; the last user is deleted and the last key of all is deleted too."""
    listed = [p for p in projects if p.id is not None]
    users = tuple(
        _user(seed, f"User {i:04d}", "owner" if i == 1 else "reader", listed=i != n_users or n_users == 1)
        for i in range(1, max(1, n_users) + 1)
    )
    accounts = tuple(
        ServiceAccount(sa_id(seed, f"sa-{p.name}"), f"sa-{p.name}", p.id or "", p.created_at) for p in listed
    )
    spenders = []
    for j in range(max(n_keys, len(listed))):
        index = j % len(listed)
        project, account = listed[index], accounts[index]
        first = j < len(listed)
        by_account = j % 4 == 0
        owner = account.id if by_account else users[j % len(users)].id
        tail = 20 + int.from_bytes(digest(seed, "key-tail", j)[:2], "big") % 130
        spenders.append(
            Spender(
                key_id(seed, f"scale-{j}"),
                f"key-{j + 1:04d}",
                project.id or "",
                SA_OWNER if by_account else USER_OWNER,
                owner,
                10 if first else 1 + j % 3,
                1000 if first else tail,
                listed=j != n_keys - 1 or first,
                created_at=project.created_at,
            )
        )
    return People(users, accounts, tuple(spenders))
