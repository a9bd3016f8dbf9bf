"""Reads behind the district and province dashboards, and the tier ladder shared with the commune page.

Stored attainment only. Each dashboard runs a fixed number of queries whatever the number of units in the
subtree (pinned by tests): the subtree's results are loaded in one light query and picked in memory.

A unit's row in a dashboard is its latest stored result for each rule set "as of" the chosen period (the
latest period that ends on or before it), so a commune that reported at 6 months still counts in a 9-month
view of its district; the row says which period it comes from when it is not the chosen one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from django.utils import timezone

from communes.models import AdminUnit, Kind, Level
from criteria.models import (
    Attainment,
    Criterion,
    Indicator,
    Recognition,
    ReportingPeriod,
    RuleSet,
    Submission,
    Tier,
)
from criteria.tiers import (
    LADDER,  # noqa: F401  (re-exported for the pages)
    TIER_BUCKETS,
    TIER_RANK,  # noqa: F401
    baseline_period,
    held_tier,
    highest_tier,
    latest_as_of,
    period_key,
    recognised_on,
    tier_bucket,
    tier_rank,
)

from .models import YearTarget

NO_SUBMISSION = "none"

LIGHT_FIELDS = (
    "id",
    "unit_id",
    "rule_set_id",
    "period_id",
    "criteria_met",
    "criteria_total",
    "indicators_met",
    "indicators_total",
    "criteria_met_approved",
    "indicators_met_approved",
    "conditions_met",
    "conditions_total",
    "no_data",
    "attained",
    "prerequisite_met",
    "computed_at",
)


def tier_label(tier: str | None) -> str:
    from django.utils.translation import gettext as _

    return {
        Tier.NTM: _("NTM"),
        Tier.NANG_CAO: _("NTM nâng cao"),
        Tier.KIEU_MAU: _("NTM kiểu mẫu"),
        Tier.COMPLETED: _("Hoàn thành nhiệm vụ NTM"),
        Tier.SMART: _("Thông minh"),
    }.get(tier or "", _("Chưa đạt bậc nào"))


@dataclass(frozen=True)
class Start:
    """A stored result as the start-of-year baseline of a later one."""

    period: ReportingPeriod
    criteria_met: int
    indicators_met: int
    conditions_met: int
    attained: bool

    @classmethod
    def of(cls, row, period: ReportingPeriod) -> Start:
        get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
        return cls(
            period=period,
            criteria_met=get("criteria_met"),
            indicators_met=get("indicators_met"),
            conditions_met=get("conditions_met"),
            attained=get("attained"),
        )


@dataclass
class Cell:
    """One unit's stored result for one rule set: the counts, and those of the first period of its year."""

    id: int
    unit_id: int
    rule_set: RuleSet
    period: ReportingPeriod
    criteria_met: int
    criteria_total: int
    indicators_met: int
    indicators_total: int
    criteria_met_approved: int
    indicators_met_approved: int
    conditions_met: int
    conditions_total: int
    no_data: int
    attained: bool
    prerequisite_met: bool
    computed_at: dt.datetime
    start: Start | None = None  # the result "so với đầu năm" compares with (criteria.tiers.baseline_period)
    criteria_status: dict = field(default_factory=dict)
    missing: list = field(default_factory=list)

    @property
    def change_criteria(self) -> int | None:
        return None if self.start is None else self.criteria_met - self.start.criteria_met

    @property
    def change_indicators(self) -> int | None:
        return None if self.start is None else self.indicators_met - self.start.indicators_met

    @property
    def change_conditions(self) -> int | None:
        return None if self.start is None else self.conditions_met - self.start.conditions_met

    @property
    def change_attained(self) -> str:
        """ "gained" / "lost" when the attained flag changed since the start of the year, else ""."""
        if self.start is None or self.start.attained == self.attained:
            return ""
        return "gained" if self.attained else "lost"

    @property
    def missing_indicators(self) -> int:
        return self.indicators_total - self.indicators_met

    @property
    def missing_criteria(self) -> int:
        return self.criteria_total - self.criteria_met

    @property
    def all_approved(self) -> bool:
        """Every indicator met rests on an approved value: the headline needs no "(n đã duyệt)"."""
        return self.indicators_met_approved == self.indicators_met

    @property
    def missing_conditions(self) -> int:
        return self.conditions_total - self.conditions_met

    @property
    def distance(self) -> int:
        """What is left to reach this set: missing indicators plus unmet conditions."""
        return self.missing_indicators + self.missing_conditions

    @property
    def has_criteria(self) -> bool:
        return bool(self.criteria_total) or not self.conditions_total


