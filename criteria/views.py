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

from .models import RecomputeRun, ReportingPeriod
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
