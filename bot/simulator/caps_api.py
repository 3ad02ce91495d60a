"""Spend caps on both surfaces: Anthropic `GET /v1/organizations/spend_limits` (beta) and OpenAI
`GET /organization/spend_limit` and `/organization/projects/{id}/spend_limit`. Read only, as aispend uses them.

Shapes as documented (Anthropic: platform.claude.com api/beta/organization/spend_limits/list, beta header
`spend-limit-reads-2026-09-26`, `{data, has_more, next_page}`, amounts as decimal strings of cents; OpenAI:
openapi.yaml OrganizationSpendLimitResource / ProjectSpendLimitResource, `threshold_amount` in integer cents).
Amounts follow the synthetic spend: the first active workspace/project is capped at 1.5 times its last 30 days
(not reached within a month at that pace; set `org.cap_share = Decimal("0.8")` for one reached before month end),
the organization at three times its own. Traps: a second workspace whose limit has `amount: null` (no cap, not a
$0 cap), a read-only `usage_tier` limit, an organization refused the beta (`org.spend_limits_refused` = 403, 404
or 400), a request without the beta header (400), and OpenAI projects without a limit (404, UNVERIFIED as the
live answer).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from bot.simulator import anthropic_api, openai_api
from bot.simulator.org import Org
from bot.simulator.paging import ParamError, parse_limit, single
from bot.simulator.wire import RecordedRequest, Response

ANTHROPIC_BETA = "spend-limit-reads-2026-09-26"
ANTHROPIC_ROUTE = "/spend_limits"
CAPPED_SHARE = Decimal("1.5")  # the capped workspace's cap against its last 30 days (`org.cap_share` overrides)
ORG_MULTIPLE = 3
_CREATED = "2026-10-01T09:00:00Z"


def _cents_30d(org: Org, provider: str, scope_id: str | None) -> Decimal:
    """Cents the scope (None: the whole organization) spent over the 30 days before today."""
    total = Decimal(0)
    for back in range(1, 31):
        day = org.today - timedelta(days=back)
        if provider == "anthropic":
            rows = [(r.workspace_id, Decimal(r.amount)) for r in org.anthropic_day(day).costs]
        else:
            rows = [(r.project_id, Decimal(str(r.value)) * 100) for r in org.openai_day(day).costs]
        total += sum((cents for where, cents in rows if scope_id is None or where == scope_id), Decimal(0))
    return total


def _share(org: Org) -> Decimal:
    return CAPPED_SHARE if org.cap_share is None else org.cap_share


def _whole(cents: Decimal) -> int:
    return max(100, int(cents.to_integral_value(ROUND_CEILING)))


def anthropic_limits(org: Org) -> list[dict[str, Any]]:
    active = [w for w in org.listed_workspaces() if w.archived_at is None]
    items = [_limit("spl_org", {"type": "organization"}, str(_whole(_cents_30d(org, "anthropic", None) * 3)))]
    if active:
        capped = active[0].id
        cents = _whole(_cents_30d(org, "anthropic", capped) * _share(org))
        items.append(_limit("spl_ws1", {"type": "workspace", "workspace_id": capped}, str(cents)))
    if len(active) > 1:
        items.append(_limit("spl_ws2", {"type": "workspace", "workspace_id": active[1].id}, None))  # trap: no cap
    items.append(_limit("spl_tier", {"type": "usage_tier"}, "50000000"))  # read-only tier limit: not aispend's
    return items


def _limit(suffix: str, scope: dict[str, Any], amount: str | None) -> dict[str, Any]:
    return {
        "type": "spend_limit",
        "id": f"{suffix}_01Sim",
        "amount": amount,
        "currency": "USD",
        "is_enabled": True,
        "period": "monthly",
        "scope": scope,
        "created_at": _CREATED,
        "updated_at": _CREATED,
    }


def anthropic_spend_limits(req: RecordedRequest, org: Org) -> Response:
    if org.spend_limits_refused is not None:
        status = org.spend_limits_refused
        said = "Listing spend limits is in an early access preview for this organization."
        return anthropic_api.error(req, status, said)
    if ANTHROPIC_BETA not in req.headers.get("anthropic-beta", ""):
        return anthropic_api.error(req, 400, f"This endpoint requires the anthropic-beta: {ANTHROPIC_BETA} header.")
    unknown = set(req.query) - {"limit", "page", "scope_type", "workspace_id"}
    if unknown:
        raise ParamError(f"{sorted(unknown)[0]}: Extra inputs are not permitted")
    limit = parse_limit(req.query, 20, 1000, "limits")
    page = single(req.query, "page")
    start = int(page.removeprefix("p")) if page and page.startswith("p") and page[1:].isdigit() else 0
    if page is not None and not (page.startswith("p") and page[1:].isdigit()):
        raise ParamError(f"page: invalid cursor {page!r}")
    items = anthropic_limits(org)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return anthropic_api._ok(req, {"data": chunk, "has_more": more, "next_page": f"p{start + limit}" if more else None})


def openai_org_limit(org: Org) -> dict[str, Any]:
    cents = _whole(_cents_30d(org, "openai", None) * ORG_MULTIPLE)
    return _openai("organization.spend_limit", cents)


def openai_project_limit(org: Org, project_id: str) -> dict[str, Any] | None:
    """Only the first active project has a limit; the others answer 404."""
    active = [p for p in org.listed_projects() if p.archived_at is None]
    if not active or active[0].id != project_id:
        return None
    return _openai("project.spend_limit", _whole(_cents_30d(org, "openai", project_id) * _share(org)))


def _openai(kind: str, cents: int) -> dict[str, Any]:
    return {
        "object": kind,
        "threshold_amount": cents,
        "currency": "USD",
        "interval": "month",
        "enforcement": {"status": "enforcing"},
    }


def openai_spend_limit(req: RecordedRequest, org: Org, project_id: str | None) -> Response:
    if req.query:
        return openai_api.error(req, 400, f"Unrecognized request argument supplied: {sorted(req.query)[0]}")
    if project_id is None:
        return openai_api._ok(req, openai_org_limit(org))
    if not any(p.id == project_id for p in org.listed_projects()):
        return openai_api.error(req, 404, f"No such project: {project_id}", code="not_found")
    body = openai_project_limit(org, project_id)
    if body is None:
        return openai_api.error(req, 404, f"No spend limit is set for project {project_id}.", code="not_found")
    return openai_api._ok(req, body)
