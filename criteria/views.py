"""The recompute-runs page: full recomputes with their progress, started by a provincial coordinator
(for the province they coordinate) or an administrator (for the whole country)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from communes.access import memberships_for
from communes.models import AdminUnit, Role

from .models import RecomputeRun, ReportingPeriod, RuleSet
from .ruleset_export import override_lines, rule_set_contents
from .services import recompute_run_active, recompute_run_create
from .tasks import queue_run
from .tiers import PERIOD_ORDER_LATEST_FIRST

RUNS_SHOWN = 30


@dataclass(frozen=True)
class RecomputeAccess:
    """Who may start runs, and for which part of the tree (one query for the memberships)."""

    nationwide: bool
    units: tuple[AdminUnit, ...]  # the units the user coordinates

    @property
    def allowed(self) -> bool:
        return self.nationwide or bool(self.units)

    def runs(self):
        runs = RecomputeRun.objects.select_related("period", "unit", "requested_by")
        if self.nationwide:
            return runs
        # Their own subtrees, and the nationwide runs that also recompute them.
        condition = Q(unit__isnull=True)
        for unit in self.units:
            condition |= Q(unit__path__startswith=unit.path)
        return runs.filter(condition)


def recompute_access(user) -> RecomputeAccess:
    if user.is_superuser:
        return RecomputeAccess(nationwide=True, units=())
    units, nationwide = [], False
    for membership in memberships_for(user):
        if membership.role == Role.ADMINISTRATOR:
            nationwide = True
        elif membership.role == Role.PROVINCIAL_COORDINATOR:
            units.append(membership.unit)
    return RecomputeAccess(nationwide=nationwide, units=tuple(units))


def _authorised(request) -> RecomputeAccess:
    access = recompute_access(request.user)
    if not access.allowed:
        raise PermissionDenied(_("Chỉ văn phòng điều phối tỉnh và quản trị hệ thống được tính lại."))
    return access


@login_required
@require_http_methods(["GET", "POST"])
def recompute_runs(request):
    access = _authorised(request)
    periods = list(ReportingPeriod.objects.filter(values__isnull=False).distinct().order_by(*PERIOD_ORDER_LATEST_FIRST))
    scopes = ([("", _("Cả nước"))] if access.nationwide else []) + [(u.code, u.name) for u in access.units]
    errors = {}
    if request.method == "POST":
        period_code = request.POST.get("period", "")
        scope_code = request.POST.get("scope", "")
        period = next((p for p in periods if p.code == period_code), None)
        if period_code != "all" and period is None:
            errors["period"] = _("Chọn một kỳ có số liệu, hoặc mọi kỳ.")
        if scope_code not in {code for code, _name in scopes}:
            errors["scope"] = _("Chọn địa bàn bạn được phép tính lại.")
        if not errors:
            unit = next((u for u in access.units if u.code == scope_code), None)
            running = recompute_run_active(period=period, unit=unit)
            if running is not None:
                messages.info(request, _("Lần tính lại #%(id)s cho phạm vi này đang chạy.") % {"id": running.id})
                return redirect("criteria:recompute-runs")
            with transaction.atomic():
                run = recompute_run_create(period=period, unit=unit, user=request.user, trigger="manual")
                queue_run(run)
            messages.success(request, _("Đã bắt đầu lần tính lại #%(id)s.") % {"id": run.id})
            return redirect("criteria:recompute-runs")
    runs = list(access.runs()[:RUNS_SHOWN])
    return render(
        request,
        "criteria/recompute_runs.html",
        {
            "runs": runs,
            "periods": periods,
            "scopes": scopes,
            "errors": errors,
            "posted": request.POST if request.method == "POST" else {},
            "active": any(r.status in (RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING) for r in runs),
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def recompute_run_progress(request, pk: int):
    """What the page polls while a run goes on."""
    access = _authorised(request)
    run = get_object_or_404(access.runs(), pk=pk)
    return JsonResponse(
        {
            "id": run.id,
            "status": run.status,
            "status_label": run.get_status_display(),
            "units_done": run.units_done,
            "units_total": run.units_total,
            "percent": run.percent,
            "error": run.error,
        }
    )


# --------------------------------------------------------------------------- rule-set pages (read-only)


@login_required
@require_GET
def rule_set_list(request):
    """Every rule set and its versions; every signed-in user reads them."""
    rule_sets = RuleSet.objects.order_by("level", "code", "-version").only(
        "code", "version", "name", "level", "tier", "programme_period", "status", "verified", "valid_from"
    )
    return render(request, "criteria/rule_set_list.html", {"rule_sets": rule_sets})


@login_required
@require_GET
def rule_set_detail(request, code: str, version: int):
    """One version: criteria, indicators in full, targets with their overrides, ranges, verified marks."""
    rule_set = get_object_or_404(RuleSet, code=code, version=version)
    criteria, conditions = rule_set_contents(rule_set)
    versions = RuleSet.objects.filter(code=code).order_by("version").values_list("version", "status")
    for criterion in criteria:
        for indicator in criterion.ordered_indicators:
            indicator.override_rows = override_lines(indicator)
    for indicator in conditions:
        indicator.override_rows = override_lines(indicator)
    return render(
        request,
        "criteria/rule_set_detail.html",
        {
            "rule_set": rule_set,
            "criteria": criteria,
            "conditions": conditions,
            "versions": list(versions),
            "sources": rule_set.sources,
        },
    )