@dataclass
class NextTier:
    rule_set: RuleSet
    cell: Cell


@dataclass
class Standing:
    """Where a unit stands on its ladder: the tier its results reach and the tier it is recognised at."""

    reached: str | None
    recognised: str | None
    next: NextTier | None

    @property
    def current(self) -> str | None:
        """The higher of both: a recognised tier is held until revoked, as the engine holds it."""
        return held_tier(self.reached, self.recognised)


def standing_for(cells: list[Cell], recognised_sets: list[RuleSet]) -> Standing:
    reached = highest_tier(cell.rule_set.tier for cell in cells if cell.attained)
    recognised = highest_tier(rule_set.tier for rule_set in recognised_sets)
    held = max(tier_rank(reached), tier_rank(recognised))
    candidates = [c for c in cells if not c.attained and tier_rank(c.rule_set.tier) > held]
    nxt = None
    if candidates:
        cell = min(candidates, key=lambda c: (tier_rank(c.rule_set.tier), c.distance))
        nxt = NextTier(rule_set=cell.rule_set, cell=cell)
    return Standing(reached=reached, recognised=recognised, next=nxt)


@dataclass
class UnitRow:
    unit: AdminUnit
    cells: dict[int, Cell]  # rule set id → cell
    standing: Standing
    submission: str = NO_SUBMISSION
    period_note: ReportingPeriod | None = None  # set when the row's results come from an earlier period
    parent: AdminUnit | None = None

    def cell(self, rule_set: RuleSet | None) -> Cell | None:
        return self.cells.get(rule_set.pk) if rule_set else None


@dataclass
class SubtreeState:
    """Everything loaded once for a subtree dashboard."""

    unit: AdminUnit
    ancestors: list[AdminUnit]
    periods: list[ReportingPeriod]
    period: ReportingPeriod | None
    units: list[AdminUnit]
    rule_sets: dict[int, RuleSet]
    rows: dict[int, UnitRow]  # unit id → row (every unit of the subtree down to communes)
    history: list[dict]  # light attainment rows of every period up to the chosen one
    recognitions: list[Recognition]

    def rows_at(self, level: int, *, rural_only: bool = False) -> list[UnitRow]:
        out = [r for r in self.rows.values() if r.unit.level == level and r.unit.pk != self.unit.pk]
        if rural_only:
            out = [r for r in out if r.unit.kind == Kind.XA]
        return sorted(out, key=lambda r: r.unit.path)


def _primary_set(rows: list[UnitRow]) -> RuleSet | None:
    """The set most of the rows have a result for; sets of criteria before sets made only of conditions."""
    counter: Counter[int] = Counter()
    sets: dict[int, RuleSet] = {}
    with_criteria: set[int] = set()
    for row in rows:
        for rs_id, cell in row.cells.items():
            counter[rs_id] += 1
            sets[rs_id] = cell.rule_set
            if cell.criteria_total:
                with_criteria.add(rs_id)
    if not counter:
        return None
    best = max(counter, key=lambda rs_id: (rs_id in with_criteria, counter[rs_id], -tier_rank(sets[rs_id].tier)))
    return sets[best]


def subtree_periods(unit: AdminUnit) -> list[ReportingPeriod]:
    with_results = Attainment.objects.filter(unit__path__startswith=unit.path).values("period_id")
    return list(ReportingPeriod.objects.filter(pk__in=with_results))


