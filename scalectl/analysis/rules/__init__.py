"""Evidence rules of the flowchart, one module per category; each rule is ``(Context) -> Finding | None``."""

from __future__ import annotations

from scalectl.analysis.rules import application, code, concurrency, database, infrastructure
from scalectl.analysis.rules._common import Context, Rule, Trend, load_trend
from scalectl.analysis.rules.infrastructure import generator_saturated

#: Flowchart order: database → application → infrastructure → code.
RULES_BY_CATEGORY: dict[str, tuple[Rule, ...]] = {
    "database": database.RULES,
    "application": (*application.RULES, *concurrency.RULES),
    "infrastructure": infrastructure.RULES,
    "code": code.RULES,
}

__all__ = ["RULES_BY_CATEGORY", "Context", "Rule", "Trend", "generator_saturated", "load_trend"]
