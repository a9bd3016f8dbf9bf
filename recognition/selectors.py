"""Reads behind the recognition pages: a unit's recognitions and dossiers, and the dossiers of a subtree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from communes.models import AdminUnit
from criteria.models import Attainment, Recognition, RuleSet
from criteria.tiers import PERIOD_ORDER_LATEST_FIRST, recognised_on, valid_on

from .models import OPEN_STAGES, Dossier


def unit_by_code(code: str, *, on=None) -> AdminUnit | None:
    """The unit a code names on a day: after the 2025 reform a code may name an old and a new unit, so the
    one valid on the day wins, else the latest one."""
    day = on or timezone.localdate()
    units = list(AdminUnit.objects.filter(code=code))
    for unit in units:
        if valid_on(unit, day):
            return unit
    return max(units, key=lambda u: u.valid_from or dt.date.min, default=None)


@dataclass
class Eligible:
    rule_set: RuleSet
    result: Attainment


@dataclass
class UnitRecognitions:
    unit: AdminUnit
    recognitions: list[Recognition]
    dossiers: list[Dossier]
    eligible: list[Eligible]  # sets whose latest stored result is attained, with no open dossier nor recognition
    rule_sets: list[RuleSet]  # sets of the unit's level (for the acknowledgement form)


def unit_recognitions(*, unit: AdminUnit) -> UnitRecognitions:
    """Five queries: recognitions, dossiers, results, rule sets (and the unit itself, already read)."""
    today = timezone.localdate()
    recognitions = list(
        Recognition.objects.filter(unit=unit).select_related("rule_set", "revoked_by").order_by("-decision_date", "-id")
    )
    dossiers = list(Dossier.objects.filter(unit=unit).select_related("rule_set", "recognition"))
    order = tuple(("-" if o.startswith("-") else "") + "period__" + o.lstrip("-") for o in PERIOD_ORDER_LATEST_FIRST)
    latest: dict[int, Attainment] = {}
    for row in Attainment.objects.filter(unit=unit).select_related("period", "rule_set").order_by(*order):
        latest.setdefault(row.rule_set_id, row)
    held = {r.rule_set.code for r in recognitions if recognised_on(r, today)}
    in_progress = {d.rule_set_id for d in dossiers if d.stage in OPEN_STAGES}
    eligible = [
        Eligible(rule_set=row.rule_set, result=row)
        for row in latest.values()
        if row.attained and row.rule_set.code not in held and row.rule_set_id not in in_progress
    ]
    rule_sets = list(RuleSet.objects.filter(level=unit.level).order_by("code", "-version"))
    return UnitRecognitions(
        unit=unit, recognitions=recognitions, dossiers=dossiers, eligible=eligible, rule_sets=rule_sets
    )


def subtree_dossiers(*, unit: AdminUnit) -> list[Dossier]:
    """The dossiers of the units under `unit`, open ones first, then the latest."""
    rows = list(
        Dossier.objects.filter(unit__path__startswith=unit.path)
        .select_related("unit", "rule_set", "recognition")
        .order_by("-opened_on", "-id")
    )
    return sorted(rows, key=lambda d: d.stage not in OPEN_STAGES)
