"""Entry, evidence, review and period views: they parse, authorise, call one service or selector, render.

A unit outside the user's scope answers 404, like an unknown code; a unit the user sees but may not change or
review answers 403.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communes.access import Rights, rights_for
from communes.models import AdminUnit, Level
from criteria.catalog import Catalog
from criteria.models import (
    Evidence,
    Indicator,
    IndicatorValue,
    PeriodLock,
    ReportingPeriod,
    ValueChange,
    ValueStatus,
    locked_in_any,
    parse_period_code,
)
from criteria.tiers import PERIOD_ORDER_LATEST_FIRST
from ntm_tracker.tabular import FileRejected

from . import excel, selectors, services
from .evidence import EvidenceRejected, evidence_add, evidence_remove
from .forms import EvidenceForm, ExcelUploadForm, PeriodForm, ReturnAllForm, ReviewDecisionsForm, typed_values


def _unit(request, code: str) -> tuple[AdminUnit, Rights]:
    rights = rights_for(request.user)
    unit = AdminUnit.objects.filter(code=code).first()
    if unit is None or not rights.can_view(unit):
        raise Http404(_("Không tìm thấy đơn vị."))
    return unit, rights


def _period(code: str, *, create: bool = False, unit: AdminUnit | None = None) -> ReportingPeriod:
    """The period of that code; an unsaved one (nothing entered yet) unless `create`.

    With `unit`, whether the unit's province locked it is read in the same query (`is_locked_for`)."""
    try:
        year, kind, quarter, start, end = parse_period_code(code)
    except ValueError:
        raise Http404(_("Kỳ báo cáo không hợp lệ."))
    if create:
        return ReportingPeriod.objects.for_code(code)
    periods = ReportingPeriod.objects.with_lock_for(unit) if unit is not None else ReportingPeriod.objects
    found = periods.filter(code=code).first()
    return found or ReportingPeriod(code=code, year=year, kind=kind, quarter=quarter, start=start, end=end)


def _entry_url(unit: AdminUnit, period_code: str, *, show: str = "", confirm: bool = False, at: str = "") -> str:
    """The entry page, with its filter kept, the submit warning open, or scrolled back to where the official was."""
    url = reverse("entry-unit", args=[unit.code, period_code])
    parts = [f"show={show}"] if show in selectors.ENTRY_FILTERS else []
    if confirm:
        parts.append("confirm=submit")
    query = "&".join(parts)
    if query:
        url += "?" + query
    if confirm:
        return url + "#submit-warning"
    return url + (f"#{at}" if at and _ANCHOR.fullmatch(at) else "")


# Where the official was on the page when saving: a row, a criterion or a rule set (set by static/js/entry.js).
_ANCHOR = re.compile(r"row-v\d{1,9}|c\d{1,9}|rs-[a-z0-9-]{1,80}")


def _entry_render(request, page, unit, rights, *, status=200, confirm_submit=False, **extra):
    page.apply_filter(request.GET.get("show", "") if request.method == "GET" else request.POST.get("show", ""))
    context = {"page": page, "unit": unit, "rights": rights, "confirm_submit": confirm_submit and page.editable}
    context.update(extra)
    return render(request, "entry/entry.html", context, status=status)


@login_required
def entry_index(request):
    """The units the user enters data for, and the periods to choose from."""
    rights = rights_for(request.user)
    form = PeriodForm(request.GET or None)
    if form.is_valid():
        code = form.cleaned_data["period"].strip()
        unit_code = request.GET.get("unit", "")
        try:
            parse_period_code(code)
        except ValueError as exc:
            form.add_error("period", str(exc))
        else:
            if unit_code:
                unit = AdminUnit.objects.filter(code=unit_code).first()
                if unit is None or not rights.can_edit(unit):
                    form.add_error(
                        None,
                        _("Không tìm thấy đơn vị mã «%(c)s» trong phạm vi nhập liệu của bạn.") % {"c": unit_code[:20]},
                    )
                else:
                    return redirect("entry-unit", unit.code, code)
    own_paths = [path for role, path in rights.grants]
    units = list(
        AdminUnit.objects.filter(Q(path__in=own_paths) | Q(parent__path__in=own_paths, level=Level.VILLAGE)).order_by(
            "path"
        )
    )
    units = [u for u in units if rights.can_edit(u)]
    periods = list(ReportingPeriod.objects.with_lock_for(*units).order_by(*PERIOD_ORDER_LATEST_FIRST)[:12])
    for unit in units:
        unit.period_links = [(p, p.is_locked_for(unit)) for p in periods]
    return render(
        request,
        "entry/index.html",
        {"units": units, "periods": periods, "form": form, "rights": rights},
        status=400 if form.errors else 200,
    )


