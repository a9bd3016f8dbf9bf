"""Plan pages: yearly targets (province), unmet indicators by agency, capital and works, projections. Thin views:
authorise, parse, call one service or selector, render. Units outside the reader's scope answer 404; a change the
reader may not make answers 403; a refused change answers 400 with the message next to its field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from communes.access import rights_for, scope_for
from communes.models import Level
from criteria.models import Criterion, Indicator, RuleSet
from ntm_tracker.tabular import FileRejected
from recognition.selectors import unit_by_code

from . import forms, importers, selectors, services


def _unit(request, code, *, levels=None):
    unit = unit_by_code(code)
    if unit is None or not scope_for(request.user).covers(unit) or (levels and unit.level not in levels):
        raise Http404(_("Không tìm thấy đơn vị."))
    return unit


def _year(request, default: int) -> int:
    raw = request.GET.get("year") or ""
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return default


def _target_sets():
    return list(RuleSet.objects.filter(level__in=[Level.DISTRICT, Level.COMMUNE]).order_by("level", "code", "-version"))


@login_required
@require_http_methods(["GET", "POST"])
def targets(request, code):
    """The yearly targets of a province and its districts, with the units expected to reach a tier this year."""
    province = _unit(request, code, levels=(Level.PROVINCE,))
    today = timezone.localdate()
    year = _year(request, today.year)
    may_set = services.may_set_targets(request.user, province)
    rule_sets = _target_sets()
    form = forms.TargetForm(
        request.POST or None,
        rule_sets=rule_sets,
        initial={"unit_code": province.code, "year": year, "additional": True},
    )
    status = 200
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied(_("Chỉ văn phòng điều phối tỉnh được đặt mục tiêu năm."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                target = services.target_set(
                    user=request.user,
                    province=province,
                    unit_code=data["unit_code"],
                    year=data["year"],
                    rule_set=next(rs for rs in rule_sets if rs.pk == data["rule_set"]),
                    count=data["count"],
                    additional=data["additional"],
                    note=data["note"],
                    expected_codes=form.expected_codes(),
                )
            except services.NotAllowed as exc:
                raise PermissionDenied(exc.message) from exc
            except services.PlanError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Đã lưu mục tiêu năm %(y)s.") % {"y": target.year})
                return redirect(f"{request.path}?year={target.year}")
        status = 400
    rows = selectors.targets_of(province=province, year=year, today=today)
    return render(
        request,
        "plans/targets.html",
        {
            "unit": province,
            "year": year,
            "rows": rows,
            "form": form if may_set else None,
            "page_is_demo": any(r.target.is_demo for r in rows),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def responsibility(request, code):
    """Unmet indicators by responsible agency, overdue first; for a commune, who answers for each unmet one."""
    unit = _unit(request, code)
    today = timezone.localdate()
    may_assign = services.may_assign(request.user, unit)
    bound = None
    status = 200
    if request.method == "POST":
        if not may_assign:
            raise PermissionDenied(_("Bạn không có quyền giao chỉ tiêu của đơn vị này."))
        bound = forms.AssignForm(request.POST)
        if bound.is_valid():
            data = bound.cleaned_data
            indicator = Indicator.objects.filter(pk=data["indicator"]).first()
            try:
                if indicator is None:
                    raise services.PlanError(_("Không tìm thấy chỉ tiêu."), field="indicator")
                services.assignment_set(
                    user=request.user,
                    unit=unit,
                    indicator=indicator,
                    agency=data["agency"],
                    deadline=data["deadline"],
                    note=data["note"],
                )
            except services.NotAllowed as exc:
                raise PermissionDenied(exc.message) from exc
            except services.PlanError as exc:
                bound.add_error(
                    exc.field if exc.field in bound.fields and exc.field != "indicator" else None, exc.message
                )
            else:
                messages.success(
                    request, _("Đã giao chỉ tiêu %(c)s cho %(a)s.") % {"c": indicator.code, "a": data["agency"]}
                )
                return redirect("plans:responsibility", unit.code)
        status = 400
    groups = selectors.unmet_by_agency(unit=unit, today=today)
    unmet = selectors.unit_unmet(unit=unit) if unit.level >= Level.COMMUNE else []
    bound_indicator = bound.data.get("indicator") if bound is not None else None
    for block in unmet:
        for row in block.rows:
            if bound is not None and str(row.indicator.pk) == str(bound_indicator):
                row.form = bound
            elif may_assign:
                initial = {"indicator": row.indicator.pk}
                if row.assignment:
                    initial.update(
                        agency=row.assignment.agency, deadline=row.assignment.deadline, note=row.assignment.note
                    )
                else:
                    initial.update(agency=row.indicator.agency)
                row.form = forms.AssignForm(initial=initial, auto_id=f"id_{row.indicator.pk}_%s")
    demo = any(r.assignment.is_demo for g in groups for r in g.rows)
    return render(
        request,
        "plans/responsibility.html",
        {
            "unit": unit,
            "groups": groups,
            "unmet": unmet,
            "today": today,
            "may_assign": may_assign,
            "page_is_demo": demo,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def capital(request, code):
    """Capital by source and essential works for a year; entry on a commune's page, import from Excel anywhere."""
    unit = _unit(request, code)
    today = timezone.localdate()
    year = _year(request, today.year)
    may_enter = services.may_enter_capital(request.user, unit)
    criteria = (
        list(
            Criterion.objects.filter(rule_set__level=Level.COMMUNE)
            .select_related("rule_set")
            .order_by("rule_set__code", "position")
        )
        if unit.level == Level.COMMUNE
        else []
    )
    capital_form = forms.CapitalForm(initial={"year": year})
    work_form = forms.WorkForm(initial={"year": year}, criteria=criteria)
    import_form = forms.ImportForm()
    problems = []
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "import":
            if not _may_import(request.user):
                raise PermissionDenied(_("Bạn không có quyền nhập nguồn vốn."))
            import_form = forms.ImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                upload = import_form.cleaned_data["file"]
                try:
                    result = importers.capital_import(
                        user=request.user, unit=unit, data=upload.read(5 * 2**20 + 1), filename=upload.name
                    )
                except FileRejected as exc:
                    problems = exc.problems
                else:
                    messages.success(request, _("Đã nhập %(n)d dòng nguồn vốn.") % {"n": result.saved})
                    return redirect(f"{request.path}?year={year}")
        elif action in ("capital", "work"):
            if not may_enter or unit.level != Level.COMMUNE:
                raise PermissionDenied(_("Bạn không có quyền nhập nguồn vốn của đơn vị này."))
            form = (
                forms.CapitalForm(request.POST)
                if action == "capital"
                else forms.WorkForm(request.POST, criteria=criteria)
            )
            if action == "capital":
                capital_form = form
            else:
                work_form = form
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if action == "capital":
                        services.capital_set(user=request.user, unit=unit, **data)
                    else:
                        criterion = next((c for c in criteria if c.pk == data.pop("criterion")), None)
                        services.work_set(user=request.user, unit=unit, criterion=criterion, **data)
                except services.NotAllowed as exc:
                    raise PermissionDenied(exc.message) from exc
                except services.PlanError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    messages.success(request, _("Đã lưu."))
                    return redirect(f"{request.path}?year={data['year']}")
        else:
            problems = [_("Yêu cầu không hợp lệ.")]
        status = 400
    summary = selectors.capital_summary(unit=unit, year=year, today=today)
    demo = any(r.is_demo for r in summary.rows) or any(w.is_demo for w in summary.works)
    return render(
        request,
        "plans/capital.html",
        {
            "unit": unit,
            "year": year,
            "summary": summary,
            "today": today,
            "may_enter": may_enter and unit.level == Level.COMMUNE,
            "may_import": _may_import(request.user),
            "capital_form": capital_form,
            "work_form": work_form,
            "import_form": import_form,
            "problems": problems,
            "page_is_demo": demo,
        },
        status=status,
    )


def _may_import(user) -> bool:
    """Whoever enters data somewhere may send a file; each row is then checked against the unit it names."""
    return rights_for(user).enters_data


@login_required
@require_GET
def projection(request, code):
    """When each commune would reach its next tier if its indicators kept their trend: a projection, said so."""
    unit = _unit(request, code)
    rows = selectors.projections(unit=unit)
    return render(request, "plans/projection.html", {"unit": unit, "rows": rows})
