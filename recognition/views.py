"""Recognition pages: a unit's recognitions and dossiers, one dossier with the step its reader may take, the
dossiers of a district or province. Thin: authorise, parse, call one service, render.

Units and dossiers outside the reader's scope answer 404, exactly as unknown ones; a step the reader may not
take answers 403; a refused step answers 400 with the message next to its field, and saves nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communes.access import scope_for
from criteria.models import Recognition, RuleSet

from . import forms, selectors, services
from .models import Dossier, DossierDocument, Stage


def _unit(request, code):
    unit = selectors.unit_by_code(code)
    if unit is None or not scope_for(request.user).covers(unit):
        raise Http404(_("Không tìm thấy đơn vị."))
    return unit


def _dossier(request, pk) -> Dossier:
    dossier = Dossier.objects.select_related("unit", "rule_set", "recognition").filter(pk=pk).first()
    if dossier is None or not scope_for(request.user).covers(dossier.unit):
        raise Http404(_("Không tìm thấy hồ sơ."))
    return dossier


def _unit_context(request, unit, **extra):
    page = selectors.unit_recognitions(unit=unit)
    may_coordinate = services.may_coordinate_province(request.user, unit)
    context = {
        "unit": unit,
        "page": page,
        "may_prepare": services.may_prepare(request.user, unit),
        "may_coordinate": may_coordinate,
        "acknowledge_form": forms.AcknowledgeForm(rule_sets=page.rule_sets) if may_coordinate else None,
        "revoke_form": forms.RevokeForm(initial={"revoked_on": timezone.localdate()}),
        "revoke_blank": forms.RevokeForm(initial={"revoked_on": timezone.localdate()}),
        "page_is_demo": any(r.is_demo for r in page.recognitions) or any(d.is_demo for d in page.dossiers),
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def unit_recognition(request, code):
    """GET: the unit's recognitions, dossiers and the tiers it may open a dossier for. POST: open one, or (the
    province) record an acknowledgement."""
    unit = _unit(request, code)
    if request.method == "GET":
        return render(request, "recognition/unit.html", _unit_context(request, unit))
    action = request.POST.get("action")
    try:
        if action == "open":
            form = forms.OpenForm(request.POST)
            rule_set = None
            if form.is_valid():
                rule_set = RuleSet.objects.filter(pk=form.cleaned_data["rule_set"], level=unit.level).first()
            if rule_set is None:
                raise services.RecognitionError(_("Hãy chọn bậc để lập hồ sơ."))
            dossier = services.dossier_open(user=request.user, unit=unit, rule_set=rule_set)
            messages.success(request, _("Đã lập hồ sơ đề nghị công nhận."))
            return redirect("recognition:dossier", dossier.pk)
        if action == "acknowledge":
            if not services.may_coordinate_province(request.user, unit):
                raise services.NotAllowed(_("Bạn không có quyền thực hiện bước này của hồ sơ."))
            page = selectors.unit_recognitions(unit=unit)
            form = forms.AcknowledgeForm(request.POST, rule_sets=page.rule_sets)
            if not form.is_valid():
                return render(
                    request, "recognition/unit.html", _unit_context(request, unit, acknowledge_form=form), status=400
                )
            data = form.cleaned_data
            try:
                services.recognition_acknowledge(
                    user=request.user,
                    unit=unit,
                    rule_set=RuleSet.objects.get(pk=data["rule_set"]),
                    number=data["number"],
                    decided_on=data["decided_on"],
                    signer=data["signer"],
                    authority=data["authority"],
                    note=data["note"],
                )
            except services.RecognitionError as exc:
                if isinstance(exc, services.NotAllowed):
                    raise
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                return render(
                    request, "recognition/unit.html", _unit_context(request, unit, acknowledge_form=form), status=400
                )
            messages.success(request, _("Đã ghi quyết định thừa nhận."))
            return redirect("recognition:unit", unit.code)
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except services.RecognitionError as exc:
        return render(request, "recognition/unit.html", _unit_context(request, unit, error=exc.message), status=400)
    return render(
        request, "recognition/unit.html", _unit_context(request, unit, error=_("Yêu cầu không hợp lệ.")), status=400
    )


def _dossier_forms(request, dossier: Dossier) -> dict:
    """The forms of the steps the reader may take now."""
    user, unit, today = request.user, dossier.unit, timezone.localdate()
    out: dict = {}
    if dossier.stage == Stage.PREPARING and services.may_prepare(user, unit):
        out["prepare"] = forms.PrepareForm(
            initial={
                "self_assessment": dossier.self_assessment,
                "survey_satisfaction": "" if dossier.survey_satisfaction is None else dossier.survey_satisfaction,
                "survey_note": dossier.survey_note,
            }
        )
        out["attach"] = forms.AttachForm()
        out["submit"] = forms.SubmitForm(initial={"on": today})
    if dossier.stage == Stage.SUBMITTED and services.may_verify(user, unit):
        out["verify"] = forms.StepForm(initial={"on": today})
        out["return"] = forms.ReturnForm(initial={"on": today})
    if dossier.stage in (Stage.VERIFIED, Stage.APPRAISED) and services.may_coordinate_province(user, unit):
        out["return"] = forms.ReturnForm(initial={"on": today})
        if dossier.stage == Stage.VERIFIED:
            out["appraise"] = forms.StepForm(initial={"on": today})
        else:
            out["decide"] = forms.DecideForm(initial={"decided_on": today})
    return out


def _render_dossier(request, dossier, *, bound=None, status=200):
    step_forms = _dossier_forms(request, dossier)
    if bound:
        step_forms.update(bound)
    context = {
        "dossier": dossier,
        "unit": dossier.unit,
        "forms": step_forms,
        "documents": list(dossier.documents.all()),
        "events": list(dossier.events.select_related("user")),
        "page_is_demo": dossier.is_demo,
    }
    return render(request, "recognition/dossier.html", context, status=status)


# action → (form class, service, how the form's data become the service's arguments)
STEPS = {
    "prepare": (
        forms.PrepareForm,
        services.dossier_update,
        lambda d, r: {
            "self_assessment": d["self_assessment"],
            "survey_satisfaction": d["survey_satisfaction"],
            "survey_note": d["survey_note"],
        },
    ),
    "attach": (forms.AttachForm, services.dossier_attach, lambda d, r: {"upload": d["file"], "title": d["title"]}),
    "submit": (forms.SubmitForm, services.dossier_submit, lambda d, r: {"on": d["on"]}),
    "verify": (forms.StepForm, services.dossier_verify, lambda d, r: {"note": d["note"], "on": d["on"]}),
    "appraise": (forms.StepForm, services.dossier_appraise, lambda d, r: {"note": d["note"], "on": d["on"]}),
    "return": (forms.ReturnForm, services.dossier_return, lambda d, r: {"reason": d["reason"], "on": d["on"]}),
    "decide": (
        forms.DecideForm,
        services.dossier_decide,
        lambda d, r: {
            "number": d["number"],
            "decided_on": d["decided_on"],
            "signer": d["signer"],
            "authority": d["authority"],
        },
    ),
}
DONE = {
    "prepare": gettext_lazy("Đã lưu hồ sơ."),
    "attach": gettext_lazy("Đã đính kèm tài liệu."),
    "submit": gettext_lazy("Đã gửi hồ sơ để thẩm tra."),
    "verify": gettext_lazy("Đã ghi kết quả thẩm tra; hồ sơ chuyển tỉnh thẩm định."),
    "appraise": gettext_lazy("Đã ghi kết quả thẩm định; hồ sơ chờ quyết định."),
    "return": gettext_lazy("Đã trả lại hồ sơ."),
    "decide": gettext_lazy("Đã ghi quyết định công nhận."),
}


@login_required
@require_http_methods(["GET", "POST"])
def dossier_detail(request, pk):
    dossier = _dossier(request, pk)
    if request.method == "GET":
        return _render_dossier(request, dossier)
    action = request.POST.get("action", "")
    if action not in STEPS:
        messages.error(request, _("Yêu cầu không hợp lệ."))
        return _render_dossier(request, dossier, status=400)
    form_class, service, arguments = STEPS[action]
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return _render_dossier(request, dossier, bound={action: form}, status=400)
    try:
        service(user=request.user, dossier=dossier, **arguments(form.cleaned_data, request))
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except services.RecognitionError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        dossier.refresh_from_db()
        return _render_dossier(request, dossier, bound={action: form}, status=400)
    messages.success(request, str(DONE[action]))
    return redirect("recognition:dossier", dossier.pk)


@login_required
@require_GET
def dossier_document(request, pk, document_pk):
    dossier = _dossier(request, pk)
    document = DossierDocument.objects.filter(pk=document_pk, dossier=dossier).first()
    if document is None:
        raise Http404(_("Không tìm thấy tài liệu."))
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name)
    response["Content-Type"] = document.content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def recognition_revoke(request, pk):
    recognition = Recognition.objects.select_related("unit", "rule_set").filter(pk=pk).first()
    if recognition is None or not scope_for(request.user).covers(recognition.unit):
        raise Http404(_("Không tìm thấy quyết định."))
    unit = recognition.unit
    if not services.may_coordinate_province(request.user, unit):
        raise PermissionDenied(_("Chỉ văn phòng điều phối tỉnh được thu hồi quyết định công nhận."))
    form = forms.RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.recognition_revoke(
                user=request.user,
                recognition=recognition,
                revoked_on=form.cleaned_data["revoked_on"],
                reason=form.cleaned_data["reason"],
                number=form.cleaned_data["number"],
            )
        except services.RecognitionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Đã thu hồi quyết định công nhận."))
            return redirect("recognition:unit", unit.code)
    context = _unit_context(request, unit, revoke_form=form, revoking=recognition.pk)
    return render(request, "recognition/unit.html", context, status=400)


@login_required
@require_GET
def subtree(request, code):
    """The dossiers of a district's or a province's units: open ones first."""
    unit = _unit(request, code)
    rows = selectors.subtree_dossiers(unit=unit)
    return render(
        request,
        "recognition/subtree.html",
        {"unit": unit, "rows": rows, "page_is_demo": any(d.is_demo for d in rows)},
    )