@login_required
def entry_unit(request, code, period):
    unit, rights = _unit(request, code)
    if not rights.can_edit(unit):
        raise PermissionDenied(_("Bạn không được nhập liệu cho đơn vị này."))
    catalog = Catalog()
    if request.method != "POST":
        page = selectors.entry_page(unit=unit, period=_period(period, unit=unit), rights=rights, catalog=catalog)
        return _entry_render(request, page, unit, rights, confirm_submit=request.GET.get("confirm") == "submit")

    current_period = _period(period, unit=unit)
    if current_period.is_locked_for(unit):
        messages.error(request, _("Kỳ báo cáo %(p)s đã khóa: không nhận thay đổi.") % {"p": current_period.code})
        page = selectors.entry_page(unit=unit, period=current_period, rights=rights, catalog=catalog)
        return _entry_render(request, page, unit, rights, status=409)
    shown = selectors.entry_page(unit=unit, period=current_period, rights=rights, catalog=catalog)
    on_page = {row.indicator.pk: row for row in shown.rows if not row.derived}
    typed = typed_values(request.POST)
    foreign = [t for t in typed if t.indicator_id not in on_page]
    changed = [t for t in typed if t.indicator_id in on_page and t.changed]
    errors: dict[int, tuple] = {}
    saved = 0
    if changed:
        current_period = _period(period, create=True)
    if changed:
        try:
            result = services.values_save(
                user=request.user,
                period=current_period,
                items=[
                    services.ValueInput(
                        unit=unit,
                        indicator=on_page[item.indicator_id].indicator,
                        raw=item.raw,
                        note=item.note,
                        expected_version=item.version,
                        reason=item.reason,
                    )
                    for item in changed
                ],
                source=ValueChange.Source.FORM,
                catalog=catalog,
                partial=True,
            )
        except services.EntryError as exc:  # the period was locked meanwhile, or the unit reports another period
            messages.error(request, exc.message)
        else:
            saved = len(result.saved)
            for refused in result.refused:
                item = changed[refused.index]
                current = refused.error.current if isinstance(refused.error, services.StaleValue) else None
                errors[item.indicator_id] = (item, refused.message, current)
    if foreign:
        messages.error(
            request,
            _("Đã bỏ qua %(n)d chỉ tiêu không thuộc các bộ tiêu chí áp dụng cho đơn vị này.") % {"n": len(foreign)},
        )
    if saved:
        messages.success(request, _("Đã lưu %(n)d giá trị.") % {"n": saved})
    show = request.POST.get("show", "")
    if not errors:
        if request.POST.get("action") == "submit":
            if not _submit_confirmed(request, unit, current_period, rights, catalog):
                return redirect(_entry_url(unit, period, show=show, confirm=True))
            _submit(request, unit, current_period)
        elif not saved and not foreign:
            messages.info(request, _("Không có thay đổi nào để lưu."))
        return redirect(_entry_url(unit, period, show=show, at=request.POST.get("at", "")))

    # Re-render with what was typed: saved fields show their new values, the others keep the typed text.
    page = selectors.entry_page(unit=unit, period=current_period, rights=rights, catalog=catalog)
    for indicator_id, (item, message, current) in errors.items():
        row = page.row_for(indicator_id)
        row.initial_raw, row.initial_note = row.raw, row.note
        row.raw, row.note, row.reason = item.raw, item.note, item.reason
        if current is not None:
            row.conflict = message
            row.version = current.version  # seen now: saving again replaces it knowingly
        else:
            row.error = message
            row.version = item.version
            row.initial_raw, row.initial_note = item.initial_raw, item.initial_note
    # The banner names every field that was not saved and links to it (the rows stay shown whatever the filter).
    problems = [page.row_for(indicator_id) for indicator_id in errors]
    return _entry_render(request, page, unit, rights, field_errors=[row for row in problems if row is not None])


