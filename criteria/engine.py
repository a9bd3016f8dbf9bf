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

import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

MET = "met"
NOT_MET = "not_met"
NO_DATA = "no_data"
STATUSES = (MET, NOT_MET, NO_DATA)

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


@dataclass(frozen=True, eq=False)
class Result:
    """One unit's result against one rule set.

    `statuses` and `criteria_statuses` follow the order of the set's indicators and criteria; the mappings
    `indicators` and `criteria` are built from them when first read (a recompute of ten thousand units
    stores the statuses without ever building 750,000 small objects). The `_approved` counts are the same
    counts with only approved values: an entered value that is not approved counts as no data there.
    """

    rule_set: str
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
    statuses: tuple[str, ...]
    criteria_statuses: tuple[str, ...]
    criteria_met_approved: int
    indicators_met_approved: int
    compiled: CompiledRuleSet = field(repr=False)
    values: Mapping[str, Any] = field(repr=False)  # the values evaluated, derived ones included

    @cached_property
    def indicators(self) -> dict[str, IndicatorResult]:
        compiled = self.compiled
        return {
            code: IndicatorResult(status=status, target=target, value=self.values.get(code))
            for code, status, target in zip(compiled.codes, self.statuses, compiled.targets, strict=True)
        }

    @cached_property
    def criteria(self) -> dict[str, CriterionResult]:
        return {
            code: CriterionResult(
                status=status, met=sum(1 for i in members if self.statuses[i] == MET), total=len(members)
            )
            for (code, members), status in zip(self.compiled.criteria, self.criteria_statuses, strict=True)
        }


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
    return _derived(spec, context.children, context.held)


def _derived(spec: Mapping[str, Any], children: Mapping[tuple, ChildSummary], held: Collection[str]) -> Any:
    source = spec.get("from")
    if source == "self":
        return spec["rule_set"] in held
    if source == "children":
        summary = children.get(children_key(spec["rule_set"], spec["level"], spec.get("kinds")))
        if summary is None:
            return None
        if spec.get("measure", "share") == "count":
            return Decimal(summary.attained)
        if summary.total == 0:
            return None
        return (Decimal(summary.attained) * 100 / Decimal(summary.total)).quantize(Decimal("0.01"))
    raise SpecError(f"unknown derived source {source!r}")


_COMPARISONS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq}
_EXACT_NUMBERS = (Decimal, int)  # compared with a Decimal bound exactly as `compare` compares them


def _status_test(op: str, bound: Any) -> Callable[[Any], str]:
    """value (not None) → MET / NOT_MET, with the bound converted once. Anything `compare` would treat
    differently (floats, a bool for a number, a number for yes/no, a malformed bound) goes through `compare`
    itself, so the compiled form gives the same answers and raises the same errors."""

    def slow(value: Any) -> str:
        return MET if compare(op, value, bound) else NOT_MET

    if op in BOOL_OPS:
        wanted = op == "yes"

        def yes_no(value: Any) -> str:
            if value.__class__ is bool:
                return MET if value is wanted else NOT_MET
            return slow(value)

        return yes_no
    try:
        if op == "between":
            low, high = (to_number(v) for v in bound)
            if low is None or high is None:
                return slow

            def between(value: Any) -> str:
                if value.__class__ in _EXACT_NUMBERS:
                    return MET if low <= value <= high else NOT_MET
                return slow(value)

            return between
        limit = to_number(bound)
    except (TypeError, ValueError):
        return slow
    if limit is None:
        return slow
    comparison = _COMPARISONS[op]

    def numeric(value: Any) -> str:
        if value.__class__ in _EXACT_NUMBERS:
            return MET if comparison(value, limit) else NOT_MET
        return slow(value)

    return numeric


