"""The evaluation engine: a pure function from a rule set, a unit's values and its context to a result.

No Django, no database: everything it needs is passed in, so it can be tested exhaustively and run over
thousands of units in memory. "No data" is never counted as met.

Target spec (the `target` mapping of an indicator, as in the rule-set files):
    {"op": ">=", "value": 80, "overrides": [{"when": {"region": "TDMNPB"}, "op": ">=", "value": 70}, ...]}
    ops: ">=", "<=", ">", "<", "=", "between" (value [lo, hi], inclusive), "yes", "no"
    `when` keys: region, year, years, attribute, group, groups; the most specific matching override wins
    (attribute > group > region > year; a later override wins a tie).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MET = "met"
NOT_MET = "not_met"
NO_DATA = "no_data"

NUMERIC_OPS = frozenset({">=", "<=", ">", "<", "=", "between"})
BOOL_OPS = frozenset({"yes", "no"})
OPS = NUMERIC_OPS | BOOL_OPS
WHEN_KEYS = frozenset({"region", "year", "years", "attribute", "group", "groups"})
GROUPS = (1, 2, 3)  # xã nhóm 1 / 2 / 3 of the 2026–2030 programme


class SpecError(ValueError):
    """A target or rule-set spec the engine cannot evaluate."""


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    target: Mapping[str, Any]
    criterion: str | None = None  # None: a condition of the set, outside the criteria counts
    kind: str = "percent"
    derived: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class RuleSetSpec:
    code: str
    criteria: tuple[CriterionSpec, ...]
    indicators: tuple[IndicatorSpec, ...]
    prerequisite: str | None = None
    region_substitutions: tuple[Mapping[str, Any], ...] = ()

    @property
    def conditions(self) -> tuple[IndicatorSpec, ...]:
        return tuple(i for i in self.indicators if i.criterion is None)


@dataclass(frozen=True)
class ChildSummary:
    """How many of a unit's children (of one level/kind selection) attain a rule set."""

    attained: int
    total: int


@dataclass(frozen=True)
class Context:
    region: str = ""
    attributes: frozenset[str] = frozenset()
    year: int | None = None
    group: int | None = None  # commune group (nhóm 1, 2, 3) where the programme period assigns one
    # (rule_set code, child level, kinds tuple) → summary; see `children_key`.
    children: Mapping[tuple, ChildSummary] = field(default_factory=dict)
    # rule-set codes the unit holds: recognised, or attained earlier in the same evaluation pass.
    held: frozenset[str] = frozenset()


def children_key(rule_set: str, level: str, kinds: Iterable[str] | None) -> tuple:
    return (rule_set, level, tuple(sorted(kinds or ())))


@dataclass(frozen=True)
class IndicatorResult:
    status: str
    target: Mapping[str, Any]
    value: Any = None


@dataclass(frozen=True)
class CriterionResult:
    status: str
    met: int
    total: int


@dataclass(frozen=True)
class Result:
    rule_set: str
    indicators: Mapping[str, IndicatorResult]
    criteria: Mapping[str, CriterionResult]
    criteria_met: int
    criteria_total: int
    indicators_met: int
    indicators_total: int
    conditions_met: int
    conditions_total: int
    no_data: int
    prerequisite_met: bool
    attained: bool
    missing: tuple[str, ...]


def _when_matches(when: Mapping[str, Any], context: Context, region: str) -> bool:
    unknown = set(when) - WHEN_KEYS
    if unknown:
        raise SpecError(f"unknown override condition {sorted(unknown)}")
    if "region" in when and when["region"] != region:
        return False
    if "year" in when and when["year"] != context.year:
        return False
    if "years" in when and context.year not in when["years"]:
        return False
    if "group" in when and when["group"] != context.group:
        return False
    if "groups" in when and context.group not in when["groups"]:
        return False
    return not ("attribute" in when and when["attribute"] not in context.attributes)


def _specificity(when: Mapping[str, Any]) -> int:
    return (
        8 * ("attribute" in when)
        + 4 * ("group" in when or "groups" in when)
        + 2 * ("region" in when)
        + 1 * ("year" in when or "years" in when)
    )


def effective_region(rule_set: RuleSetSpec, context: Context) -> str:
    """Some units are measured against another region's levels (e.g. xã đặc biệt khó khăn → TDMNPB)."""
    for sub in rule_set.region_substitutions:
        if sub.get("attribute") in context.attributes:
            return sub["region"]
    return context.region


def resolve_target(target: Mapping[str, Any], context: Context, region: str | None = None) -> dict[str, Any]:
    """The target that applies to this unit: the base spec or its most specific matching override."""
    region = context.region if region is None else region
    best: Mapping[str, Any] | None = None
    best_rank = -1
    for override in target.get("overrides") or ():
        when = override.get("when") or {}
        if _when_matches(when, context, region):
            rank = _specificity(when)
            if rank >= best_rank:
                best, best_rank = override, rank
    chosen = best if best is not None else target
    applied = {"op": chosen["op"], "value": chosen.get("value")}
    if best is not None:
        applied["when"] = dict(best.get("when") or {})
    if chosen.get("verified") is not None:
        applied["verified"] = chosen["verified"]
    return applied


