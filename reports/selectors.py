"""Reads behind the report pages. Stored attainment only: pages never call the engine.

Every function here runs a fixed number of queries whatever the number of units, criteria or
indicators it returns (pinned by tests with django_assert_num_queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.access import NATIONWIDE_ROLES, memberships_for
from communes.models import AdminUnit, Level, Membership
from criteria.models import (
    Attainment,
    Criterion,
    Evidence,
    Indicator,
    IndicatorValue,
    Recognition,
    ReportingPeriod,
    RuleSet,
    Submission,
    Tier,
    ValueKind,
)
from criteria.tiers import baseline_period, period_key, recognised_on

from .dashboards import LIGHT_FIELDS, NO_SUBMISSION, Cell, Standing, Start, standing_for

MET = "met"
NOT_MET = "not_met"
NO_DATA = "no_data"

# The ladder order of tiers, so a page lists NTM before nâng cao before kiểu mẫu.
TIER_RANK = {tier: rank for rank, tier in enumerate(Tier.values)}


def _set_order(rule_set: RuleSet) -> tuple:
    return (rule_set.level, TIER_RANK.get(rule_set.tier, 99), rule_set.code, rule_set.version)


_OP_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "=": "="}


def describe_target(target: dict[str, Any] | None, *, unit_label: str = "") -> str:
    """A readable form of a target spec as the engine applied it ({"op": ">=", "value": 80} → "≥ 80")."""
    if not target or "op" not in target:
        return ""
    op, value = target["op"], target.get("value")
    suffix = f" {unit_label}" if unit_label else ""
    if op == "yes":
        return _("Có / Đạt")
    if op == "no":
        return _("Không")
    if op == "between" and isinstance(value, list | tuple) and len(value) == 2:
        return _("từ %(low)s đến %(high)s") % {"low": value[0], "high": value[1]} + suffix
    return f"{_OP_SYMBOLS.get(op, op)} {value}{suffix}"


def _plain(number: Decimal) -> Decimal:
    """85.5000 → 85.5 and 100.0000 → 100 (not 1E+2), so templates localise it without stray zeros."""
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


@dataclass
class IndicatorRow:
    indicator: Indicator
    status: str
    target: str
    target_override: bool
    value: Any = None
    value_is_bool: bool = False
    has_value: bool = False
    note: str = ""
    is_demo: bool = False
    evidence: int = 0
    review_status: str = ""  # the value's own review status; "" when nothing was entered


@dataclass
class CriterionBlock:
    criterion: Criterion | None
    status: str
    rows: list[IndicatorRow] = field(default_factory=list)

    @property
    def met_count(self) -> int:
        return sum(1 for row in self.rows if row.status == MET)


@dataclass
class RuleSetReport:
    attainment: Attainment
    criteria: list[CriterionBlock]
    conditions: CriterionBlock | None
    start: Start | None = None  # the result "so với đầu năm" compares with (criteria.tiers.baseline_period)

    @property
    def start_period(self) -> ReportingPeriod | None:
        return self.start.period if self.start else None

    @property
    def change_criteria(self) -> int | None:
        return None if self.start is None else self.attainment.criteria_met - self.start.criteria_met

    @property
    def change_indicators(self) -> int | None:
        return None if self.start is None else self.attainment.indicators_met - self.start.indicators_met

    @property
    def change_conditions(self) -> int | None:
        return None if self.start is None else self.attainment.conditions_met - self.start.conditions_met

    @property
    def change_attained(self) -> str:
        """ "gained" / "lost" when the attained flag changed since the start of the year, else ""."""
        if self.start is None or self.start.attained == self.attainment.attained:
            return ""
        return "gained" if self.attainment.attained else "lost"

    @property
    def missing_criteria(self) -> int:
        return self.attainment.criteria_total - self.attainment.criteria_met

    @property
    def missing_indicators(self) -> int:
        return self.attainment.indicators_total - self.attainment.indicators_met

    @property
    def rule_set(self) -> RuleSet:
        return self.attainment.rule_set

    @property
    def has_unverified(self) -> bool:
        blocks = [*self.criteria, *([self.conditions] if self.conditions else [])]
        return (
            not self.rule_set.verified
            or any(b.criterion is not None and not b.criterion.name_verified for b in blocks)
            or any(not row.indicator.verified for b in blocks for row in b.rows)
        )


@dataclass
class ChildRow:
    unit: AdminUnit
    cells: list[Attainment | None]
    is_past: bool


@dataclass
class UnitPage:
    unit: AdminUnit
    ancestors: list[AdminUnit]
    periods: list[ReportingPeriod]
    period: ReportingPeriod | None
    requested_period: str | None
    reports: list[RuleSetReport]
    child_sets: list[RuleSet]
    children: list[ChildRow]
    is_demo: bool
    standing: Standing | None = None
    submission: str = NO_SUBMISSION
    # per own rule set: [(period, criteria met, indicators met)] over every period with a result
    trend: list[tuple[RuleSet, list[tuple[ReportingPeriod, int, int]]]] = field(default_factory=list)

    @property
    def village_status(self) -> list[tuple[RuleSet, int, int, int]]:
        """Per village set: villages meeting it, not meeting it, and without a result."""
        out = []
        for index, rule_set in enumerate(self.child_sets):
            current = [row for row in self.children if not row.is_past]
            met = sum(1 for row in current if row.cells[index] is not None and row.cells[index].attained)
            not_met = sum(1 for row in current if row.cells[index] is not None and not row.cells[index].attained)
            out.append((rule_set, met, not_met, len(current) - met - not_met))
        return out

    @property
    def is_commune_or_village(self) -> bool:
        return self.unit.level >= Level.COMMUNE


def home_units(*, user) -> tuple[list[Membership], list[AdminUnit]]:
    """The user's memberships, and the provinces for those who see the whole country (two queries)."""
    memberships = list(memberships_for(user))
    sees_all = user.is_superuser or any(m.role in NATIONWIDE_ROLES for m in memberships)
    provinces = list(AdminUnit.objects.filter(level=Level.PROVINCE).order_by("code")) if sees_all else []
    return memberships, provinces


