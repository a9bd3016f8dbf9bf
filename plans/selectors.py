"""Reads behind the plan pages: targets with their expected units, unmet indicators by agency, capital and works,
and the projection of when a unit reaches its next tier. Stored results only, a fixed number of queries each."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from communes.models import AdminUnit, Level
from criteria.models import Attainment, Indicator, Recognition, ReportingPeriod, RuleSet
from criteria.tiers import latest_period, period_key, recognised_on, tier_rank
from reports.models import YearTarget

from .models import Assignment, Capital, CapitalSource, ExpectedUnit, Work

# --- targets --------------------------------------------------------------------------------------------------


@dataclass
class ExpectedStatus:
    unit: AdminUnit
    reached: bool  # holds the tier now: recognised, or its latest stored result attains the set


@dataclass
class TargetRow:
    target: YearTarget
    expected: list[ExpectedStatus]

    @property
    def expected_reached(self) -> int:
        return sum(1 for e in self.expected if e.reached)


def _holds(unit_ids: list[int], day: dt.date) -> dict[int, int]:
    """unit id → the highest rung it holds on the day: recognised then, or attained in its latest stored result."""
    best: dict[int, int] = defaultdict(int)
    if not unit_ids:
        return best
    for r in Recognition.objects.filter(unit_id__in=unit_ids).select_related("rule_set"):
        if recognised_on(r, day):
            best[r.unit_id] = max(best[r.unit_id], tier_rank(r.rule_set.tier))
    rows = Attainment.objects.filter(unit_id__in=unit_ids, period__end__lte=day).values(
        "unit_id", "rule_set__tier", "attained", "period__end", "period__start", "period__year", "rule_set_id"
    )
    latest: dict[tuple[int, int], dict] = {}
    for row in rows:
        key = (row["unit_id"], row["rule_set_id"])
        mine = (row["period__end"], -row["period__start"].toordinal())
        if key not in latest or mine > latest[key]["_k"]:
            latest[key] = {**row, "_k": mine}
    for (unit_id, _rs), row in latest.items():
        if row["attained"]:
            best[unit_id] = max(best[unit_id], tier_rank(row["rule_set__tier"]))
    return best


def targets_of(*, province: AdminUnit, year: int, today: dt.date) -> list[TargetRow]:
    """The targets of the province and its districts for the year, each with its expected units (four queries)."""
    targets = list(
        YearTarget.objects.filter(unit__path__startswith=province.path, year=year)
        .select_related("unit", "rule_set")
        .prefetch_related(Prefetch("expected_units", queryset=ExpectedUnit.objects.select_related("unit")))
        .order_by("unit__path", "rule_set__level", "rule_set__code")
    )
    unit_ids = [e.unit_id for t in targets for e in t.expected_units.all()]
    holds = _holds(unit_ids, min(today, dt.date(year, 12, 31)))
    return [
        TargetRow(
            target=t,
            expected=[
                ExpectedStatus(unit=e.unit, reached=holds.get(e.unit_id, 0) >= tier_rank(t.rule_set.tier))
                for e in t.expected_units.all()
            ],
        )
        for t in targets
    ]


# --- unmet indicators by agency -------------------------------------------------------------------------------


@dataclass
class AssignmentRow:
    assignment: Assignment
    overdue: bool
    met_now: bool  # the unit's latest stored result meets the indicator


@dataclass
class AgencyGroup:
    agency: str
    rows: list[AssignmentRow] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)


def unmet_by_agency(*, unit: AdminUnit, today: dt.date, include_met: bool = False) -> list[AgencyGroup]:
    """Assignments in the unit's subtree grouped by agency: agencies with the most overdue first, and in each the
    overdue ones first, then by deadline. An indicator met in the latest result is left out (two queries)."""
    assignments = list(
        Assignment.objects.filter(unit__path__startswith=unit.path).select_related("unit", "indicator__rule_set")
    )
    status = _indicator_statuses(assignments)
    groups: dict[str, AgencyGroup] = {}
    for a in assignments:
        met_now = status.get((a.unit_id, a.indicator.rule_set_id), {}).get(a.indicator.code) == "met"
        if met_now and not include_met:
            continue
        groups.setdefault(a.agency, AgencyGroup(agency=a.agency)).rows.append(
            AssignmentRow(assignment=a, overdue=a.deadline < today and not met_now, met_now=met_now)
        )
    for group in groups.values():
        group.rows.sort(key=lambda r: (not r.overdue, r.assignment.deadline, r.assignment.unit.path))
    return sorted(groups.values(), key=lambda g: (-g.overdue, g.agency))


def _indicator_statuses(assignments: list[Assignment]) -> dict[tuple[int, int], dict[str, str]]:
    """(unit, rule set) → indicator code → status, from the latest stored result (one query)."""
    keys = {(a.unit_id, a.indicator.rule_set_id) for a in assignments}
    if not keys:
        return {}
    rows = Attainment.objects.filter(unit_id__in={k[0] for k in keys}, rule_set_id__in={k[1] for k in keys}).values(
        "unit_id", "rule_set_id", "indicator_status", "period__end", "period__start"
    )
    latest: dict[tuple[int, int], dict] = {}
    for row in rows:
        key = (row["unit_id"], row["rule_set_id"])
        mine = (row["period__end"], -row["period__start"].toordinal())
        if key in keys and (key not in latest or mine > latest[key]["_k"]):
            latest[key] = {**row, "_k": mine}
    return {
        key: {code: (s or {}).get("status") for code, s in (row["indicator_status"] or {}).items()}
        for key, row in latest.items()
    }


@dataclass
class UnmetIndicator:
    indicator: Indicator
    status: str
    assignment: Assignment | None


@dataclass
class UnitUnmet:
    result: Attainment | None
    rows: list[UnmetIndicator]


def unit_unmet(*, unit: AdminUnit, rule_set: RuleSet | None = None) -> list[UnitUnmet]:
    """For a commune: each rule set's latest result with its unmet indicators and who answers for each."""
    results = list(
        Attainment.objects.filter(unit=unit, **({"rule_set": rule_set} if rule_set else {}))
        .select_related("period", "rule_set")
        .order_by("rule_set_id", "-period__end", "period__start")
    )
    latest: dict[int, Attainment] = {}
    for row in results:
        latest.setdefault(row.rule_set_id, row)
    assignments = {(a.indicator_id): a for a in Assignment.objects.filter(unit=unit).select_related("indicator")}
    indicators = list(Indicator.objects.filter(rule_set_id__in=list(latest)).order_by("rule_set_id", "position"))
    out = []
    for rs_id, row in latest.items():
        if row.attained:
            continue
        status = row.indicator_status or {}
        rows = [
            UnmetIndicator(
                indicator=i,
                status=(status.get(i.code) or {}).get("status") or "no_data",
                assignment=assignments.get(i.pk),
            )
            for i in indicators
            if i.rule_set_id == rs_id and (status.get(i.code) or {}).get("status") != "met"
        ]
        out.append(UnitUnmet(result=row, rows=rows))
    return out


