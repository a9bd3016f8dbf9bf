"""Reads of stored attainment shared by the command line and the pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max

from communes.models import AdminUnit

from . import engine
from .catalog import Catalog, RuleSetEntry
from .models import Attainment, IndicatorValue, ReportingPeriod
from .tiers import PERIOD_ORDER_LATEST_FIRST, baseline_period


def unit_contexts(units: list[AdminUnit], period: ReportingPeriod) -> dict[int, engine.Context]:
    """unit id → what the unit's targets depend on in the period: region, attributes, the year and the commune
    group. The one place that builds it, for a whole batch of units (the recompute, the entry form, the demo);
    anything read from the database for it is read here for the batch at once, never per unit."""
    return {
        unit.id: engine.Context(region=unit.region, attributes=unit.attributes, year=period.year, group=None)
        for unit in units
    }


def unit_context(unit: AdminUnit, period: ReportingPeriod) -> engine.Context:
    return unit_contexts([unit], period)[unit.id]


@dataclass
class AttainmentSummary:
    entry: RuleSetEntry
    period: ReportingPeriod | None
    row: Attainment | None
    start_row: Attainment | None

    @property
    def has_data(self) -> bool:
        return self.row is not None

    def as_dict(self) -> dict:
        rs = self.entry.rule_set
        row = self.row
        totals = (len(self.entry.spec.criteria), sum(len(c.indicators) for c in self.entry.spec.criteria))
        change = None
        if row is not None and self.start_row is not None:
            change = {
                "period": self.start_row.period.code,
                "criteria": row.criteria_met - self.start_row.criteria_met,
                "indicators": row.indicators_met - self.start_row.indicators_met,
                "conditions": row.conditions_met - self.start_row.conditions_met,
                "attained_before": self.start_row.attained,
            }
        return {
            "rule_set": rs.code,
            "rule_set_name": rs.name,
            "rule_set_version": rs.version,
            "period": self.period.code if self.period else None,
            "has_data": row is not None,
            "criteria_met": row.criteria_met if row else 0,
            "criteria_total": row.criteria_total if row else totals[0],
            "indicators_met": row.indicators_met if row else 0,
            "indicators_total": row.indicators_total if row else totals[1],
            "conditions_met": row.conditions_met if row else 0,
            "conditions_total": row.conditions_total if row else len(self.entry.spec.conditions),
            "prerequisite_met": row.prerequisite_met if row else False,
            "attained": row.attained if row else False,
            "missing": list(row.missing) if row else [i.code for i in self.entry.spec.indicators],
            "change_since_start_of_year": change,
        }


def latest_period_for(unit: AdminUnit) -> ReportingPeriod | None:
    """The latest period with values for the unit, else the latest with any stored result for it."""
    period = ReportingPeriod.objects.filter(values__unit=unit).order_by(*PERIOD_ORDER_LATEST_FIRST).first()
    if period is None:
        period = ReportingPeriod.objects.filter(attainments__unit=unit).order_by(*PERIOD_ORDER_LATEST_FIRST).first()
    return period


def attainment_summaries(
    unit: AdminUnit,
    *,
    period: ReportingPeriod | None = None,
    rule_set_code: str | None = None,
    catalog: Catalog | None = None,
) -> list[AttainmentSummary]:
    """Per applicable rule set: the stored result in the period and the one "so với đầu năm" compares it with."""
    catalog = catalog or Catalog()
    period = period or latest_period_for(unit)
    entries = catalog.applicable(unit, period)
    if rule_set_code:
        entries = [e for e in entries if e.code == rule_set_code]
    if period is None:
        return [AttainmentSummary(e, None, None, None) for e in entries]
    rows = Attainment.objects.filter(
        unit=unit,
        period__year__gte=period.year - 1,
        period__end__lte=period.end,
        rule_set_id__in=[e.rule_set.id for e in entries],
    ).select_related("period")
    current: dict[int, Attainment] = {}
    by_set: dict[int, dict[int, Attainment]] = {}
    for row in rows:
        by_set.setdefault(row.rule_set_id, {})[row.period_id] = row
        if row.period_id == period.id:
            current[row.rule_set_id] = row
    earliest: dict[int, Attainment] = {}
    for rs_id, by_period in by_set.items():
        base = baseline_period([r.period for r in by_period.values()], period)
        if base is not None:
            earliest[rs_id] = by_period[base.pk]
    return [AttainmentSummary(e, period, current.get(e.rule_set.id), earliest.get(e.rule_set.id)) for e in entries]


def unit_has_values(unit: AdminUnit, period: ReportingPeriod) -> bool:
    return IndicatorValue.objects.filter(unit=unit, period=period).exists()


def stale_attainment_units(*, since, until) -> dict[int, list[int]]:
    """period id → units with a value changed (between `since` and `until`) after their last stored result.

    What a lost recompute leaves behind (a worker killed before it ran, a broker that was down at the save);
    the watchdog queues these again. Two queries, bounded by the window."""
    changed = (
        IndicatorValue.objects.filter(updated_at__gte=since, updated_at__lt=until)
        .values_list("period_id", "unit_id")
        .annotate(last=Max("updated_at"))
    )
    changed = {(period_id, unit_id): last for period_id, unit_id, last in changed}
    if not changed:
        return {}
    results = (
        Attainment.objects.filter(period_id__in={p for p, _u in changed}, unit_id__in={u for _p, u in changed})
        .values_list("period_id", "unit_id")
        .annotate(at=Max("computed_at"))
    )
    computed = {(period_id, unit_id): at for period_id, unit_id, at in results}
    stale: dict[int, list[int]] = {}
    for (period_id, unit_id), last in sorted(changed.items()):
        at = computed.get((period_id, unit_id))
        if at is None or at < last:
            stale.setdefault(period_id, []).append(unit_id)
    return stale
