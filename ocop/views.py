"""OCOP pages: the registry of a unit's subtree, a product's rounds and certificates, the forms, the Excel round
trip and the certificates expiring soon. Units and products outside the user's scope answer 404, as elsewhere."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communes.access import memberships_for, rights_for, scope_for
from communes.models import AdminUnit, Level
from ntm_tracker.tabular import FileRejected, TableError

from . import excel, selectors, services
from .forms import CertificateForm, EvaluationForm, ImportForm, ProducerForm, ProductForm, RevokeForm
from .models import Certificate, CertificateStatus, Producer, Product, ScoringScheme
from .scoring import ScoringError

PAGE_SIZE = 100
MAX_UPLOAD = 5 * 1024 * 1024


def _unit(request, code) -> AdminUnit:
    unit = AdminUnit.objects.filter(code=code).first()
    if unit is None or not scope_for(request.user).covers(unit):
        raise Http404(_("Không tìm thấy đơn vị."))
    return unit


def _product(request, pk) -> Product:
    product = Product.objects.select_related("producer__unit").filter(pk=pk).first()
    if product is None or not scope_for(request.user).covers(product.producer.unit):
        raise Http404(_("Không tìm thấy sản phẩm."))
    return product


def _manageable_communes(request, unit):
    rights = rights_for(request.user)
    communes = AdminUnit.objects.subtree_of(unit).filter(level=Level.COMMUNE).order_by("path")
    return [c for c in communes if services.may_manage(rights, c)]


def _status(certificate, today):
    if certificate is None:
        return None
    return CertificateStatus(certificate.status_on(today))


@login_required
@require_GET
def registry(request, code):
    unit = _unit(request, code)
    today = timezone.localdate()
    page = Paginator(selectors.products_in(unit=unit), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for product in page:
        evaluation, certificate = selectors.latest_of(product)
        rows.append((product, evaluation, certificate, _status(certificate, today)))
    rights = rights_for(request.user)
    return render(
        request,
        "ocop/registry.html",
        {
            "unit": unit,
            "page": page,
            "rows": rows,
            "can_manage": services.may_manage(rights, unit),
            "page_is_demo": any(p.is_demo for p, *_rest in rows),
        },
    )


@login_required
@require_GET
def export(request, code):
    unit = _unit(request, code)
    body = excel.products_workbook(unit=unit)
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="ocop-{unit.code}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_file(request, code):
    unit = _unit(request, code)
    rights = rights_for(request.user)
    if not services.may_manage(rights, unit):
        raise PermissionDenied(_("Bạn không có quyền cập nhật OCOP của đơn vị này."))
    form = ImportForm(request.POST or None, request.FILES or None)
    problems, error, status = [], "", 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_UPLOAD:
                error, status = _("Tệp quá lớn (tối đa 5 MB)."), 400
            else:
                try:
                    result = excel.products_import(
                        rights=rights, data=upload.read(), filename=upload.name, user=request.user
                    )
                except FileRejected as exc:
                    problems, status = exc.problems, 400
                except TableError as exc:
                    error, status = str(exc), 400
                else:
                    messages.success(
                        request,
                        _(
                            "Đã nhập: %(p)d sản phẩm mới, %(e)d lần đánh giá, %(c)d giấy chứng nhận, "
                            "%(n)d chủ thể mới; %(u)d dòng không thay đổi."
                        )
                        % {
                            "p": result.products,
                            "e": result.evaluations,
                            "c": result.certificates,
                            "n": result.producers,
                            "u": result.unchanged,
                        },
                    )
                    return redirect("ocop:registry", unit.code)
        else:
            status = 400
    return render(
        request,
        "ocop/import.html",
        {"unit": unit, "form": form, "problems": problems, "error": error, "columns": excel.COLUMNS},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def producer_new(request, code):
    unit = _unit(request, code)
    communes = _manageable_communes(request, unit)
    if not communes:
        raise PermissionDenied(_("Bạn không có quyền cập nhật OCOP của đơn vị này."))
    initial = {"unit": unit.code} if unit.level == Level.COMMUNE else {}
    form = ProducerForm(request.POST or None, units=communes, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = next(c for c in communes if c.code == data.pop("unit"))
        try:
            services.producer_save(rights=rights_for(request.user), unit=chosen, **data)
        except services.OcopError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Đã thêm chủ thể «%(n)s».") % {"n": data["name"]})
            return redirect("ocop:registry", unit.code)
    return render(
        request,
        "ocop/form.html",
        {"unit": unit, "form": form, "title": _("Thêm chủ thể OCOP")},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_new(request, code):
    unit = _unit(request, code)
    rights = rights_for(request.user)
    producers = [
        p
        for p in Producer.objects.filter(unit__path__startswith=unit.path).select_related("unit").order_by("name")
        if services.may_manage(rights, p.unit)
    ]
    if not services.may_manage(rights, unit) and not producers:
        raise PermissionDenied(_("Bạn không có quyền cập nhật OCOP của đơn vị này."))
    form = ProductForm(request.POST or None, producers=producers)
    if request.method == "POST" and form.is_valid():
        producer = next(p for p in producers if p.pk == form.cleaned_data["producer"])
        try:
            product = services.product_create(
                rights=rights, producer=producer, name=form.cleaned_data["name"], group=form.cleaned_data["group"]
            )
        except services.OcopError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return redirect("ocop:product", product.pk)
    return render(
        request,
        "ocop/form.html",
        {"unit": unit, "form": form, "title": _("Thêm sản phẩm OCOP"), "no_producers": not producers},
        status=400 if form.is_bound and form.errors else 200,
    )


def _detail_context(request, product, **forms):
    today = timezone.localdate()
    rounds = product.evaluations.select_related("scheme", "certificate")
    evaluations = list(rounds.prefetch_related("part_scores__part", "part_scores__items"))
    for evaluation in evaluations:
        try:
            certificate = evaluation.certificate
        except Certificate.DoesNotExist:
            certificate = None
        evaluation.cert = certificate
        evaluation.cert_status = _status(certificate, today)
    certifiable = [e for e in evaluations if e.cert is None and e.stars >= e.scheme.min_certified_stars]
    rights = rights_for(request.user)
    return {
        "product": product,
        "unit": product.producer.unit,
        "evaluations": evaluations,
        "can_manage": services.may_manage(rights, product.producer.unit),
        "evaluation_form": forms.get("evaluation_form") or EvaluationForm(),
        "certificate_form": forms.get("certificate_form") or CertificateForm(evaluations=certifiable),
        "revoke_form": forms.get("revoke_form") or RevokeForm(),
        "revoke_target": forms.get("revoke_target"),
        "blank_revoke_form": RevokeForm(),
        "certifiable": certifiable,
        "page_is_demo": product.is_demo,
    }


@login_required
@require_GET
def product_detail(request, pk):
    product = _product(request, pk)
    return render(request, "ocop/product.html", _detail_context(request, product))


@login_required
@require_POST
def evaluation_new(request, pk):
    product = _product(request, pk)
    rights = rights_for(request.user)
    if not services.may_manage(rights, product.producer.unit):
        raise PermissionDenied(_("Bạn không có quyền cập nhật OCOP của đơn vị này."))
    form = EvaluationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.evaluation_record(
                rights=rights,
                product=product,
                evaluated_on=data["evaluated_on"],
                parts={code: data[name] for code, name in EvaluationForm.PART_FIELDS.items()},
                typed_stars=data["stars"],
                council=data["council"],
                note=data["note"],
                user=request.user,
            )
        except ScoringError as exc:
            form.add_error(EvaluationForm.PART_FIELDS.get(exc.field, "stars"), str(exc))
        except services.OcopError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Đã ghi lần đánh giá."))
            return redirect("ocop:product", product.pk)
    return render(request, "ocop/product.html", _detail_context(request, product, evaluation_form=form), status=400)


@login_required
@require_POST
def certificate_new(request, pk):
    product = _product(request, pk)
    rights = rights_for(request.user)
    if not services.may_manage(rights, product.producer.unit):
        raise PermissionDenied(_("Bạn không có quyền cập nhật OCOP của đơn vị này."))
    evaluations = list(product.evaluations.select_related("scheme"))
    form = CertificateForm(request.POST, evaluations=evaluations)
    if form.is_valid():
        data = form.cleaned_data
        evaluation = next(e for e in evaluations if e.pk == data["evaluation"])
        try:
            services.certificate_issue(
                rights=rights,
                evaluation=evaluation,
                decision_number=data["decision_number"],
                decision_date=data["decision_date"],
                expires_on=data["expires_on"],
            )
        except services.OcopError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Đã ghi giấy chứng nhận."))
            return redirect("ocop:product", product.pk)
    return render(request, "ocop/product.html", _detail_context(request, product, certificate_form=form), status=400)


@login_required
@require_POST
def certificate_revoke(request, pk, certificate_pk):
    product = _product(request, pk)
    rights = rights_for(request.user)
    if not services.may_manage(rights, product.producer.unit):
        raise PermissionDenied(_("Bạn không có quyền cập nhật OCOP của đơn vị này."))
    certificate = Certificate.objects.filter(pk=certificate_pk, product=product).first()
    if certificate is None:
        raise Http404(_("Không tìm thấy giấy chứng nhận."))
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.certificate_revoke(
                rights=rights,
                certificate=certificate,
                revoked_on=form.cleaned_data["revoked_on"],
                reason=form.cleaned_data["reason"],
            )
        except services.OcopError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("Đã thu hồi giấy chứng nhận %(n)s.") % {"n": certificate.decision_number})
            return redirect("ocop:product", product.pk)
    context = _detail_context(request, product, revoke_form=form, revoke_target=certificate.pk)
    return render(request, "ocop/product.html", context, status=400)


@login_required
@require_GET
def expiring(request, code):
    unit = _unit(request, code)
    today = timezone.localdate()
    certificates = list(selectors.certificates_expiring(unit=unit, today=today))
    return render(
        request,
        "ocop/expiring.html",
        {
            "unit": unit,
            "today": today,
            "until": services.add_months(today, 6),
            "certificates": certificates,
            "page_is_demo": any(c.is_demo for c in certificates),
        },
    )


@login_required
@require_GET
def home(request):
    """Where the navigation leads: the registries of the user's own units (provinces for the administrators)."""
    rights = rights_for(request.user)
    if rights.is_admin:
        units = list(AdminUnit.objects.filter(level=Level.PROVINCE).order_by("name"))
    else:
        units = [m.unit for m in memberships_for(request.user)]
        units = list({u.pk: u for u in units}.values())
    return render(request, "ocop/home.html", {"units": units})


@login_required
@require_GET
def schemes(request):
    return render(
        request,
        "ocop/schemes.html",
        {"schemes": ScoringScheme.objects.prefetch_related("parts", "bands").order_by("-valid_from", "-version")},
    )