# --- capital and works ----------------------------------------------------------------------------------------


@dataclass
class Money:
    planned: Decimal = Decimal(0)
    disbursed: Decimal = Decimal(0)

    def add(self, planned: Decimal, disbursed: Decimal) -> None:
        self.planned += planned
        self.disbursed += disbursed

    @property
    def rate(self) -> int | None:
        """Disbursed as a share of the plan, in percent (None without a plan)."""
        return round(100 * self.disbursed / self.planned) if self.planned else None


@dataclass
class CapitalSummary:
    unit: AdminUnit
    year: int
    by_source: list[tuple[str, str, Money]]
    total: Money
    by_child: list[tuple[AdminUnit, Money]]
    rows: list[Capital]
    works: list[Work]
    behind: list[Work]


def capital_summary(*, unit: AdminUnit, year: int, today: dt.date) -> CapitalSummary:
    """Capital and works of the unit's subtree for a year: by source, by child unit, and the works behind
    schedule (three queries)."""
    rows = list(
        Capital.objects.filter(unit__path__startswith=unit.path, year=year)
        .select_related("unit")
        .order_by("unit__path", "source")
    )
    works = list(
        Work.objects.filter(unit__path__startswith=unit.path, year=year)
        .select_related("unit", "criterion")
        .order_by("planned_end", "unit__path", "name")
    )
    children = (
        {u.path: u for u in AdminUnit.objects.filter(parent=unit).order_by("path")}
        if unit.level < Level.COMMUNE
        else {}
    )
    sources = {s: Money() for s in CapitalSource.values}
    total = Money()
    per_child: dict[str, Money] = {path: Money() for path in children}
    for row in rows:
        sources[row.source].add(row.planned, row.disbursed)
        total.add(row.planned, row.disbursed)
        for path in children:
            if row.unit.path.startswith(path):
                per_child[path].add(row.planned, row.disbursed)
    return CapitalSummary(
        unit=unit,
        year=year,
        by_source=[(s, CapitalSource(s).label, sources[s]) for s in CapitalSource.values],
        total=total,
        by_child=[(children[p], per_child[p]) for p in children],
        rows=rows,
        works=works,
        behind=[w for w in works if w.behind_on(today)],
    )