def load_subtree(*, unit: AdminUnit, period_code: str | None, down_to: int = Level.COMMUNE) -> SubtreeState:
    """Seven queries: ancestors, periods, units, rule sets, light results, heavy results, recognitions."""
    ancestors = list(AdminUnit.objects.ancestors_of(unit).order_by("level"))
    periods = subtree_periods(unit)
    if period_code:
        period = next((p for p in periods if p.code == period_code), None)
    else:
        period = periods[-1] if periods else None
    units = list(AdminUnit.objects.filter(path__startswith=unit.path, level__lte=down_to).order_by("path"))
    by_id = {u.pk: u for u in units}
    rule_sets = {rs.pk: rs for rs in RuleSet.objects.all()}
    period_by_id = {p.pk: p for p in periods}
    rows: dict[int, UnitRow] = {}
    history: list[dict] = []
    recognitions = list(
        Recognition.objects.filter(unit__path__startswith=unit.path, unit__level__lte=down_to).select_related(
            "rule_set"
        )
    )
    if period is not None:
        history = list(
            Attainment.objects.filter(
                unit__path__startswith=unit.path, unit__level__lte=down_to, period__end__lte=period.end
            ).values(*LIGHT_FIELDS)
        )
    history = [h for h in history if h["period_id"] in period_by_id]
    # latest result as of the period for each (unit, set), and the one "so với đầu năm" compares it with
    by_key: dict[tuple[int, int], dict[int, dict]] = defaultdict(dict)
    for h in history:
        by_key[(h["unit_id"], h["rule_set_id"])][h["period_id"]] = h
    latest: dict[tuple[int, int], dict] = {}
    baselines: dict[tuple[int, int], Start] = {}
    for key, by_period in by_key.items():
        own_periods = [period_by_id[pk] for pk in by_period]
        last = latest_as_of(own_periods, period) if period is not None else None
        if last is None:
            continue
        latest[key] = by_period[last.pk]
        base = baseline_period(own_periods, last)
        if base is not None:
            baselines[key] = Start.of(by_period[base.pk], base)
    heavy = {}
    if latest:
        heavy = {
            a["id"]: a
            for a in Attainment.objects.filter(id__in=[h["id"] for h in latest.values()]).values(
                "id", "criteria_status", "missing"
            )
        }
    cells_by_unit: dict[int, dict[int, Cell]] = defaultdict(dict)
    for (unit_id, rs_id), h in latest.items():
        p = period_by_id[h["period_id"]]
        start = baselines.get((unit_id, rs_id))
        values = {k: h[k] for k in LIGHT_FIELDS if k not in ("unit_id", "rule_set_id", "period_id")}
        cells_by_unit[unit_id][rs_id] = Cell(
            unit_id=unit_id,
            rule_set=rule_sets[rs_id],
            period=p,
            start=start,
            criteria_status=heavy.get(h["id"], {}).get("criteria_status") or {},
            missing=heavy.get(h["id"], {}).get("missing") or [],
            **values,
        )
    day = period.end if period is not None else timezone.localdate()
    recognised_by_unit: dict[int, list[RuleSet]] = defaultdict(list)
    for recognition in recognitions:
        if recognised_on(recognition, day):
            recognised_by_unit[recognition.unit_id].append(recognition.rule_set)
    for u in units:
        cells = cells_by_unit.get(u.pk, {})
        row = UnitRow(
            unit=u,
            cells=cells,
            standing=standing_for(list(cells.values()), recognised_by_unit.get(u.pk, [])),
            parent=by_id.get(u.parent_id),
        )
        if period is not None and cells and all(c.period.pk != period.pk for c in cells.values()):
            row.period_note = max((c.period for c in cells.values()), key=period_key)
        rows[u.pk] = row
    return SubtreeState(
        unit=unit,
        ancestors=ancestors,
        periods=periods,
        period=period,
        units=units,
        rule_sets=rule_sets,
        rows=rows,
        history=history,
        recognitions=recognitions,
    )