def unit_periods(*, unit: AdminUnit) -> list[ReportingPeriod]:
    """Periods with stored attainment for the unit or one of its children, oldest first."""
    with_results = Attainment.objects.filter(Q(unit=unit) | Q(unit__parent=unit)).values("period_id")
    return list(ReportingPeriod.objects.filter(pk__in=with_results))


def _value_rows(
    rule_sets: list[RuleSet],
    attainments: dict[int, Attainment],
    values: dict[int, IndicatorValue],
    evidence: dict[int, int] | None = None,
    *,
    missing_first: bool = False,
) -> dict[int, tuple[list[CriterionBlock], CriterionBlock | None]]:
    criteria = list(Criterion.objects.filter(rule_set__in=rule_sets).order_by("rule_set_id", "position", "id"))
    indicators = list(Indicator.objects.filter(rule_set__in=rule_sets).order_by("rule_set_id", "position", "id"))
    blocks: dict[int, dict[int | None, CriterionBlock]] = {rs.pk: {} for rs in rule_sets}
    for criterion in criteria:
        status = attainments[criterion.rule_set_id].criteria_status.get(criterion.code, NO_DATA)
        blocks[criterion.rule_set_id][criterion.pk] = CriterionBlock(criterion=criterion, status=status)
    for indicator in indicators:
        entry = attainments[indicator.rule_set_id].indicator_status.get(indicator.code) or {}
        applied = entry.get("target") or None
        override = bool(applied and applied.get("when"))
        target = indicator.target_text or describe_target(applied or indicator.target, unit_label=indicator.unit_label)
        if override:
            target = describe_target(applied, unit_label=indicator.unit_label)
        row = IndicatorRow(
            indicator=indicator,
            status=entry.get("status", NO_DATA),
            target=target,
            target_override=override,
        )
        value = values.get(indicator.pk)
        if indicator.derived and entry.get("value") is not None:
            # computed by recompute from the children's results: shown, never typed
            derived = entry["value"]
            row.value_is_bool = isinstance(derived, bool)
            row.value = derived if row.value_is_bool else _plain(Decimal(str(derived)))
            row.has_value = True
        elif value is not None:
            is_bool = indicator.kind == ValueKind.BOOL
            raw = value.boolean if is_bool else value.number
            row.value = _plain(raw) if isinstance(raw, Decimal) else raw
            row.value_is_bool = is_bool
            row.has_value = raw is not None
            row.note = value.note
            row.is_demo = value.is_demo
            row.review_status = value.status
            row.evidence = (evidence or {}).get(indicator.pk, 0)
        group = blocks[indicator.rule_set_id]
        if indicator.criterion_id is None:
            group.setdefault(None, CriterionBlock(criterion=None, status=NO_DATA)).rows.append(row)
        elif indicator.criterion_id in group:
            group[indicator.criterion_id].rows.append(row)
    result = {}
    for rs_id, group in blocks.items():
        conditions = group.pop(None, None)
        if conditions is not None:
            conditions.status = MET if all(r.status == MET for r in conditions.rows) else NOT_MET
        criteria_blocks = list(group.values())
        if missing_first:
            # what is still missing comes first; the codes keep the official numbering visible
            criteria_blocks.sort(key=lambda b: b.status == MET)
            for block in [*criteria_blocks, *([conditions] if conditions else [])]:
                block.rows.sort(key=lambda r: r.status == MET)
        result[rs_id] = (criteria_blocks, conditions)
    return result


