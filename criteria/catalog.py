"""The published rule sets in memory: which apply to a unit, and their engine specs.

Loaded with a fixed number of queries, then used for thousands of units without touching the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from communes.models import AdminUnit, Level

from . import engine
from .models import Criterion, Indicator, RuleSet, ValueKind

LEVEL_NAMES = {
    "province": Level.PROVINCE,
    "district": Level.DISTRICT,
    "commune": Level.COMMUNE,
    "village": Level.VILLAGE,
}


@dataclass
class RuleSetEntry:
    rule_set: RuleSet
    spec: engine.RuleSetSpec
    criteria: list[Criterion]
    indicators: list[Indicator]
    depth: int = 0
    indicator_by_code: dict[str, Indicator] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.rule_set.code

    @cached_property
    def child_specs(self) -> list[dict]:
        """Derived indicators that read the unit's children (asked for every unit of a recompute)."""
        return [i.derived for i in self.indicators if i.derived and i.derived.get("from") == "children"]

    @cached_property
    def has_derived(self) -> bool:
        return any(i.derived for i in self.indicators)

    def applies_to(self, unit: AdminUnit, on: dt.date | None = None, *, period_start=None, period_end=None) -> bool:
        rs = self.rule_set
        if unit.level != rs.level:
            return False
        scope = rs.applies_to or {}
        if scope.get("kinds") and unit.kind not in scope["kinds"]:
            return False
        parts = unit.path.strip("/").split("/")
        if scope.get("provinces") and parts[0] not in scope["provinces"]:
            return False
        district = parts[1] if len(parts) > 1 else None
        if scope.get("districts") and district not in scope["districts"]:
            return False
        if scope.get("exclude_districts") and district in scope["exclude_districts"]:
            return False
        if period_end is not None and rs.valid_from and rs.valid_from > period_end:
            return False
        return not (period_start is not None and rs.valid_to and rs.valid_to < period_start)


def spec_for(rule_set: RuleSet, criteria: list[Criterion], indicators: list[Indicator]) -> engine.RuleSetSpec:
    code_of_criterion = {c.id: c.code for c in criteria}
    by_criterion: dict[str, list[str]] = {c.code: [] for c in criteria}
    specs = []
    for ind in indicators:
        crit = code_of_criterion.get(ind.criterion_id)
        if crit is not None:
            by_criterion[crit].append(ind.code)
        specs.append(engine.IndicatorSpec(ind.code, ind.target, criterion=crit, kind=ind.kind, derived=ind.derived))
    return engine.RuleSetSpec(
        code=rule_set.code,
        criteria=tuple(engine.CriterionSpec(c.code, tuple(by_criterion[c.code])) for c in criteria),
        indicators=tuple(specs),
        prerequisite=rule_set.prerequisite_code or None,
        region_substitutions=tuple(rule_set.region_substitutions or ()),
    )


class Catalog:
    """Every published rule set (the latest version of each code), with criteria and indicators: three queries."""

    def __init__(self, rule_sets=None):
        rule_sets = list(
            rule_sets if rule_sets is not None else RuleSet.objects.published().order_by("code", "version")
        )
        latest: dict[str, RuleSet] = {}
        for rs in rule_sets:
            latest[rs.code] = rs  # ordered by version: the last one wins
        ids = [rs.id for rs in latest.values()]
        criteria: dict[int, list[Criterion]] = {i: [] for i in ids}
        for c in Criterion.objects.filter(rule_set_id__in=ids).order_by("position", "id"):
            criteria[c.rule_set_id].append(c)
        indicators: dict[int, list[Indicator]] = {i: [] for i in ids}
        self.indicator_by_id: dict[int, Indicator] = {}
        for ind in Indicator.objects.filter(rule_set_id__in=ids).order_by("position", "id"):
            indicators[ind.rule_set_id].append(ind)
            self.indicator_by_id[ind.id] = ind
        self.entries: dict[str, RuleSetEntry] = {}
        self.by_id: dict[int, RuleSetEntry] = {}
        # Compiled forms of the sets per unit context, kept as long as the catalog (see services._Evaluator).
        self.compiled: dict[tuple, engine.CompiledRuleSet] = {}
        for rs in latest.values():
            entry = RuleSetEntry(
                rule_set=rs,
                spec=spec_for(rs, criteria[rs.id], indicators[rs.id]),
                criteria=criteria[rs.id],
                indicators=indicators[rs.id],
                indicator_by_code={i.code: i for i in indicators[rs.id]},
            )
            self.entries[rs.code] = entry
            self.by_id[rs.id] = entry
        for entry in self.entries.values():
            entry.depth = self._depth(entry.code, set())

    def _depth(self, code: str, seen: set[str]) -> int:
        entry = self.entries.get(code)
        prereq = entry.rule_set.prerequisite_code if entry else ""
        if not prereq or prereq in seen or prereq not in self.entries:
            return 0
        return 1 + self._depth(prereq, seen | {code})

    def get(self, code: str) -> RuleSetEntry | None:
        return self.entries.get(code)

    def applicable(self, unit: AdminUnit, period=None) -> list[RuleSetEntry]:
        """The sets that apply to the unit in the period, prerequisites first (the tier ladder)."""
        start = period.start if period else None
        end = period.end if period else None
        found = [e for e in self.entries.values() if e.applies_to(unit, period_start=start, period_end=end)]
        return sorted(found, key=lambda e: (e.depth, e.code))

    def engine_value(self, indicator: Indicator, number, boolean):
        return boolean if indicator.kind == ValueKind.BOOL else number