# --- projection -----------------------------------------------------------------------------------------------

# At least this many reports are needed to say anything; with exactly two the trend has no spread to measure.
MIN_POINTS = 2


@dataclass
class Projection:
    """When a unit's indicators met would reach the set's total if they kept their trend. A projection only."""

    unit: AdminUnit
    rule_set: RuleSet
    points: list[tuple[ReportingPeriod, int]]
    total: int
    slope_per_year: float | None = None
    expected: dt.date | None = None
    earliest: dt.date | None = None
    latest: dt.date | None = None  # None with `expected` set: no upper bound (the trend may be flat)
    reason: str = ""  # why there is no projection, or why its uncertainty is unknown

    @property
    def remaining(self) -> int:
        return self.total - self.points[-1][1] if self.points else self.total


def _years(day: dt.date) -> float:
    return day.toordinal() / 365.25


def _day(years: float) -> dt.date | None:
    ordinal = round(years * 365.25)
    if not dt.date(2000, 1, 1).toordinal() <= ordinal <= dt.date(2100, 12, 31).toordinal():
        return None
    return dt.date.fromordinal(ordinal)


def project(unit: AdminUnit, rule_set: RuleSet, points: list[tuple[ReportingPeriod, int]], total: int) -> Projection:
    """Fit indicators met against time by least squares; the range uses the slope ± one standard error."""
    from django.utils.translation import gettext as _

    points = sorted(points, key=lambda p: period_key(p[0]))
    out = Projection(unit=unit, rule_set=rule_set, points=points, total=total)
    if points and points[-1][1] >= total:
        out.reason = _("Đã đạt đủ số chỉ tiêu.")
        return out
    if len({p.end for p, _n in points}) < MIN_POINTS:
        out.reason = _("Cần kết quả của ít nhất hai kỳ để thấy xu hướng.")
        return out
    xs = [_years(p.end) for p, _n in points]
    ys = [float(n) for _p, n in points]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    out.slope_per_year = slope
    if slope <= 0:
        out.reason = _("Số chỉ tiêu đạt không tăng qua các kỳ: không dự báo được.")
        return out
    last_x = xs[-1]
    remaining = total - ys[-1]
    out.expected = _day(last_x + remaining / slope)
    if n < 3:
        out.reason = _("Chỉ có hai kỳ: chưa ước lượng được độ bất định.")
        return out
    residual = sum((y - (my + slope * (x - mx))) ** 2 for x, y in zip(xs, ys, strict=True))
    se = math.sqrt(residual / (n - 2) / sxx)
    out.earliest = _day(last_x + remaining / (slope + se))
    out.latest = _day(last_x + remaining / (slope - se)) if slope - se > 0 else None
    return out


