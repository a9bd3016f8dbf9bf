"""Reads behind the entry and review pages, each in a fixed number of queries (pinned by tests)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from communes.access import Rights
from communes.models import AdminUnit, Level
from criteria import engine
from criteria import selectors as criteria_selectors
from criteria.catalog import Catalog, RuleSetEntry
from criteria.models import (
    Attainment,
    Criterion,
    Evidence,
    Indicator,
    IndicatorValue,
    ReportingPeriod,
    Submission,
    ValueChange,
    ValueKind,
    ValueStatus,
)

from .services import display_value, format_number

EDITS = (ValueChange.Action.SAVE, ValueChange.Action.IMPORT)


def unit_context(unit: AdminUnit, period: ReportingPeriod) -> engine.Context:
    return criteria_selectors.unit_context(unit, period)


def applied_target(entry: RuleSetEntry, indicator: Indicator, context: engine.Context) -> dict:
    """The target that applies to this unit (its region, the year, its attributes)."""
    return engine.resolve_target(indicator.target, context, engine.effective_region(entry.spec, context))


_OP_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}


def describe(indicator: Indicator, applied: dict) -> str:
    """ "≥ 80%", "≥ 76.611 triệu đồng", "Có / Đạt": the target in the notation officials write."""
    op, value = applied.get("op"), applied.get("value")
    if op == "yes":
        return _("Có / Đạt")
    if op == "no":
        return _("Không")
    if indicator.kind == ValueKind.PERCENT:
        suffix = "%"
    else:
        suffix = f" {indicator.unit_label}" if indicator.unit_label else ""
    if op == "between" and isinstance(value, list | tuple) and len(value) == 2:
        low, high = (format_number(Decimal(str(v))) for v in value)
        return _("từ %(low)s đến %(high)s") % {"low": low, "high": high} + suffix
    if value is None:
        return ""
    return f"{_OP_SYMBOLS.get(op, op)} {format_number(Decimal(str(value)))}{suffix}"


def target_label(indicator: Indicator, applied: dict) -> tuple[str, bool]:
    """The official text of the target, unless an override (region, year, attribute) applies to this unit."""
    override = bool(applied.get("when"))
    if override or not indicator.target_text:
        return describe(indicator, applied), override
    return indicator.target_text, False


def meets(applied: dict, kind: str, number, boolean) -> bool | None:
    value = boolean if kind == ValueKind.BOOL else number
    return engine.compare(applied["op"], value, applied.get("value"))


# --- the entry page -----------------------------------------------------------------------------------------------


@dataclass
class EntryRow:
    indicator: Indicator
    target: dict
    target_text: str
    target_override: bool
    previous: str = ""
    value: IndicatorValue | None = None
    raw: str = ""
    note: str = ""
    version: int = 0
    status: str = ""
    return_reason: str = ""
    met: bool | None = None
    evidence_count: int = 0
    derived_value: str = ""
    error: str = ""
    conflict: str = ""
    reason: str = ""
    initial_raw: str = ""  # as shown when the page was loaded: only fields that differ from it are saved
    initial_note: str = ""

    @property
    def prefix(self) -> str:
        return f"v{self.indicator.pk}"

    @property
    def derived(self) -> bool:
        return bool(self.indicator.derived)

    @property
    def needs_reason(self) -> bool:
        return self.status == ValueStatus.APPROVED

    @property
    def target_bound(self) -> str:
        """The applied bound for the page's script ("80", or "10 20" for between); plain dot decimals."""
        value = self.target.get("value")
        if isinstance(value, list | tuple):
            return " ".join(str(v) for v in value)
        return "" if value is None else str(value)

    @property
    def status_label(self) -> str:
        return ValueStatus(self.status).label if self.status else ""

    @property
    def is_empty(self) -> bool:
        """Typed by the official and still without a value (derived indicators are never typed)."""
        return not self.derived and self.value is None

    @property
    def is_unmet(self) -> bool:
        return self.met is False

    @property
    def is_returned(self) -> bool:
        return self.status == ValueStatus.RETURNED

    def shown_by(self, show: str) -> bool:
        """Whether the row passes the page's filter ("" everything, "empty", "unmet", "returned"); a row with an
        error stays on the page whatever the filter."""
        if self.error or self.conflict:
            return True
        if show == "empty":
            return self.is_empty
        if show == "unmet":
            return self.is_unmet
        if show == "returned":
            return self.is_returned
        return True