class CompiledRuleSet:
    """A rule set with its targets resolved for one unit context (region, attributes, year, commune group).

    `evaluate` then costs a table walk per unit: no override is matched again, no bound converted again.
    Units that share a context share one compiled set (see `compile`).
    """

    __slots__ = (
        "spec",
        "codes",
        "targets",
        "tests",
        "derived",
        "criteria",
        "conditions",
        "criterion_members",
        "memo",
    )

    def __init__(self, spec: RuleSetSpec, context: Context):
        region = effective_region(spec, context)
        self.spec = spec
        self.codes: tuple[str, ...] = tuple(i.code for i in spec.indicators)
        self.targets: tuple[dict, ...] = tuple(resolve_target(i.target, context, region) for i in spec.indicators)
        for target in self.targets:
            compare(target["op"], None, target.get("value"))  # an unknown operator fails here, as in evaluate
        self.tests = tuple(_status_test(t["op"], t.get("value")) for t in self.targets)
        self.derived: tuple[tuple[int, str, Mapping[str, Any]], ...] = tuple(
            (n, i.code, i.derived) for n, i in enumerate(spec.indicators) if i.derived
        )
        index = {code: n for n, code in enumerate(self.codes)}
        self.criteria: tuple[tuple[str, tuple[int, ...]], ...] = tuple(
            (c.code, tuple(index[code] for code in c.indicators)) for c in spec.criteria
        )
        self.conditions: tuple[int, ...] = tuple(n for n, i in enumerate(spec.indicators) if i.criterion is None)
        self.criterion_members = frozenset(n for _c, members in self.criteria for n in members)
        self.memo: dict[str, Any] = {}  # for callers that derive something once per compiled set

    def evaluate(
        self,
        values: Mapping[str, Any],
        children: Mapping[tuple, ChildSummary] | None = None,
        held: Collection[str] = frozenset(),
        unapproved: Collection[str] = frozenset(),
    ) -> Result:
        """`values`: indicator code → value (None or absent: no data); `children`, `held` as in `Context`;
        `unapproved`: codes whose entered value is not approved yet (they count only in the all-values counts).
        """
        if self.derived:  # computed from the children or the tiers held; anything typed for the code is ignored
            values = dict(values)
            for _n, code, spec in self.derived:
                values[code] = _derived(spec, children or {}, held)
            if unapproved:  # a derived value is the tracker's own, never awaiting review
                unapproved = frozenset(unapproved).difference(code for _n, code, _spec in self.derived)
        get = values.get
        statuses = []
        no_data = 0
        for code, test in zip(self.codes, self.tests, strict=True):
            value = get(code)
            if value is None:
                statuses.append(NO_DATA)
                no_data += 1
            else:
                statuses.append(test(value))
        missing = []
        criteria_statuses = []
        criteria_met = indicators_met = indicators_total = 0
        criteria_met_approved = indicators_met_approved = 0
        for _code, members in self.criteria:
            met = met_approved = 0
            any_not_met = False
            for n in members:
                status = statuses[n]
                if status is MET:
                    met += 1
                    if not unapproved or self.codes[n] not in unapproved:
                        met_approved += 1
                else:
                    missing.append(self.codes[n])
                    if status is NOT_MET:
                        any_not_met = True
            if met == len(members):
                criteria_statuses.append(MET)
                criteria_met += 1
            else:
                criteria_statuses.append(NOT_MET if any_not_met else NO_DATA)
            if met_approved == len(members):
                criteria_met_approved += 1
            indicators_met += met
            indicators_met_approved += met_approved
            indicators_total += len(members)
        conditions_met = 0
        for n in self.conditions:
            if statuses[n] is MET:
                conditions_met += 1
            else:
                missing.append(self.codes[n])
        spec = self.spec
        prerequisite_met = spec.prerequisite is None or spec.prerequisite in held
        criteria_total, conditions_total = len(self.criteria), len(self.conditions)
        return Result(
            rule_set=spec.code,
            criteria_met=criteria_met,
            criteria_total=criteria_total,
            indicators_met=indicators_met,
            indicators_total=indicators_total,
            conditions_met=conditions_met,
            conditions_total=conditions_total,
            no_data=no_data,
            prerequisite_met=prerequisite_met,
            attained=(
                criteria_met == criteria_total
                and conditions_met == conditions_total
                and prerequisite_met
                and (criteria_total + conditions_total) > 0
            ),
            missing=tuple(missing),
            statuses=tuple(statuses),
            criteria_statuses=tuple(criteria_statuses),
            criteria_met_approved=criteria_met_approved,
            indicators_met_approved=indicators_met_approved,
            compiled=self,
            values=values,
        )


def compile(rule_set: RuleSetSpec, context: Context) -> CompiledRuleSet:  # noqa: A001 - the engine's verb
    """The rule set with its targets resolved for the context's region, attributes, year and commune group.
    The context's children and held tiers are not read here: they are per unit, given to `evaluate`."""
    return CompiledRuleSet(rule_set, context)


def compile_key(rule_set: RuleSetSpec, context: Context) -> tuple:
    """Two contexts with the same key compile a set to the same targets."""
    return (rule_set.code, context.region, context.attributes, context.year, context.group)


def evaluate(rule_set: RuleSetSpec, values: Mapping[str, Any], context: Context) -> Result:
    """Evaluate one unit against one rule set.

    `values` maps indicator code → value (bool for yes/no indicators, a number otherwise, None or absent for no data).
    Derived indicators take their value from `context`, never from `values`.
    """
    return compile(rule_set, context).evaluate(values, context.children, context.held)


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
