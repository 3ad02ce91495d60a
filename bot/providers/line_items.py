"""OpenAI cost `line_item` labels → model: a pure, defensive parser for free-text invoice labels.

No schema is published; observed shapes include `gpt-4o-mini-2024-07-18, input`, `ft-gpt-4o-2024-08-06,
output` (a fine-tune of gpt-4o-2024-08-06), `evals | gpt-4o-mini-2024-07-18, input`, `priority |
gpt-5.6-sol, output, long context`, `gpt-audio-mini-2025-12-15 audio, input`, `gpt-6-astra, input_tokens`,
`assistants api | file search`, `web search tool calls`, `Text tokens`, `input_tokens`, `Image models`.
Anything that does not clearly name a model gets model "" and keeps its raw label, so no dollar is dropped.

`attribution` is what the spend is reported under: the model when the label names one; "" (non-model spend)
for tool and storage services (`web search tool calls`, `assistants api | file search`, `Vector storage`);
and otherwise the label itself, for spend of a model the label does not name (`input_tokens`, as in the
current spec's example, or `Text tokens`), which is neither a tool nor storage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# a model id, optionally followed by a modality word ("gpt-audio-mini-2025-12-15 audio")
_MODEL = re.compile(r"^(?P<model>[a-z0-9][\w.\-:]*)(?: (?:audio|image|text))?$")
_LOOKS_VERSIONED = re.compile(r"[\d-]")  # every model id has a digit or a dash; "storage" or "text" do not
FINE_TUNE_PREFIXES = ("ft:", "ft-")
TIER_QUALIFIERS = {"priority": "priority", "flex": "flex", "batch": "batch", "scale": "scale", "scale tier": "scale"}
# words that mark a service billed apart from any model
SERVICE_WORDS = frozenset(
    {"search", "storage", "tool", "tools", "calls", "interpreter", "container", "containers", "session"}
    | {"sessions", "assistants", "vector", "file", "files"}
)
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True, slots=True)
class LineItem:
    raw: str  # the label as sent ("" for a null line_item)
    model: str  # "" when the label names no model; fine-tunes as "ft:<base>"
    kind: str  # "input", "cached input", "output, long context"; the whole item for non-model labels
    qualifiers: tuple[str, ...] = ()  # the segments before " | ", lower-cased: ("evals",), ("priority",)
    base_model: str = ""  # the model a fine-tune was trained from, else the model itself

    @property
    def fine_tuned(self) -> bool:
        return self.model.startswith("ft:")

    @property
    def attribution(self) -> str:
        if self.model:
            return self.model
        label = self.raw.strip()
        if not label or SERVICE_WORDS.intersection(_WORD.findall(label.lower())):
            return ""
        return label

    @property
    def service_tier(self) -> str:
        for qualifier in self.qualifiers:
            if qualifier in TIER_QUALIFIERS:
                return TIER_QUALIFIERS[qualifier]
        return ""


def parse(label: str | None) -> LineItem:
    if label is None or not label.strip():
        return LineItem(label or "", "", "")
    *qualifiers, item = (part.strip() for part in label.split("|"))
    quals = tuple(q.lower() for q in qualifiers if q)
    head, comma, tail = item.partition(",")
    model = _model_id(head.strip().lower()) if comma else None
    if model is None:
        return LineItem(label, "", item, quals)
    kind = ", ".join(part.strip() for part in tail.split(",") if part.strip())
    for prefix in FINE_TUNE_PREFIXES:
        if model.startswith(prefix) and len(model) > len(prefix):
            base = model[len(prefix) :].split(":")[0]
            return LineItem(label, f"ft:{base}", kind, quals, base)
    return LineItem(label, model, kind, quals, model)


def _model_id(candidate: str) -> str | None:
    match = _MODEL.match(candidate)
    if match is None:
        return None
    model = match.group("model")
    if model in FINE_TUNE_PREFIXES or not _LOOKS_VERSIONED.search(model):
        return None
    return model
