"""Recomputing attainment: set-based, bottom-up, one bulk upsert per level.

Values of many units are loaded in one query per level, evaluated in memory by the pure engine, and written
with one upsert. Villages come first, then communes, districts and the province, because derived indicators
read the stored results of the level below.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from communes.models import AdminUnit

from . import engine
from .catalog import LEVEL_NAMES, Catalog, RuleSetEntry
from .models import Attainment, IndicatorValue, Recognition, ReportingPeriod

ATTAINMENT_FIELDS = [
    "criteria_met",
    "criteria_total",
    "indicators_met",
    "indicators_total",
    "conditions_met",
    "conditions_total",
    "no_data",
    "prerequisite_met",
    "attained",
    "criteria_status",
    "indicator_status",
    "missing",
    "computed_at",
]
CHUNK = 2000


@dataclass
class RecomputeStats:
    period: str
    units: int = 0
    rows_written: int = 0
    rows_deleted: int = 0
    attained: int = 0
    per_level: dict[int, int] = field(default_factory=dict)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _valid_on(day: dt.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def _recognised_on(day: dt.date) -> Q:
    return Q(decision_date__lte=day) & (Q(revoked_on__isnull=True) | Q(revoked_on__gt=day))


def _target_units(period: ReportingPeriod, units: Iterable[AdminUnit] | None) -> list[AdminUnit]:
    """The units to recompute: the given ones (or all with values in the period) and all their ancestors."""
    if units is None:
        unit_ids = set(IndicatorValue.objects.filter(period=period).values_list("unit_id", flat=True).distinct())
        base = []
        for chunk in _chunks(sorted(unit_ids)):
            base.extend(AdminUnit.objects.filter(id__in=chunk).only("id", "path"))
    else:
        base = list(units)
    paths = {u.path for u in base}
    for unit in base:
        paths.update(unit.ancestor_paths())
    found: list[AdminUnit] = []
    for chunk in _chunks(sorted(paths)):
        found.extend(AdminUnit.objects.filter(path__in=chunk))
    return found


def _held_by_recognition(unit_ids: list[int], period: ReportingPeriod) -> dict[int, set[str]]:
    held: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(unit_ids):
        rows = Recognition.objects.filter(_recognised_on(period.end), unit_id__in=chunk)
        for unit_id, code in rows.values_list("unit_id", "rule_set__code"):
            held[unit_id].add(code)
    return held


def _values_by_unit(unit_ids: list[int], period: ReportingPeriod, catalog: Catalog) -> dict[int, dict[int, dict]]:
    """unit id → rule set id → {indicator code: engine value}; one query per chunk of units."""
    out: dict[int, dict[int, dict]] = defaultdict(lambda: defaultdict(dict))
    for chunk in _chunks(unit_ids):
        rows = IndicatorValue.objects.filter(period=period, unit_id__in=chunk).values_list(
            "unit_id", "indicator_id", "number", "boolean"
        )
        for unit_id, indicator_id, number, boolean in rows:
            indicator = catalog.indicator_by_id.get(indicator_id)
            if indicator is None:  # a value of an older version of a set: not evaluated against the current one
                continue
            out[unit_id][indicator.rule_set_id][indicator.code] = catalog.engine_value(indicator, number, boolean)
    return out


def _children_summaries(
    units: list[AdminUnit], entries: set[str], period: ReportingPeriod, catalog: Catalog
) -> dict[int, dict[tuple, engine.ChildSummary]]:
    """For each unit, how many of its descendants at a level attain each child rule set its sets derive from."""
    wanted: dict[tuple, dict] = {}
    for code in entries:
        for spec in catalog.entries[code].child_specs:
            wanted[engine.children_key(spec["rule_set"], spec["level"], spec.get("kinds"))] = spec
    out: dict[int, dict[tuple, engine.ChildSummary]] = defaultdict(dict)
    if not wanted or not units:
        return out
    level = units[0].level
    unit_ids = [u.id for u in units]
    for key, spec in wanted.items():
        child_level = LEVEL_NAMES[spec["level"]]
        depth = child_level - level
        if depth <= 0:
            continue
        link = "__".join(["parent"] * depth)
        child_entry = catalog.get(spec["rule_set"])
        eligible = AdminUnit.objects.filter(_valid_on(period.end), level=child_level, **{f"{link}__in": unit_ids})
        if spec.get("kinds"):
            eligible = eligible.filter(kind__in=spec["kinds"])
        totals: dict[int, int] = defaultdict(int)
        ancestor_of: dict[int, int] = {}
        for child_id, ancestor_id in eligible.values_list("id", link):
            totals[ancestor_id] += 1
            ancestor_of[child_id] = ancestor_id
        if child_entry is None:
            continue
        # A child meets the set when this period's result says so or when it has been formally recognised.
        meets: dict[int, bool] = {}
        rows = Attainment.objects.filter(
            period=period, rule_set_id=child_entry.rule_set.id, **{f"unit__{link}__in": unit_ids}
        ).values_list("unit_id", "attained")
        for child_id, is_attained in rows:
            meets[child_id] = is_attained
        recognised = Recognition.objects.filter(
            _recognised_on(period.end), rule_set__code=spec["rule_set"], **{f"unit__{link}__in": unit_ids}
        ).values_list("unit_id", flat=True)
        for child_id in recognised:
            meets[child_id] = True
        attained: dict[int, int] = defaultdict(int)
        reported: set[int] = set()
        for child_id, is_met in meets.items():
            ancestor_id = ancestor_of.get(child_id)
            if ancestor_id is None:
                continue
            reported.add(ancestor_id)
            attained[ancestor_id] += int(is_met)
        for ancestor_id in reported:  # no child result at all: no data rather than 0%
            out[ancestor_id][key] = engine.ChildSummary(attained=attained[ancestor_id], total=totals[ancestor_id])
    return out


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _attainment_row(unit: AdminUnit, entry: RuleSetEntry, period, result: engine.Result, now) -> Attainment:
    indicator_status = {}
    for code, r in result.indicators.items():
        item = {"status": r.status, "target": {k: _jsonable(v) for k, v in r.target.items()}}
        if entry.indicator_by_code[code].derived:
            item["value"] = _jsonable(r.value)
        indicator_status[code] = item
    return Attainment(
        unit_id=unit.id,
        rule_set_id=entry.rule_set.id,
        period_id=period.id,
        criteria_met=result.criteria_met,
        criteria_total=result.criteria_total,
        indicators_met=result.indicators_met,
        indicators_total=result.indicators_total,
        conditions_met=result.conditions_met,
        conditions_total=result.conditions_total,
        no_data=result.no_data,
        prerequisite_met=result.prerequisite_met,
        attained=result.attained,
        criteria_status={code: c.status for code, c in result.criteria.items()},
        indicator_status=indicator_status,
        missing=list(result.missing),
        computed_at=now,
    )


def _evaluate_level(
    units: list[AdminUnit], period: ReportingPeriod, catalog: Catalog
) -> tuple[list[Attainment], set[tuple[int, int]]]:
    unit_ids = [u.id for u in units]
    values = _values_by_unit(unit_ids, period, catalog)
    held_recognised = _held_by_recognition(unit_ids, period)
    applicable = {u.id: catalog.applicable(u, period) for u in units}
    derived_sets = {e.code for entries in applicable.values() for e in entries if e.child_specs}
    children = _children_summaries(units, derived_sets, period, catalog)
    now = timezone.now()
    rows: list[Attainment] = []
    computed: set[tuple[int, int]] = set()
    for unit in units:
        held = set(held_recognised.get(unit.id, ()))
        unit_values = values.get(unit.id, {})
        unit_children = children.get(unit.id, {})
        attributes = unit.attributes
        for entry in applicable[unit.id]:
            own = unit_values.get(entry.rule_set.id)
            has_children_data = any(
                engine.children_key(s["rule_set"], s["level"], s.get("kinds")) in unit_children
                for s in entry.child_specs
            )
            # Nothing reported for this set: no row rather than a row of "no data". A set of criteria needs
            # the unit's own values; a set made only of conditions on the children needs their results.
            if not own and (entry.spec.criteria or not has_children_data):
                continue
            context = engine.Context(
                region=unit.region,
                attributes=attributes,
                year=period.year,
                children=unit_children,
                held=frozenset(held),
            )
            result = engine.evaluate(entry.spec, own or {}, context)
            if result.attained:
                held.add(entry.code)  # the next rung of the ladder may build on it
            rows.append(_attainment_row(unit, entry, period, result, now))
            computed.add((unit.id, entry.rule_set.id))
    return rows, computed


def _write_level(units: list[AdminUnit], period, rows: list[Attainment], computed: set[tuple[int, int]]) -> int:
    """Upsert the level's rows and delete rows of these units that no longer have a result."""
    for chunk in _chunks(rows):
        Attainment.objects.bulk_create(
            chunk,
            update_conflicts=True,
            unique_fields=["unit", "rule_set", "period"],
            update_fields=ATTAINMENT_FIELDS,
        )
    stale: list[int] = []
    for chunk in _chunks([u.id for u in units]):
        existing = Attainment.objects.filter(period=period, unit_id__in=chunk).values_list(
            "id", "unit_id", "rule_set_id"
        )
        stale.extend(pk for pk, unit_id, rs_id in existing if (unit_id, rs_id) not in computed)
    if stale:
        Attainment.objects.filter(id__in=stale).delete()
    return len(stale)


def attainment_recompute(
    *, period: ReportingPeriod, units: Iterable[AdminUnit] | None = None, catalog: Catalog | None = None
) -> RecomputeStats:
    """Recompute the given units and their ancestors (or every unit with values) for one period, bottom-up."""
    catalog = catalog or Catalog()
    targets = _target_units(period, units)
    stats = RecomputeStats(period=period.code, units=len(targets))
    by_level: dict[int, list[AdminUnit]] = defaultdict(list)
    for unit in targets:
        by_level[unit.level].append(unit)
    with transaction.atomic():
        for level in sorted(by_level, reverse=True):  # villages first, the province last
            level_units = by_level[level]
            rows, computed = _evaluate_level(level_units, period, catalog)
            stats.rows_deleted += _write_level(level_units, period, rows, computed)
            stats.rows_written += len(rows)
            stats.attained += sum(1 for r in rows if r.attained)
            stats.per_level[level] = len(rows)
    return stats


def attainment_recompute_all(*, catalog: Catalog | None = None) -> list[RecomputeStats]:
    catalog = catalog or Catalog()
    periods = ReportingPeriod.objects.filter(values__isnull=False).distinct().order_by("end", "start")
    return [attainment_recompute(period=p, catalog=catalog) for p in periods]