def projections(*, unit: AdminUnit) -> list[Projection]:
    """For the unit (a commune) or every commune under it: the projection towards the lowest tier it does not hold
    yet, from the stored results of every period (three queries)."""
    units = {
        u.pk: u
        for u in AdminUnit.objects.filter(path__startswith=unit.path, level=Level.COMMUNE, kind="xa").order_by("path")
    }
    if unit.level == Level.COMMUNE:
        units = {unit.pk: unit}
    rows = list(
        Attainment.objects.filter(unit_id__in=list(units))
        .select_related("period", "rule_set")
        .only(
            "unit_id",
            "indicators_met",
            "indicators_total",
            "attained",
            "period__code",
            "period__year",
            "period__kind",
            "period__quarter",
            "period__start",
            "period__end",
            "rule_set__code",
            "rule_set__name",
            "rule_set__tier",
            "rule_set__level",
            "rule_set__version",
        )
    )
    today = dt.date.today()
    held: dict[int, int] = defaultdict(int)
    for r in Recognition.objects.filter(unit_id__in=list(units)).select_related("rule_set"):
        if recognised_on(r, today):
            held[r.unit_id] = max(held[r.unit_id], tier_rank(r.rule_set.tier))
    series: dict[tuple[int, int], list[Attainment]] = defaultdict(list)
    for row in rows:
        series[(row.unit_id, row.rule_set_id)].append(row)
    for (unit_id, _rs), items in series.items():
        last = max(items, key=lambda a: period_key(a.period))
        if last.attained:
            held[unit_id] = max(held[unit_id], tier_rank(last.rule_set.tier))
    out = []
    for unit_id, u in units.items():
        candidates = [
            (key, items)
            for key, items in series.items()
            if key[0] == unit_id and tier_rank(items[0].rule_set.tier) > held[unit_id]
        ]
        if not candidates:
            continue
        key, items = min(candidates, key=lambda c: (tier_rank(c[1][0].rule_set.tier), c[1][0].rule_set.code))
        # One point per day: of two reports ending on the same day the official one (the year beats Q4).
        by_end: dict[dt.date, Attainment] = {}
        for a in sorted(items, key=lambda a: period_key(a.period)):
            by_end[a.period.end] = a
        points = [(a.period, a.indicators_met) for a in by_end.values()]
        last = latest_period([a.period for a in items])
        total = next(a.indicators_total for a in items if a.period_id == last.pk)
        out.append(project(u, items[0].rule_set, points, total))
    return out


# --- the brief the dashboards show ------------------------------------------------------------------------------


@dataclass
class PlanBrief:
    year: int
    money: Money
    behind: list[Work]
    behind_count: int


BRIEF_WORKS = 5


def plan_brief(*, unit: AdminUnit, year: int, today: dt.date) -> PlanBrief:
    """The disbursement rate and the works behind schedule of the unit's subtree for the year (two queries)."""
    from django.db.models import Sum

    totals = Capital.objects.filter(unit__path__startswith=unit.path, year=year).aggregate(
        planned=Sum("planned"), disbursed=Sum("disbursed")
    )
    behind = list(
        Work.objects.filter(unit__path__startswith=unit.path, year=year, finished_on__isnull=True)
        .filter(progress__lt=100, planned_end__lt=today)
        .select_related("unit")
        .order_by("planned_end", "unit__path")
    )
    return PlanBrief(
        year=year,
        money=Money(planned=totals["planned"] or Decimal(0), disbursed=totals["disbursed"] or Decimal(0)),
        behind=behind[:BRIEF_WORKS],
        behind_count=len(behind),
    )