def unit_page(*, unit: AdminUnit, period_code: str | None = None) -> UnitPage:
    """Everything the unit page shows, in at most twelve queries whatever the size of the subtree."""
    ancestors = list(AdminUnit.objects.ancestors_of(unit).order_by("level"))
    periods = unit_periods(unit=unit)
    if period_code:
        period = next((p for p in periods if p.code == period_code), None)
    else:
        period = periods[-1] if periods else None

    reports: list[RuleSetReport] = []
    is_demo = unit.is_demo
    standing = None
    submission = NO_SUBMISSION
    trend: list[tuple[RuleSet, list[tuple[ReportingPeriod, int, int]]]] = []
    if period is not None:
        own = sorted(
            Attainment.objects.filter(unit=unit, period=period).select_related("rule_set"),
            key=lambda a: _set_order(a.rule_set),
        )
        if own:
            rule_sets = [a.rule_set for a in own]
            by_set = {a.rule_set_id: a for a in own}
            values = {
                v.indicator_id: v
                for v in IndicatorValue.objects.filter(unit=unit, period=period, indicator__rule_set__in=rule_sets)
            }
            evidence = dict(
                Evidence.objects.filter(value__unit=unit, value__period=period)
                .values_list("value__indicator_id")
                .annotate(n=Count("id"))
                .order_by()
            )
            is_demo = is_demo or any(v.is_demo for v in values.values())
            blocks = _value_rows(rule_sets, by_set, values, evidence, missing_first=True)
            periods_by_id = {p.pk: p for p in periods}
            history = [
                h for h in Attainment.objects.filter(unit=unit).values(*LIGHT_FIELDS) if h["period_id"] in periods_by_id
            ]
            history_by_set: dict[int, dict[int, dict]] = {}
            for h in history:
                history_by_set.setdefault(h["rule_set_id"], {})[h["period_id"]] = h
            starts: dict[int, Start] = {}
            for rs_id, rows in history_by_set.items():
                base = baseline_period([periods_by_id[pk] for pk in rows], period)
                if base is not None:
                    starts[rs_id] = Start.of(rows[base.pk], base)
            reports = [
                RuleSetReport(
                    attainment=a,
                    criteria=blocks[a.rule_set_id][0],
                    conditions=blocks[a.rule_set_id][1],
                    start=starts.get(a.rule_set_id),
                )
                for a in own
            ]
            for a in own:
                series = sorted(
                    (
                        (periods_by_id[h["period_id"]], h["criteria_met"], h["indicators_met"])
                        for h in history
                        if h["rule_set_id"] == a.rule_set_id
                    ),
                    key=lambda item: period_key(item[0]),
                )
                trend.append((a.rule_set, series))
            recognised = [
                r.rule_set
                for r in Recognition.objects.filter(unit=unit).select_related("rule_set")
                if recognised_on(r, period.end)
            ]
            cells = [
                Cell(
                    unit_id=unit.pk,
                    rule_set=a.rule_set,
                    period=period,
                    **{k: getattr(a, k) for k in LIGHT_FIELDS if k not in ("unit_id", "rule_set_id", "period_id")},
                    missing=a.missing,
                    criteria_status=a.criteria_status,
                )
                for a in own
            ]
            standing = standing_for(cells, recognised)
        submission = Submission.objects.filter(unit=unit, period=period).values_list("status", flat=True).first()
        submission = submission or NO_SUBMISSION

    children_units = list(AdminUnit.objects.filter(parent=unit).order_by("path"))
    is_demo = is_demo or any(child.is_demo for child in children_units)
    child_sets: list[RuleSet] = []
    children: list[ChildRow] = []
    if children_units:
        cells_by_child: dict[tuple[int, int], Attainment] = {}
        sets: dict[int, RuleSet] = {}
        if period is not None:
            for attainment in Attainment.objects.filter(unit__parent=unit, period=period).select_related("rule_set"):
                cells_by_child[(attainment.unit_id, attainment.rule_set_id)] = attainment
                sets[attainment.rule_set_id] = attainment.rule_set
        child_sets = sorted(sets.values(), key=_set_order)
        today = timezone.localdate()
        children = [
            ChildRow(
                unit=child,
                cells=[cells_by_child.get((child.pk, rs.pk)) for rs in child_sets],
                is_past=child.valid_to is not None and child.valid_to <= today,
            )
            for child in children_units
        ]
    return UnitPage(
        unit=unit,
        ancestors=ancestors,
        periods=periods,
        period=period,
        requested_period=period_code,
        reports=reports,
        child_sets=child_sets,
        children=children,
        is_demo=is_demo,
        standing=standing,
        submission=submission,
        trend=trend,
    )