def tiers_as_of(state: SubtreeState, rows: list[UnitRow], period: ReportingPeriod) -> Counter:
    """How many of the rows stand at each tier as of a period (from the history already loaded)."""
    period_by_id = {p.pk: p for p in state.periods}
    unit_ids = {r.unit.pk for r in rows}
    by_key: dict[tuple[int, int], dict[int, dict]] = defaultdict(dict)
    for h in state.history:
        if h["unit_id"] in unit_ids:
            by_key[(h["unit_id"], h["rule_set_id"])][h["period_id"]] = h
    reached: dict[int, list[str]] = defaultdict(list)
    for (unit_id, rs_id), by_period in by_key.items():
        last = latest_as_of([period_by_id[pk] for pk in by_period], period)
        if last is not None and by_period[last.pk]["attained"]:
            reached[unit_id].append(state.rule_sets[rs_id].tier)
    recognised: dict[int, list[str]] = defaultdict(list)
    for recognition in state.recognitions:
        if recognition.unit_id in unit_ids and recognised_on(recognition, period.end):
            recognised[recognition.unit_id].append(recognition.rule_set.tier)
    counts: Counter = Counter()
    for row in rows:
        pk = row.unit.pk
        counts[tier_bucket(held_tier(highest_tier(reached[pk]), highest_tier(recognised[pk])))] += 1
    return counts


def tier_counts(rows: list[UnitRow]) -> dict[str, int]:
    counts = Counter(tier_bucket(r.standing.current) for r in rows)
    return {tier: counts.get(tier, 0) for tier in TIER_BUCKETS}


def cumulative(counts: dict[str, int]) -> dict[str, int]:
    """Units at each tier or above, from counts by highest tier: a commune at nâng cao counts as NTM too, so
    moving up a tier is never a loss ("91/91 xã đạt chuẩn NTM, trong đó 3 nâng cao"). "" stays "no tier yet"."""
    return {
        tier: counts.get(tier, 0) if not tier else sum(n for t, n in counts.items() if tier_rank(t) >= tier_rank(tier))
        for tier in TIER_BUCKETS
    }


@dataclass
class Headline:
    """The cumulative counts a headline reads: held (reached or recognised) and recognised by decision."""

    total: int
    held: dict[str, int]
    recognised: dict[str, int]

    @property
    def percent(self) -> dict[str, int]:
        return {t: round(100 * n / self.total) if self.total else 0 for t, n in self.held.items()}


def headline(rows: list[UnitRow]) -> Headline:
    recognised = Counter(tier_bucket(r.standing.recognised) for r in rows)
    return Headline(
        total=len(rows),
        held=cumulative(tier_counts(rows)),
        recognised=cumulative({t: recognised.get(t, 0) for t in TIER_BUCKETS}),
    )


# --- the district dashboard ------------------------------------------------------------------------


@dataclass
class MissingIndicator:
    code: str
    text: str
    count: int = 0
    units: list[AdminUnit] = field(default_factory=list)


@dataclass
class DerivedCondition:
    """A district condition computed from its communes: "≥ 40% of communes meet nâng cao" → 2 of 6."""

    indicator: Indicator
    status: str
    share: float | None
    target: float | None
    have: int
    total: int
    needed: int  # more units needed to meet the target
    level: int = Level.COMMUNE


@dataclass
class DistrictDashboard:
    state: SubtreeState
    communes: list[UnitRow]
    child_sets: list[RuleSet]
    primary: RuleSet | None
    criteria: list[Criterion]  # of the primary set, for the heat map
    indicator_text: dict[str, str]  # primary set: code → text
    own: OwnResults
    tiers: dict[str, int]

    @property
    def unit(self) -> AdminUnit:
        return self.state.unit

    @property
    def headline(self) -> Headline:
        return headline([r for r in self.communes if r.unit.kind == Kind.XA])

    @property
    def period(self) -> ReportingPeriod | None:
        return self.state.period

    def closest(self, limit: int = 5) -> list[UnitRow]:
        """Communes missing the fewest indicators to their next tier (those already at the top left out)."""
        ranked = [r for r in self.communes if r.standing.next is not None]
        ranked.sort(key=lambda r: (r.standing.next.cell.distance, r.unit.name))
        return ranked[:limit]


