"""A bundled, offline simulator of the Anthropic and OpenAI Admin APIs (cost and usage reports).

`aispend demo`, the provider and sync tests and the benchmarks run against it: a loopback HTTP server with
the documented shapes and traps of both APIs over a deterministic synthetic organization, plus injectable
faults. See SIM_API.md for the interface. Details the interface leaves open, as implemented:

- `Fault.times` defaults to 1; pass `times=None` for a fault that never wears off (needed for `endless`).
- `bad_amount` rewrites `amount` on cost rows and, on usage pages (which have no amounts), `output_tokens`.
- `sim.revise(provider, day, factor)` scales that day's token counts (and every amount priced from them) by
  `factor` relative to the original data; a second call for the same day replaces the first.
- `sim.requests` returns a snapshot list; `sim.clear_requests()` and `sim.clear_faults()` reset them.
- `org.workspaces("anthropic")` lists the Default Workspace first, as (None, "Default", False).
- `org.expected_cost_nano` is exact for cost reports grouped at their finest grain (Anthropic: any grouping;
  OpenAI: group_by line_item and project_id). Coarser OpenAI groupings serve float sums, as the API does.
- Only daily buckets (bucket_width=1d) are served; 1h/1m get a 400 that says so.
- Extras beyond SIM_API.md: GET /v1/organizations/workspaces/{id} (the Default Workspace too, by its real id),
  GET /v1/organization/projects/{id}, and the other OpenAI usage families (/usage/embeddings, ...) as pages of
  empty buckets. `sim.org.anthropic_day(day)` / `openai_day(day)` expose the rows behind a day, and
  `org.daily_cost_nano`, `org.spike_start`, `org.priority_day` name the story in the data.
- Who spent it (Anthropic): usage rows are split by API key (`api_key_id`, null for Console / Workbench), and
  GET /v1/organizations/{api_keys, users, analytics/cost} are served (see anthropic_spenders_api); per-key and
  per-actor amounts are exact integer apportionments of the cost report's rows, so they sum to it exactly.
  `Simulator(analytics_refused=403|404|400)` is an organization without the analytics beta;
  `org.anthropic_keys.rename(id, name)` renames a key; `org.key_cost_nano(day)` is the per-key / per-actor truth;
  `n_keys` / `n_users` size the scale organization's keys and users.
- OpenAI spenders (issue 11): completions group by `api_key_id` / `user_id`, costs by `api_key_id` (per-key
  amounts sum exactly to each line item's; `org.openai_key_costs = False` answers that grouping 400 as the live
  API did), and GET /organization/projects/{id}/api_keys, /projects/{id}/service_accounts, /organization/users.
  `sim.rename_key(id, name)` renames a key; `org.expected_key_cost_nano` is the per-key reference;
  `Simulator(n_keys=..., n_users=...)` sizes the scale org's keys and users (see openai_people).
- Spend caps (issue 13, caps_api): GET /v1/organizations/spend_limits (beta header spend-limit-reads-2026-09-26;
  `org.spend_limits_refused = 403|404|400` refuses it) and OpenAI GET /organization/spend_limit and
  /organization/projects/{id}/spend_limit; the first active workspace/project is capped at 1.5x its last 30 days
  (`org.cap_share` changes that).
- The spike, the Priority Tier day and the archive dates are placed relative to `today`, so two simulators
  with different `today` disagree about those days (as a provider revising history would).
"""

from bot.simulator.anthropic_api import ANTHROPIC_KEY
from bot.simulator.faults import Fault
from bot.simulator.openai_api import OPENAI_KEY
from bot.simulator.org import Org, WorkspaceInfo
from bot.simulator.server import Simulator
from bot.simulator.wire import RecordedRequest

__all__ = ["ANTHROPIC_KEY", "OPENAI_KEY", "Fault", "Org", "RecordedRequest", "Simulator", "WorkspaceInfo"]