# The entry page's filters: the query value and what the official reads.
ENTRY_FILTERS = ("empty", "unmet", "returned")


@dataclass
class CriterionGroup:
    criterion: Criterion | None
    rows: list[EntryRow] = field(default_factory=list)
    shown: list[EntryRow] | None = None  # the rows that pass the page's filter; None: all of them

    @property
    def visible_rows(self) -> list[EntryRow]:
        return self.rows if self.shown is None else self.shown

    @property
    def typed(self) -> list[EntryRow]:
        return [row for row in self.rows if not row.derived]

    @property
    def entered(self) -> int:
        return sum(1 for row in self.typed if row.value is not None)

    @property
    def anchor(self) -> str:
        return f"c{self.criterion.pk}" if self.criterion else ""


@dataclass
class SetBlock:
    entry: RuleSetEntry
    groups: list[CriterionGroup]

    @property
    def rows(self) -> list[EntryRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def typed(self) -> list[EntryRow]:
        """The indicators the official types (derived ones are computed from the units below)."""
        return [row for row in self.rows if not row.derived]

    @property
    def entered(self) -> int:
        return sum(1 for row in self.typed if row.value is not None)

    @property
    def empty(self) -> list[EntryRow]:
        return [row for row in self.typed if row.value is None]

    @property
    def visible_groups(self) -> list[CriterionGroup]:
        return [g for g in self.groups if g.visible_rows]


@dataclass
class EntryPage:
    unit: AdminUnit
    period: ReportingPeriod
    blocks: list[SetBlock]
    submission: Submission | None
    can_edit: bool
    previous_period: str = ""
    show: str = ""  # the filter in force ("", "empty", "unmet", "returned")

    @property
    def rows(self) -> list[EntryRow]:
        return [row for block in self.blocks for row in block.rows]

    def row_for(self, indicator_id: int) -> EntryRow | None:
        return next((r for r in self.rows if r.indicator.pk == indicator_id), None)

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(ValueStatus.values, 0)
        seen = set()
        for row in self.rows:
            if row.value is not None and row.value.pk not in seen:
                seen.add(row.value.pk)
                out[row.status] += 1
        return out

    @property
    def editable(self) -> bool:
        return self.can_edit and not self.locked

    @cached_property
    def locked(self) -> bool:
        return self.period.is_locked_for(self.unit)

    @property
    def can_submit(self) -> bool:
        counts = self.counts
        return self.editable and bool(counts[ValueStatus.DRAFT] + counts[ValueStatus.RETURNED])

    @property
    def filter_counts(self) -> dict[str, int]:
        """How many rows each filter keeps: shown on the filter links."""
        rows = self.rows
        return {
            "empty": sum(1 for r in rows if r.is_empty),
            "unmet": sum(1 for r in rows if r.is_unmet),
            "returned": sum(1 for r in rows if r.is_returned),
        }

    @property
    def empty_count(self) -> int:
        return sum(len(block.empty) for block in self.blocks)

    @property
    def first_input(self) -> EntryRow | None:
        """The first row the official types in, shown by the filter: the skip link's target."""
        for block in self.blocks:
            for group in block.visible_groups:
                for row in group.visible_rows:
                    if not row.derived:
                        return row
        return None

    def apply_filter(self, show: str) -> str:
        """Keep only the rows of one kind on the page (the counters still count every row); returns the filter
        in force, "" for an unknown one."""
        show = show if show in ENTRY_FILTERS else ""
        for block in self.blocks:
            for group in block.groups:
                group.shown = [row for row in group.rows if row.shown_by(show)] if show else None
        self.show = show
        return show


def entry_page(
    *, unit: AdminUnit, period: ReportingPeriod, rights: Rights, catalog: Catalog | None = None
) -> EntryPage:
    """The indicators of every rule set that applies to the unit in the period, with targets and values.

    Queries: three for the catalog, then values, previous values, derived results and the submission.
    `period` may be unsaved (no value entered yet): then nothing but the catalog is read.
    """
    catalog = catalog or Catalog()
    context = unit_context(unit, period)
    values: dict[int, IndicatorValue] = {}
    previous: dict[int, tuple] = {}
    derived: dict[int, dict] = {}
    submission = None
    previous_code = ""
    if period.pk:
        values = {
            v.indicator_id: v
            for v in IndicatorValue.objects.filter(unit=unit, period=period).annotate(evidence_count=Count("evidence"))
        }
        for indicator_id, number, boolean, code in (
            IndicatorValue.objects.filter(unit=unit, period__end__lt=period.end)
            .order_by("-period__end", "-period__start")
            .values_list("indicator_id", "number", "boolean", "period__code")
        ):
            previous.setdefault(indicator_id, (number, boolean, code))
            previous_code = previous_code or code
        derived = {
            a.rule_set_id: a.indicator_status
            for a in Attainment.objects.filter(unit=unit, period=period).only("rule_set_id", "indicator_status")
        }
        submission = Submission.objects.filter(unit=unit, period=period).first()
    blocks = []
    for entry in catalog.applicable(unit, period):
        groups: dict[int | None, CriterionGroup] = {c.pk: CriterionGroup(c) for c in entry.criteria}
        for indicator in entry.indicators:
            applied = applied_target(entry, indicator, context)
            text, override = target_label(indicator, applied)
            row = EntryRow(indicator=indicator, target=applied, target_text=text, target_override=override)
            if indicator.derived:
                stored = (derived.get(entry.rule_set.pk) or {}).get(indicator.code) or {}
                if stored.get("value") is not None:
                    raw = stored["value"]
                    row.derived_value = (
                        display_value(ValueKind.BOOL, None, raw)
                        if isinstance(raw, bool)
                        else format_number(Decimal(str(raw)))
                    )
                    row.met = stored.get("status") == engine.MET
            value = values.get(indicator.pk)
            if value is not None and not indicator.derived:
                row.value = value
                row.raw = display_value(indicator.kind, value.number, value.boolean)
                row.note = value.note
                row.version = value.version
                row.status = value.status
                row.return_reason = value.return_reason
                row.evidence_count = value.evidence_count
                row.met = meets(applied, indicator.kind, value.number, value.boolean)
                row.initial_raw, row.initial_note = row.raw, row.note
            if indicator.pk in previous:
                number, boolean, code = previous[indicator.pk]
                row.previous = display_value(indicator.kind, number, boolean)
            groups.setdefault(indicator.criterion_id, CriterionGroup(None)).rows.append(row)
        ordered = [g for g in groups.values() if g.criterion is not None and g.rows]
        if None in groups:
            ordered.append(groups[None])
        blocks.append(SetBlock(entry=entry, groups=ordered))
    return EntryPage(
        unit=unit,
        period=period,
        blocks=blocks,
        submission=submission,
        can_edit=rights.can_edit(unit),
        previous_period=previous_code,
    )


# --- one value: history and evidence ------------------------------------------------------------------------------


@dataclass
class HistoryRow:
    change: ValueChange
    old: str
    new: str


@dataclass
class ValuePage:
    unit: AdminUnit
    period: ReportingPeriod
    indicator: Indicator
    value: IndicatorValue | None
    history: list[HistoryRow]
    evidence: list[Evidence]

    @property
    def current_text(self) -> str:
        if self.value is None:
            return ""
        return display_value(self.indicator.kind, self.value.number, self.value.boolean)


def value_page(*, unit: AdminUnit, period: ReportingPeriod, indicator: Indicator) -> ValuePage:
    """Three queries: the value, its history (with users), its evidence."""
    value = (
        IndicatorValue.objects.filter(unit=unit, period=period, indicator=indicator)
        .select_related("updated_by")
        .first()
    )
    history: list[HistoryRow] = []
    evidence: list[Evidence] = []
    if value is not None:
        kind = indicator.kind
        for change in value.changes.select_related("user").order_by("-at", "-id"):
            history.append(
                HistoryRow(
                    change=change,
                    old=display_value(kind, change.old_number, change.old_boolean),
                    new=display_value(kind, change.new_number, change.new_boolean),
                )
            )
        evidence = list(value.evidence.select_related("uploaded_by"))
    return ValuePage(unit=unit, period=period, indicator=indicator, value=value, history=history, evidence=evidence)


# --- review -----------------------------------------------------------------------------------------------------


@dataclass
class Effect:
    rule_set_name: str
    before: tuple[int, int]
    after: tuple[int, int]
    totals: tuple[int, int]

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class QueueRow:
    submission: Submission
    waiting: int
    changed: int
    effects: list[Effect]

    @property
    def unit(self) -> AdminUnit:
        return self.submission.unit


def _baselines(value_rows: list[tuple], changes: list[tuple]) -> tuple[dict[int, tuple], set[int]]:
    """Per value id: its state as last approved (or before its first recorded edit), and which values changed.

    A value with no history at all (loaded from a file before the review workflow) is its own baseline.
    """
    history: dict[int, list[tuple]] = defaultdict(list)
    for row in changes:
        history[row[0]].append(row)
    baseline: dict[int, tuple] = {}
    changed: set[int] = set()
    for value_id, number, boolean in value_rows:
        current = (number, boolean)
        base: tuple | None = None
        edited = False
        for _vid, action, old_number, old_boolean, new_number, new_boolean in history.get(value_id, ()):
            if action == ValueChange.Action.APPROVE:
                base, edited = (new_number, new_boolean), False
            elif action in EDITS:
                if base is None:
                    base = (old_number, old_boolean)
                edited = True
        base = current if base is None else base
        baseline[value_id] = base
        if edited and base != current:
            changed.add(value_id)
    return baseline, changed


def _effects(
    unit: AdminUnit,
    period: ReportingPeriod,
    catalog: Catalog,
    current: dict[int, tuple],
    before: dict[int, tuple],
    stored: dict[int, Attainment],
) -> list[Effect]:
    """What the submission does to the unit's counts: evaluated in memory with and without the changes.

    The counts shown are the stored ones (what the unit page says), moved back by the difference, so indicators
    computed from the children count the same in both.
    """
    context = unit_context(unit, period)
    out = []
    for entry in catalog.applicable(unit, period):
        if not entry.spec.criteria:
            continue
        ids = {i.pk: i for i in entry.indicators}
        if not any(pk in current for pk in ids):
            continue

        def engine_values(states, ids=ids):
            return {
                ids[pk].code: catalog.engine_value(ids[pk], *state)
                for pk, state in states.items()
                if pk in ids and state != (None, None)
            }

        after = engine.evaluate(entry.spec, engine_values(current), context)
        prior = engine.evaluate(entry.spec, engine_values(before), context)
        row = stored.get(entry.rule_set.pk)
        shown = (row.criteria_met, row.indicators_met) if row else (after.criteria_met, after.indicators_met)
        delta = (after.criteria_met - prior.criteria_met, after.indicators_met - prior.indicators_met)
        out.append(
            Effect(
                rule_set_name=entry.rule_set.short_name or entry.rule_set.name,
                before=(shown[0] - delta[0], shown[1] - delta[1]),
                after=shown,
                totals=(after.criteria_total, after.indicators_total),
            )
        )
    return out


def _scope_filter(rights: Rights) -> Q | None:
    if rights.is_admin:
        return Q()
    paths = rights.review_paths
    if not paths:
        return None
    condition = Q()
    for path in paths:
        condition |= Q(unit__path__startswith=path) & ~Q(unit__path=path)
    return condition


def review_queue(*, rights: Rights, period: ReportingPeriod, catalog: Catalog | None = None) -> list[QueueRow]:
    """Submissions of the units below the reviewer's, waiting ones first: a fixed number of queries."""
    condition = _scope_filter(rights)
    if condition is None or not period.pk:
        return []
    submissions = list(
        Submission.objects.filter(condition, period=period)
        .exclude(status=Submission.Status.DRAFT)
        .select_related("unit", "submitted_by")
        .order_by("unit__path")
    )
    if not submissions:
        return []
    catalog = catalog or Catalog()
    unit_ids = [s.unit_id for s in submissions]
    rows = list(
        IndicatorValue.objects.filter(period=period, unit_id__in=unit_ids).values_list(
            "pk", "unit_id", "indicator_id", "number", "boolean", "status"
        )
    )
    changes = list(
        ValueChange.objects.filter(value__period=period, value__unit_id__in=unit_ids)
        .order_by("at", "id")
        .values_list("value_id", "action", "old_number", "old_boolean", "new_number", "new_boolean")
    )
    baseline, changed = _baselines([(r[0], r[3], r[4]) for r in rows], changes)
    stored: dict[int, dict[int, Attainment]] = defaultdict(dict)
    for a in Attainment.objects.filter(period=period, unit_id__in=unit_ids).only(
        "unit_id", "rule_set_id", "criteria_met", "indicators_met"
    ):
        stored[a.unit_id][a.rule_set_id] = a
    by_unit: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_unit[row[1]].append(row)
    out = []
    for submission in submissions:
        unit_rows = by_unit.get(submission.unit_id, [])
        current = {r[2]: (r[3], r[4]) for r in unit_rows}
        before = {r[2]: baseline[r[0]] for r in unit_rows}
        out.append(
            QueueRow(
                submission=submission,
                waiting=sum(1 for r in unit_rows if r[5] == ValueStatus.SUBMITTED),
                changed=sum(1 for r in unit_rows if r[0] in changed),
                effects=_effects(submission.unit, period, catalog, current, before, stored[submission.unit_id]),
            )
        )
    order = {Submission.Status.SUBMITTED: 0, Submission.Status.RETURNED: 1, Submission.Status.APPROVED: 2}
    out.sort(key=lambda r: (order.get(r.submission.status, 3), r.unit.path))
    return out


def units_not_submitted(*, rights: Rights, period: ReportingPeriod, limit: int = 200) -> tuple[list[AdminUnit], int]:
    """The communes below the reviewer that have not submitted for the period yet (two queries), at most `limit`."""
    if rights.is_admin:
        return [], 0  # a country's worth of communes is no list; administrators see the province pages
    paths = rights.review_paths
    if not paths:
        return [], 0
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path) & ~Q(path=path)
    units = AdminUnit.objects.filter(condition, level=Level.COMMUNE).select_related("parent")
    if period.pk:
        sent = Submission.objects.filter(period=period).exclude(status=Submission.Status.DRAFT).values("unit_id")
        units = units.exclude(pk__in=sent)
    found = list(units.order_by("path")[: limit + 1])
    return found[:limit], len(found)