def _sets_of(rows: list[UnitRow]) -> list[RuleSet]:
    sets = {cell.rule_set.pk: cell.rule_set for row in rows for cell in row.cells.values()}
    return sorted(sets.values(), key=lambda rs: (tier_rank(rs.tier), rs.code))


def _submissions(rows: list[UnitRow], period: ReportingPeriod | None) -> None:
    if period is None or not rows:
        return
    by_unit = {r.unit.pk: r for r in rows}
    for unit_id, status in Submission.objects.filter(unit_id__in=list(by_unit), period=period).values_list(
        "unit_id", "status"
    ):
        by_unit[unit_id].submission = status


def _derived_conditions(indicators: list[Indicator], status: dict) -> list[DerivedCondition]:
    """The conditions computed from the children, as the recompute stored them: the share, the count behind
    it ("have" of "total") and how many more units the target needs. Nothing is recounted here."""
    out = []
    levels = {"commune": Level.COMMUNE, "district": Level.DISTRICT, "village": Level.VILLAGE}
    for indicator in indicators:
        spec = indicator.derived or {}
        if spec.get("from") != "children":
            continue
        entry = status.get(indicator.code) or {}
        have, total = entry.get("have") or 0, entry.get("total") or 0
        target = (entry.get("target") or indicator.target or {}).get("value")
        target_value = float(target) if isinstance(target, int | float) else None
        needed = 0
        if target_value is not None and total:
            needed = max(0, math.ceil(target_value * total / 100 - 1e-9) - have)
        out.append(
            DerivedCondition(
                indicator=indicator,
                status=entry.get("status", "no_data"),
                share=entry.get("value"),
                target=target_value,
                have=have,
                total=total,
                needed=needed,
                level=levels.get(spec.get("level"), Level.COMMUNE),
            )
        )
    return out


@dataclass
class OwnResults:
    """The dashboard unit's own rule sets: counts, derived conditions and the indicators still missing."""

    row: UnitRow
    sets: list[RuleSet]
    missing: list[MissingIndicator]
    derived: list[DerivedCondition]

    @property
    def cells(self) -> list[Cell]:
        return [self.row.cells[rs.pk] for rs in self.sets]


def _own_results(state: SubtreeState, indicators: list[Indicator]) -> OwnResults:
    """One query (the own results' indicator status) beyond the indicators the caller loaded."""
    own = state.rows[state.unit.pk]
    own_sets = sorted((c.rule_set for c in own.cells.values()), key=lambda rs: (tier_rank(rs.tier), rs.code))
    own_status = {
        a["rule_set_id"]: a["indicator_status"]
        for a in Attainment.objects.filter(id__in=[c.id for c in own.cells.values()]).values(
            "rule_set_id", "indicator_status"
        )
    }
    missing: list[MissingIndicator] = []
    derived: list[DerivedCondition] = []
    for rs in own_sets:
        texts = {i.code: i for i in indicators if i.rule_set_id == rs.pk}
        missing.extend(
            MissingIndicator(code=code, text=texts[code].text)
            for code in own.cells[rs.pk].missing
            if code in texts and not texts[code].derived
        )
        derived.extend(
            _derived_conditions(
                [i for i in indicators if i.rule_set_id == rs.pk and i.derived], own_status.get(rs.pk, {})
            )
        )
    return OwnResults(row=own, sets=own_sets, missing=missing, derived=derived)


