"""Reads behind the home page (what to do now, by role) and the unit search. Each in a fixed number of queries."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from communes.access import EDIT_OWN_UNIT_ROLES, EDIT_SUBTREE_ROLES, Rights, visible_units
from communes.models import AdminUnit
from criteria.models import IndicatorValue, PeriodLock, RecomputeRun, ReportingPeriod, Submission, ValueStatus
from notifications.models import Notification

SEARCH_LIMIT = 50


def fold(text: str) -> str:
    """Lower case without diacritics: "Đồng Tâm" → "dong tam", so a search typed on any keyboard finds it."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).lower().split())


@dataclass
class SearchResult:
    units: list[AdminUnit]
    total: int


def unit_search(*, user, query: str) -> SearchResult:
    """Units the user may see whose name (diacritics ignored) holds every word typed, or whose code starts with
    the digits typed. One query: names are folded in Python, so the same works on SQLite and PostgreSQL."""
    query = fold(query.strip())[:100]
    if not query:
        return SearchResult([], 0)
    units = visible_units(user)
    if query.isdigit():
        found = list(units.filter(code__startswith=query).select_related("parent").order_by("level", "code"))
    else:
        words = query.split()
        rows = units.values_list("pk", "name")
        ids = [pk for pk, name in rows if all(word in fold(name) for word in words)]
        found = list(AdminUnit.objects.filter(pk__in=ids[:500]).select_related("parent").order_by("level", "name"))
        # the whole name typed comes first ("dong tam" before "dong tam a")
        found.sort(key=lambda u: (fold(u.name).split(" ", 1)[-1] != query, u.level, u.name))
    return SearchResult(found[:SEARCH_LIMIT], len(found))


# --- the home page -----------------------------------------------------------------------------------------------


@dataclass
class Worklist:
    open_periods: list[tuple[ReportingPeriod, list[AdminUnit]]] = field(default_factory=list)
    entry_units: list[AdminUnit] = field(default_factory=list)
    returned: list[IndicatorValue] = field(default_factory=list)
    waiting: list[Submission] = field(default_factory=list)
    recently_locked: list[PeriodLock] = field(default_factory=list)
    runs: list[RecomputeRun] = field(default_factory=list)
    unread: list[Notification] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.open_periods or self.returned or self.waiting or self.runs or self.unread)


def _provinces(rights: Rights) -> set[str]:
    return {path.split("/", 1)[0] for _role, path in rights.grants}


def worklist(*, user, rights: Rights) -> Worklist:
    """What the user should do now: periods open for entry, values returned with their reasons, submissions waiting
    for review, periods recently locked, recomputes running."""
    out = Worklist()
    out.unread = list(
        Notification.objects.filter(user=user, read_at__isnull=True).select_related("unit", "period")[:20]
    )
    provinces = _provinces(rights)
    entry_paths = [path for role, path in rights.grants if role in EDIT_SUBTREE_ROLES | EDIT_OWN_UNIT_ROLES]
    if entry_paths:
        units = [u for u in AdminUnit.objects.filter(path__in=entry_paths).order_by("path") if rights.can_edit(u)]
        out.entry_units = units
        periods = list(
            ReportingPeriod.objects.with_lock_for(*units).filter(locked=False).order_by("-end", "-start")[:4]
        )
        # each open period with the units still open in it (a province may have locked it for its own)
        out.open_periods = [
            (p, open_units) for p in periods if (open_units := [u for u in units if not p.is_locked_for(u)])
        ]
        condition = Q()
        for path in entry_paths:
            condition |= Q(unit__path__startswith=path)
        out.returned = list(
            IndicatorValue.objects.filter(condition, status=ValueStatus.RETURNED)
            .select_related("unit", "period", "indicator", "updated_by")
            .order_by("-updated_at")[:20]
        )
    if rights.is_admin or rights.review_paths:
        condition = Q()
        for path in rights.review_paths:
            condition |= Q(unit__path__startswith=path) & ~Q(unit__path=path)
        out.waiting = list(
            Submission.objects.filter(condition, status=Submission.Status.SUBMITTED)
            .select_related("unit", "period")
            .annotate(
                n=Count(
                    "unit__values",
                    filter=Q(unit__values__status=ValueStatus.SUBMITTED, unit__values__period=F("period")),
                )
            )
            .order_by("submitted_at")[:20]
        )
    if provinces or rights.is_admin:
        locks = PeriodLock.objects.select_related("period", "province").order_by("-locked_at")
        if not rights.is_admin:
            locks = locks.filter(province__code__in=provinces)
        out.recently_locked = list(locks[:3])
    if rights.is_admin or rights.coordinator_paths:
        runs = RecomputeRun.objects.filter(
            status__in=[RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING]
        ).select_related("period", "unit")
        if not rights.is_admin:
            runs = runs.filter(Q(unit__code__in=provinces) | Q(unit__isnull=True))
        out.runs = list(runs.order_by("-created_at")[:5])
    return out
