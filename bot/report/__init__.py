"""The spend report: its model, the pure builder and the thin store loader (the §4 JSON is in report_json.py).

Data flows store → `ReportInputs` → `build_report` (pure) → `Report` → `report_to_json` / `render_text` / Block
Kit. Amounts stay integer nano-dollars until the Report, which holds exact Decimal dollars; nothing is rounded
except percentages and the cache-hit ratio.

Choices a reader of the numbers should know:
- Totals are billed cost only. The period total comes from the daily rollup; models, workspaces and providers
  are the same spend cut other ways, so each list sums to the total (a note says so if the store disagrees).
- Non-model spend (web search, code execution, storage...: records with model "") is one line per provider
  named `NON_MODEL_LABEL`, so the model list still adds up to the total.
- Spend with no workspace id is named "Default" (Anthropic's Default Workspace) or "Organization (no project)"
  (OpenAI org-level cost), with JSON id null; archived workspaces keep their last name; an id with no label
  falls back to the raw id.
- "Today" is the period's today: its end for today/month, the day after its end otherwise, so `--as-of` and the
  month projection agree with the period asked for.
- Month projection: bot.projection (this month's complete days, else last month's, else enough hours of data,
  else none; a note says which when it is not this month's complete days).
- Final: a day fetched before it ended is not final (bot.freshness). `final` is false for a period holding
  such a day (or today), and a note names each one, in the period or its comparison.
"""

from bot.projection import MonthProjection
from bot.records import provider_name
from bot.report.builder import build_report, report_today
from bot.report.loader import ReportStore, load_report
from bot.report.model import (
    DEFAULT_WORKSPACE_NAMES,
    KEY_VARIABLES,
    KNOWN_PROVIDERS,
    NON_MODEL_LABEL,
    STUCK_SYNC,
    UNBILLED_TIERS,
    USAGE_DASHBOARDS,
    BudgetStatus,
    DayLine,
    DayProvider,
    FreshnessLine,
    ModelLine,
    ProviderLine,
    Report,
    ReportInputs,
    WorkspaceLine,
)

__all__ = [
    "DEFAULT_WORKSPACE_NAMES",
    "KEY_VARIABLES",
    "KNOWN_PROVIDERS",
    "NON_MODEL_LABEL",
    "STUCK_SYNC",
    "UNBILLED_TIERS",
    "USAGE_DASHBOARDS",
    "BudgetStatus",
    "DayLine",
    "DayProvider",
    "FreshnessLine",
    "ModelLine",
    "MonthProjection",
    "ProviderLine",
    "Report",
    "ReportInputs",
    "ReportStore",
    "WorkspaceLine",
    "build_report",
    "load_report",
    "provider_name",
    "report_today",
]