@login_required
@require_POST
def entry_submit(request, code, period):
    unit, rights = _unit(request, code)
    if not rights.can_edit(unit):
        raise PermissionDenied(_("Bạn không được nhập liệu cho đơn vị này."))
    found = ReportingPeriod.objects.with_lock_for(unit).filter(code=period).first()
    if found is None:
        messages.error(request, _("Không có giá trị nháp hoặc bị trả lại nào để gửi duyệt."))
        return redirect(_entry_url(unit, period))
    if not _submit_confirmed(request, unit, found, rights, Catalog()):
        return redirect(_entry_url(unit, period, confirm=True))
    _submit(request, unit, found)
    return redirect(_entry_url(unit, period))


def _submit_confirmed(request, unit, period, rights, catalog) -> bool:
    """Submitting with indicators still empty needs the official's confirmation (`confirm_empty=1`), given on the
    warning that lists what is missing."""
    if request.POST.get("confirm_empty") == "1":
        return True
    page = selectors.entry_page(unit=unit, period=period, rights=rights, catalog=catalog)
    return not page.empty_count


def _submit(request, unit, period) -> None:
    try:
        services.submission_submit(user=request.user, unit=unit, period=period)
    except services.EntryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã gửi số liệu của kỳ này cho huyện thẩm tra."))


def _indicator(unit: AdminUnit, period: ReportingPeriod, indicator_id: int, catalog: Catalog) -> Indicator:
    indicator = catalog.indicator_by_id.get(indicator_id)
    if indicator is None or not any(indicator in e.indicators for e in catalog.applicable(unit, period)):
        raise Http404(_("Chỉ tiêu không thuộc đơn vị này."))
    return indicator


@login_required
def value_detail(request, code, period, indicator_id):
    """One value: its history, its evidence, and (for those who enter data) the upload form."""
    unit, rights = _unit(request, code)
    period_obj = _period(period, unit=unit)
    indicator = _indicator(unit, period_obj, indicator_id, Catalog())
    page = selectors.value_page(unit=unit, period=period_obj, indicator=indicator) if period_obj.pk else None
    if page is None:
        page = selectors.ValuePage(unit, period_obj, indicator, None, [], [])
    form = EvidenceForm()
    if request.method == "POST":
        if not rights.can_edit(unit):
            raise PermissionDenied(_("Bạn không được nhập liệu cho đơn vị này."))
        form = EvidenceForm(request.POST, request.FILES)
        if page.value is None:
            form.add_error(None, _("Nhập và lưu giá trị trước khi đính kèm minh chứng."))
        elif form.is_valid():
            try:
                evidence_add(user=request.user, value=page.value, upload=form.cleaned_data["file"])
            except EvidenceRejected as exc:
                form.add_error("file", exc.message)
            except services.EntryError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Đã đính kèm minh chứng."))
                return redirect(request.path)
    return render(
        request,
        "entry/value.html",
        {
            "page": page,
            "unit": unit,
            "form": form,
            "rights": rights,
            "can_edit": rights.can_edit(unit) and not period_obj.is_locked_for(unit),
        },
        status=400 if form.errors else 200,
    )


def _evidence(request, pk: int) -> tuple[Evidence, Rights]:
    evidence = Evidence.objects.select_related("value__unit", "value__period").filter(pk=pk).first()
    rights = rights_for(request.user)
    if evidence is None or not rights.can_view(evidence.value.unit):
        raise Http404(_("Không tìm thấy tệp."))
    return evidence, rights


@login_required
def evidence_download(request, pk):
    evidence, _rights = _evidence(request, pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("Không tìm thấy tệp."))
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def evidence_delete(request, pk):
    evidence, rights = _evidence(request, pk)
    value = evidence.value
    if not rights.can_edit(value.unit):
        raise PermissionDenied(_("Bạn không được nhập liệu cho đơn vị này."))
    try:
        evidence_remove(user=request.user, evidence=evidence)
    except services.EntryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã xóa minh chứng."))
    return redirect("entry-value", value.unit.code, value.period.code, value.indicator_id)


