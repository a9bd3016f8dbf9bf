"""Report pages: thin views that authorise, call one selector and render."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from communes.access import scope_for
from communes.models import AdminUnit

from . import selectors


@login_required
def home(request):
    memberships, provinces = selectors.home_units(user=request.user)
    return render(request, "reports/home.html", {"memberships": memberships, "provinces": provinces})


@login_required
def unit_detail(request, code):
    # Unknown and forbidden units answer the same 404, so existence does not leak to outsiders.
    unit = AdminUnit.objects.filter(code=code).first()
    scope = scope_for(request.user)
    if unit is None or not scope.covers(unit):
        raise Http404(_("Không tìm thấy đơn vị."))
    page = selectors.unit_page(unit=unit, period_code=request.GET.get("period") or None)
    breadcrumbs = [(ancestor, scope.covers(ancestor)) for ancestor in page.ancestors]
    return render(
        request,
        "reports/unit_detail.html",
        {"page": page, "unit": unit, "breadcrumbs": breadcrumbs, "page_is_demo": page.is_demo},
    )