@dataclass
class ReviewRow:
    value: IndicatorValue
    target_text: str
    before: str
    current: str
    changed: bool
    met: bool | None
    evidence: list[Evidence]
    error: str = ""
    decision: str = ""
    reason: str = ""
    entry: RuleSetEntry | None = None
    criterion: Criterion | None = None

    @property
    def waiting(self) -> bool:
        return self.value.status == ValueStatus.SUBMITTED

    @property
    def unit_label(self) -> str:
        """What the number counts: "%", "triệu đồng", or the indicator's own unit ("km", "người")."""
        indicator = self.value.indicator
        if indicator.kind == ValueKind.PERCENT:
            return "%"
        if indicator.kind == ValueKind.AMOUNT:
            return indicator.unit_label or _("triệu đồng")
        if indicator.kind == ValueKind.BOOL:
            return ""
        return indicator.unit_label


@dataclass
class ReviewGroup:
    """The waiting values of one rule set, by criterion: "2.1" of xã NTM and "2.1" of nâng cao never mix."""

    name: str
    criteria: list[tuple[Criterion | None, list[ReviewRow]]]

    @property
    def count(self) -> int:
        return sum(len(rows) for _c, rows in self.criteria)


@dataclass
class ReviewPage:
    unit: AdminUnit
    period: ReportingPeriod
    submission: Submission | None
    rows: list[ReviewRow]
    effects: list[Effect]

    @property
    def waiting(self) -> list[ReviewRow]:
        return [r for r in self.rows if r.waiting]

    @property
    def others(self) -> list[ReviewRow]:
        return [r for r in self.rows if not r.waiting]

    @property
    def waiting_groups(self) -> list[ReviewGroup]:
        groups: dict[object, dict[object, list[ReviewRow]]] = {}
        names: dict[object, str] = {}
        criteria: dict[object, Criterion | None] = {}
        for row in self.waiting:
            key = row.entry.code if row.entry else None
            names[key] = (
                (row.entry.rule_set.short_name or row.entry.rule_set.name) if row.entry else _("Bộ tiêu chí khác")
            )
            ckey = row.criterion.pk if row.criterion else None
            criteria[ckey] = row.criterion
            groups.setdefault(key, {}).setdefault(ckey, []).append(row)
        return [
            ReviewGroup(names[key], [(criteria[ckey], rows) for ckey, rows in by_criterion.items()])
            for key, by_criterion in groups.items()
        ]