def district_dashboard(*, unit: AdminUnit, period_code: str | None = None) -> DistrictDashboard:
    """Twelve queries whatever the number of communes."""
    state = load_subtree(unit=unit, period_code=period_code)
    communes = state.rows_at(Level.COMMUNE)
    _submissions(communes, state.period)
    child_sets = _sets_of(communes)
    primary = _primary_set(communes)
    own_set_ids = set(state.rows[unit.pk].cells)
    wanted = own_set_ids | ({primary.pk} if primary else set())
    criteria = list(Criterion.objects.filter(rule_set=primary).order_by("position", "id"))
    indicators = list(Indicator.objects.filter(rule_set_id__in=wanted).order_by("rule_set_id", "position", "id"))
    own = _own_results(state, indicators)
    return DistrictDashboard(
        state=state,
        communes=communes,
        child_sets=child_sets,
        primary=primary,
        criteria=criteria,
        indicator_text={i.code: i.text for i in indicators if primary and i.rule_set_id == primary.pk},
        own=own,
        tiers=tier_counts([r for r in communes if r.unit.kind == Kind.XA]),
    )


# --- the province dashboard ------------------------------------------------------------------------


@dataclass
class DistrictSummary:
    row: UnitRow
    communes: list[UnitRow]
    tiers: dict[str, int]
    start_tiers: dict[str, int]

    @property
    def rural(self) -> int:
        return sum(self.tiers.values())

    @property
    def held(self) -> dict[str, int]:
        return cumulative(self.tiers)

    @property
    def start_held(self) -> dict[str, int]:
        return cumulative(self.start_tiers)


@dataclass
class TargetProgress:
    target: YearTarget
    have: int
    start: int

    @property
    def gained(self) -> int:
        return self.have - self.start

    @property
    def goal(self) -> int:
        return self.target.count if not self.target.additional else self.start + self.target.count

    @property
    def percent(self) -> int:
        wanted = self.target.count
        done = self.gained if self.target.additional else self.have
        return min(100, round(100 * done / wanted)) if wanted else 100

    @property
    def done(self) -> int:
        return self.gained if self.target.additional else self.have


@dataclass
class ProvinceDashboard:
    state: SubtreeState
    districts: list[DistrictSummary]
    communes: list[UnitRow]
    district_sets: list[RuleSet]
    district_primary: RuleSet | None
    commune_primary: RuleSet | None
    district_criteria: list[Criterion]
    most_missing: list[MissingIndicator]
    tiers: dict[str, int]
    start_tiers: dict[str, int]
    district_tiers: dict[str, int]
    start_district_tiers: dict[str, int]
    targets: list[TargetProgress]
    trend: list[tuple[ReportingPeriod, dict[str, int]]]
    start_period: ReportingPeriod | None
    own: OwnResults

    @property
    def unit(self) -> AdminUnit:
        return self.state.unit

    @property
    def period(self) -> ReportingPeriod | None:
        return self.state.period

    @property
    def headline(self) -> Headline:
        return headline(self.communes)

    @property
    def held(self) -> dict[str, int]:
        return cumulative(self.tiers)

    @property
    def start_held(self) -> dict[str, int]:
        return cumulative(self.start_tiers)

    @property
    def district_held(self) -> dict[str, int]:
        return cumulative(self.district_tiers)

    @property
    def start_district_held(self) -> dict[str, int]:
        return cumulative(self.start_district_tiers)


def _start_of_year(state: SubtreeState) -> ReportingPeriod | None:
    """The last period that ends before the chosen period's year: the "start of the year" standing."""
    if state.period is None:
        return None
    before = [p for p in state.periods if p.end < dt.date(state.period.year, 1, 1)]
    return before[-1] if before else None


def _as_of(state: SubtreeState, rows: list[UnitRow], period: ReportingPeriod | None) -> dict[str, int]:
    if period is None:
        return {tier: (len(rows) if tier == "" else 0) for tier in TIER_BUCKETS}
    counts = tiers_as_of(state, rows, period)
    return {tier: counts.get(tier, 0) for tier in TIER_BUCKETS}