@login_required
def excel_template(request, code, period):
    unit, rights = _unit(request, code)
    if not rights.can_edit(unit):
        raise PermissionDenied(_("Bạn không được nhập liệu cho đơn vị này."))
    page = selectors.entry_page(unit=unit, period=_period(period, unit=unit), rights=rights)
    response = HttpResponse(
        excel.template_workbook(page),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="nhap-lieu-{unit.code}-{page.period.code}.xlsx"'
    return response


@login_required
@require_POST
def excel_upload(request, code, period):
    unit, rights = _unit(request, code)
    if not rights.can_edit(unit):
        raise PermissionDenied(_("Bạn không được nhập liệu cho đơn vị này."))
    form = ExcelUploadForm(request.POST, request.FILES)
    problems = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            form.add_error("file", _("Tệp Excel quá lớn (tối đa 5 MB)."))
        else:
            try:
                result = excel.excel_upload(
                    user=request.user,
                    unit=unit,
                    period=_period(period),
                    data=upload.read(),
                    filename=upload.name,
                )
            except FileRejected as exc:
                problems = exc.problems
            else:
                messages.success(
                    request,
                    _("Đã nhận tệp: lưu %(saved)d giá trị, %(same)d giá trị không đổi.")
                    % {"saved": result.saved, "same": result.unchanged},
                )
                return redirect(_entry_url(unit, period))
    page = selectors.entry_page(unit=unit, period=_period(period, unit=unit), rights=rights)
    messages.error(
        request, _("Tệp không được nhận: không giá trị nào thay đổi. Sửa các ô được liệt kê rồi tải lên lại.")
    )
    return _entry_render(request, page, unit, rights, status=400, upload_form=form, problems=problems)


# --- review -------------------------------------------------------------------------------------------------------


def _review_period(request) -> ReportingPeriod | None:
    code = request.GET.get("period")
    periods = ReportingPeriod.objects.order_by(*PERIOD_ORDER_LATEST_FIRST)
    if code:
        return periods.filter(code=code).first()
    return periods.filter(submissions__status="submitted").first() or periods.first()


@login_required
def review_queue(request):
    rights = rights_for(request.user)
    if not (rights.is_admin or rights.review_paths):
        raise PermissionDenied(_("Bạn không có quyền thẩm tra."))
    period = _review_period(request)
    rows = selectors.review_queue(rights=rights, period=period) if period else []
    missing, missing_count = selectors.units_not_submitted(rights=rights, period=period) if period else ([], 0)
    provinces = {path.split("/", 1)[0] for _role, path in rights.grants}
    periods = list(ReportingPeriod.objects.with_locks_in(provinces).order_by(*PERIOD_ORDER_LATEST_FIRST)[:12])
    for p in periods:
        p.locked_here = locked_in_any(p, provinces)
    return render(
        request,
        "entry/review_queue.html",
        {
            "rows": rows,
            "period": period,
            "periods": periods,
            "rights": rights,
            "missing": missing,
            "missing_more": missing_count > len(missing),
        },
    )


@login_required
def review_unit(request, code, period):
    unit, rights = _unit(request, code)
    if not rights.can_review(unit):
        raise PermissionDenied(_("Bạn không được thẩm tra đơn vị này."))
    period_obj = get_object_or_404(ReportingPeriod.objects.with_lock_for(unit), code=period)
    catalog = Catalog()
    return_form = ReturnAllForm()
    errors: dict[int, str] = {}
    posted: dict[int, tuple[str, str]] = {}
    bad_request = False
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve-all":
                # The button said how many values it approves: if more arrived since, nothing is approved unseen.
                seen = request.POST.get("expected", "")
                waiting = IndicatorValue.objects.filter(
                    unit=unit, period=period_obj, status=ValueStatus.SUBMITTED
                ).count()
                if seen.isdigit() and int(seen) != waiting:
                    raise services.EntryError(
                        _("Số giá trị chờ duyệt đã đổi (%(seen)s → %(now)s): xem lại trước khi duyệt tất cả.")
                        % {"seen": seen, "now": waiting}
                    )
                services.submission_approve(user=request.user, unit=unit, period=period_obj)
                messages.success(request, _("Đã duyệt %(n)d giá trị chờ duyệt.") % {"n": waiting})
                return redirect("review-unit", unit.code, period_obj.code)
            if action == "return-all":
                return_form = ReturnAllForm(request.POST)
                if return_form.is_valid():
                    services.submission_return(
                        user=request.user, unit=unit, period=period_obj, reason=return_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("Đã trả lại toàn bộ giá trị chờ duyệt."))
                    return redirect("review-unit", unit.code, period_obj.code)
            elif action == "decide":
                waiting = dict(IndicatorValue.objects.filter(unit=unit, period=period_obj).values_list("pk", "version"))
                form = ReviewDecisionsForm(request.POST, waiting=waiting)
                valid = form.is_valid()
                for pk in waiting:
                    posted[pk] = (request.POST.get(f"d{pk}", ""), request.POST.get(f"r{pk}", "").strip())
                    if not valid and form.message_for(pk):
                        errors[pk] = form.message_for(pk)
                if not valid:
                    for message in form.non_field_errors():
                        messages.error(request, message)
                    bad_request = True
                elif not form.decisions():
                    messages.info(request, _("Chưa chọn duyệt hay trả lại giá trị nào."))
                else:
                    decisions = {
                        pk: services.Decision(choice, version, reason)
                        for pk, (choice, version, reason) in form.decisions().items()
                    }
                    services.submission_review(user=request.user, unit=unit, period=period_obj, decisions=decisions)
                    approved = sum(1 for d in decisions.values() if d.action == "approve")
                    messages.success(
                        request,
                        _("Đã duyệt %(a)d và trả lại %(r)d giá trị.") % {"a": approved, "r": len(decisions) - approved},
                    )
                    return redirect("review-unit", unit.code, period_obj.code)
            elif action not in ("approve-all", "return-all"):
                messages.error(request, _("Thao tác không hợp lệ."))
                bad_request = True
        except services.EntryError as exc:
            messages.error(request, exc.message)
    page = selectors.review_page(unit=unit, period=period_obj, catalog=catalog)
    for row in page.rows:
        row.error = errors.get(row.value.pk, "")
        row.decision, row.reason = posted.get(row.value.pk, ("", ""))
    if errors:
        messages.error(request, _("Chưa lưu quyết định nào: xem thông báo bên cạnh từng giá trị."))
    status = 400 if errors or bad_request or (return_form.is_bound and return_form.errors) else 200
    return render(
        request,
        "entry/review.html",
        {
            "page": page,
            "unit": unit,
            "return_form": return_form,
            "locked": period_obj.is_locked_for(unit),
            "rights": rights,
        },
        status=status,
    )


# --- periods ------------------------------------------------------------------------------------------------------


def _lockable_provinces(rights: Rights) -> list[AdminUnit]:
    """The provinces whose periods the user locks: his own as coordinator, every province for an administrator."""
    provinces = AdminUnit.objects.filter(level=Level.PROVINCE).order_by("name")
    if not rights.is_admin:
        provinces = provinces.filter(code__in={p.split("/", 1)[0] for p in rights.coordinator_paths})
    return [p for p in provinces if rights.can_coordinate(p)]


@login_required
def periods(request):
    rights = rights_for(request.user)
    if not rights.can_lock_periods:
        raise PermissionDenied(_("Chỉ văn phòng điều phối tỉnh được khóa kỳ báo cáo."))
    provinces = _lockable_provinces(rights)
    rows = list(ReportingPeriod.objects.select_related("locked_by").order_by(*PERIOD_ORDER_LATEST_FIRST))
    locks = {
        (lock.period_id, lock.province_id): lock
        for lock in PeriodLock.objects.filter(period__in=rows, province__in=provinces).select_related(
            "province", "locked_by"
        )
    }
    for p in rows:
        p.province_rows = [(province, locks.get((p.pk, province.pk))) for province in provinces]
        p.locked_provinces = [lock.province for (period_id, _pk), lock in locks.items() if period_id == p.pk]
    return render(request, "entry/periods.html", {"periods": rows, "rights": rights, "provinces": provinces})


@login_required
@require_POST
def period_lock(request, period):
    rights = rights_for(request.user)
    if not rights.can_lock_periods:
        raise PermissionDenied(_("Chỉ văn phòng điều phối tỉnh được khóa kỳ báo cáo."))
    found = get_object_or_404(ReportingPeriod, code=period)
    province = None
    if code := request.POST.get("province", "").strip():
        province = AdminUnit.objects.filter(code=code, level=Level.PROVINCE).first()
        if province is None or not rights.can_view(province):
            raise Http404(_("Không tìm thấy đơn vị."))
    lock = request.POST.get("locked") == "1"
    try:
        services.period_lock(user=request.user, period=found, province=province, locked=lock)
    except services.EntryError as exc:
        messages.error(request, exc.message)
        return redirect("entry-periods")
    where = province.name if province else _("toàn quốc")
    if lock:
        messages.success(
            request, _("Đã khóa kỳ %(p)s (%(where)s): mọi thay đổi sẽ bị từ chối.") % {"p": found.code, "where": where}
        )
    else:
        messages.success(request, _("Đã mở lại kỳ %(p)s (%(where)s).") % {"p": found.code, "where": where})
    return redirect("entry-periods")