def to_number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    raise SpecError(f"not a number: {value!r}")


def compare(op: str, value: Any, target_value: Any) -> bool | None:
    """True/False for met/not met; None when there is no value to compare (no data)."""
    if op not in OPS:
        raise SpecError(f"unknown operator {op!r}")
    if value is None:
        return None
    if op in BOOL_OPS:
        if not isinstance(value, bool):
            raise SpecError(f"operator {op!r} needs a yes/no value, got {value!r}")
        return value is (op == "yes")
    number = to_number(value)
    if number is None:
        raise SpecError(f"operator {op!r} needs a number, got {value!r}")
    if op == "between":
        try:
            lo, hi = (to_number(v) for v in target_value)
        except (TypeError, ValueError):
            raise SpecError(f"'between' needs [low, high], got {target_value!r}")
        return lo <= number <= hi
    bound = to_number(target_value)
    if bound is None:
        raise SpecError(f"operator {op!r} needs a target value")
    if op == ">=":
        return number >= bound
    if op == "<=":
        return number <= bound
    if op == ">":
        return number > bound
    if op == "<":
        return number < bound
    return number == bound


def derived_value(spec: Mapping[str, Any], context: Context) -> Any:
    """The value of an indicator computed from the unit's children or from the tiers it holds."""
    source = spec.get("from")
    if source == "self":
        return spec["rule_set"] in context.held
    if source == "children":
        summary = context.children.get(children_key(spec["rule_set"], spec["level"], spec.get("kinds")))
        if summary is None:
            return None
        if spec.get("measure", "share") == "count":
            return Decimal(summary.attained)
        if summary.total == 0:
            return None
        return (Decimal(summary.attained) * 100 / Decimal(summary.total)).quantize(Decimal("0.01"))
    raise SpecError(f"unknown derived source {source!r}")


def evaluate(rule_set: RuleSetSpec, values: Mapping[str, Any], context: Context) -> Result:
    """Evaluate one unit against one rule set.

    `values` maps indicator code → value (bool for yes/no indicators, a number otherwise, None or absent for no data).
    Derived indicators take their value from `context`, never from `values`.
    """
    region = effective_region(rule_set, context)
    results: dict[str, IndicatorResult] = {}
    for indicator in rule_set.indicators:
        value = derived_value(indicator.derived, context) if indicator.derived else values.get(indicator.code)
        applied = resolve_target(indicator.target, context, region)
        outcome = compare(applied["op"], value, applied.get("value"))
        status = NO_DATA if outcome is None else (MET if outcome else NOT_MET)
        results[indicator.code] = IndicatorResult(status=status, target=applied, value=value)

    criteria: dict[str, CriterionResult] = {}
    missing: list[str] = []
    indicators_met = indicators_total = 0
    for criterion in rule_set.criteria:
        statuses = [results[code].status for code in criterion.indicators]
        met = statuses.count(MET)
        if met == len(statuses):
            status = MET
        elif NOT_MET in statuses:
            status = NOT_MET
        else:
            status = NO_DATA
        criteria[criterion.code] = CriterionResult(status=status, met=met, total=len(statuses))
        indicators_met += met
        indicators_total += len(statuses)
        missing.extend(code for code in criterion.indicators if results[code].status != MET)

    conditions = rule_set.conditions
    conditions_met = sum(1 for c in conditions if results[c.code].status == MET)
    missing.extend(c.code for c in conditions if results[c.code].status != MET)
    criteria_met = sum(1 for c in criteria.values() if c.status == MET)
    prerequisite_met = rule_set.prerequisite is None or rule_set.prerequisite in context.held
    attained = (
        criteria_met == len(criteria)
        and conditions_met == len(conditions)
        and prerequisite_met
        and (len(criteria) + len(conditions)) > 0
    )
    return Result(
        rule_set=rule_set.code,
        indicators=results,
        criteria=criteria,
        criteria_met=criteria_met,
        criteria_total=len(criteria),
        indicators_met=indicators_met,
        indicators_total=indicators_total,
        conditions_met=conditions_met,
        conditions_total=len(conditions),
        no_data=sum(1 for r in results.values() if r.status == NO_DATA),
        prerequisite_met=prerequisite_met,
        attained=attained,
        missing=tuple(missing),
    )


def value_meeting(target: Mapping[str, Any], *, met: bool) -> Any:
    """A value that meets (or misses) an already resolved target: used to build demo data from the rules."""
    op, bound = target["op"], target.get("value")
    if op in BOOL_OPS:
        return (op == "yes") is met
    if op == "between":
        lo, hi = (to_number(v) for v in bound)
        return lo if met else lo - 1
    bound = to_number(bound)
    step = Decimal(1)
    table = {
        ">=": (bound, bound - step),
        ">": (bound + step, bound),
        "<=": (bound, bound + step),
        "<": (bound - step, bound),
        "=": (bound, bound + step),
    }
    good, bad = table[op]
    return good if met else bad