def province_dashboard(*, unit: AdminUnit, period_code: str | None = None) -> ProvinceDashboard:
    """Eleven queries whatever the number of districts and communes."""
    state = load_subtree(unit=unit, period_code=period_code)
    districts = state.rows_at(Level.DISTRICT)
    communes = state.rows_at(Level.COMMUNE, rural_only=True)
    _submissions(districts, state.period)
    start_period = _start_of_year(state)
    district_primary = _primary_set(districts)
    commune_primary = _primary_set(communes)
    criteria = list(Criterion.objects.filter(rule_set=district_primary).order_by("position", "id"))
    wanted = set(state.rows[unit.pk].cells) | ({commune_primary.pk} if commune_primary else set())
    indicators = list(Indicator.objects.filter(rule_set_id__in=wanted).order_by("rule_set_id", "position", "id"))
    own = _own_results(state, indicators)
    texts = {i.code: i.text for i in indicators if commune_primary and i.rule_set_id == commune_primary.pk}
    by_district: dict[int, list[UnitRow]] = defaultdict(list)
    for row in communes:
        by_district[row.unit.parent_id].append(row)
    summaries = [
        DistrictSummary(
            row=d,
            communes=by_district.get(d.unit.pk, []),
            tiers=tier_counts(by_district.get(d.unit.pk, [])),
            start_tiers=_as_of(state, by_district.get(d.unit.pk, []), start_period),
        )
        for d in districts
    ]
    missing_counter: dict[str, MissingIndicator] = {}
    for row in communes:
        cell = row.cell(commune_primary)
        if cell is None:
            continue
        for code in cell.missing:
            item = missing_counter.setdefault(code, MissingIndicator(code=code, text=texts.get(code, "")))
            item.count += 1
            item.units.append(row.unit)
    most_missing = sorted(missing_counter.values(), key=lambda m: (-m.count, m.code))[:10]
    year = state.period.year if state.period else timezone.localdate().year
    targets = []
    for target in YearTarget.objects.filter(unit=unit, year=year).select_related("rule_set"):
        pool = communes if target.rule_set.level == Level.COMMUNE else districts
        rank = tier_rank(target.rule_set.tier)
        have = sum(1 for r in pool if tier_rank(r.standing.current) >= rank)
        start_counts = _as_of(state, pool, start_period)
        start = sum(n for tier, n in start_counts.items() if tier_rank(tier) >= rank)
        targets.append(TargetProgress(target=target, have=have, start=start))
    # Cumulative, as the headline: a commune moving up stays in the lower tiers' lines.
    trend = [
        (p, cumulative(_as_of(state, communes, p))) for p in state.periods if state.period and p.end <= state.period.end
    ]
    return ProvinceDashboard(
        state=state,
        districts=summaries,
        communes=communes,
        district_sets=_sets_of(districts),
        district_primary=district_primary,
        commune_primary=commune_primary,
        district_criteria=criteria,
        most_missing=most_missing,
        tiers=tier_counts(communes),
        start_tiers=_as_of(state, communes, start_period),
        district_tiers=tier_counts(districts),
        start_district_tiers=_as_of(state, districts, start_period),
        targets=targets,
        trend=trend,
        start_period=start_period,
        own=own,
    )


def results_stamp(unit: AdminUnit) -> str:
    """A value that changes whenever recompute writes or deletes a result in the unit's subtree (or a
    recognition changes): chart data is cached under it, so the cache lasts until the next recompute."""
    results = Attainment.objects.filter(unit__path__startswith=unit.path).aggregate(
        last=Max("computed_at"), n=Count("id")
    )
    recognitions = Recognition.objects.filter(
        Q(unit__path__startswith=unit.path) | Q(unit__path__in=unit.ancestor_paths())
    ).aggregate(last=Max("id"), n=Count("id"))
    last = results["last"].isoformat() if results["last"] else "-"
    return f"{last}:{results['n']}:{recognitions['last']}:{recognitions['n']}"