def review_page(*, unit: AdminUnit, period: ReportingPeriod, catalog: Catalog | None = None) -> ReviewPage:
    catalog = catalog or Catalog()
    context = unit_context(unit, period)
    submission = Submission.objects.filter(unit=unit, period=period).select_related("submitted_by").first()
    values = list(
        IndicatorValue.objects.filter(unit=unit, period=period)
        .select_related("indicator")
        .order_by("indicator__rule_set_id", "indicator__position", "indicator_id")
    )
    changes = list(
        ValueChange.objects.filter(value__unit=unit, value__period=period)
        .order_by("at", "id")
        .values_list("value_id", "action", "old_number", "old_boolean", "new_number", "new_boolean")
    )
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    for item in Evidence.objects.filter(value__unit=unit, value__period=period):
        evidence[item.value_id].append(item)
    baseline, changed = _baselines([(v.pk, v.number, v.boolean) for v in values], changes)
    stored = {a.rule_set_id: a for a in Attainment.objects.filter(unit=unit, period=period)}
    entry_of = {}
    criterion_of: dict[int, Criterion] = {}
    for entry in catalog.applicable(unit, period):
        for indicator in entry.indicators:
            entry_of[indicator.pk] = entry
        for criterion in entry.criteria:
            criterion_of[criterion.pk] = criterion
    rows = []
    for value in values:
        entry = entry_of.get(value.indicator_id)
        indicator = catalog.indicator_by_id.get(value.indicator_id, value.indicator)
        applied = applied_target(entry, indicator, context) if entry else indicator.target
        text, _override = target_label(indicator, applied)
        rows.append(
            ReviewRow(
                value=value,
                target_text=text,
                before=display_value(indicator.kind, *baseline[value.pk]),
                current=display_value(indicator.kind, value.number, value.boolean),
                changed=value.pk in changed,
                met=meets(applied, indicator.kind, value.number, value.boolean) if entry else None,
                evidence=evidence.get(value.pk, []),
                entry=entry,
                criterion=criterion_of.get(indicator.criterion_id),
            )
        )
    # By rule set (in the catalog's order), then criterion and indicator, as on the entry form.
    order = {pk: i for i, pk in enumerate(entry_of)}
    rows.sort(key=lambda r: order.get(r.value.indicator_id, len(order)))
    effects = _effects(
        unit,
        period,
        catalog,
        {v.indicator_id: (v.number, v.boolean) for v in values},
        {v.indicator_id: baseline[v.pk] for v in values},
        stored,
    )
    return ReviewPage(unit=unit, period=period, submission=submission, rows=rows, effects=effects)


def describe_effect(effect: Effect) -> str:
    return _("%(name)s: từ %(b)d/%(t)d lên %(a)d/%(t)d chỉ tiêu") % {
        "name": effect.rule_set_name,
        "b": effect.before[1],
        "a": effect.after[1],
        "t": effect.totals[1],
    }
