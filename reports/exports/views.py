"""Downloads of the progress report, with the access rules of the dashboards: a unit outside the user's scope
answers 404 exactly like an unknown code."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from communes.models import Level

from ..views import _authorised_unit
from .data import ReportError, progress_report_build
from .pdf import progress_report_pdf
from .xlsx import progress_report_xlsx

FORMATS = {
    "xlsx": (progress_report_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (progress_report_pdf, "application/pdf"),
}


@login_required
@require_GET
def progress_report(request, code, fmt):
    unit, _scope = _authorised_unit(request, code)
    render, content_type = FORMATS[fmt]
    period_code = (request.GET.get("period") or "").strip()
    try:
        if not period_code:
            period_code = _latest_period(unit)
        report = progress_report_build(unit=unit, period_code=period_code)
    except ReportError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    response = HttpResponse(render(report), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename_stem}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _latest_period(unit) -> str:
    from django.utils.translation import gettext as _

    from .. import dashboards, selectors

    periods = selectors.unit_periods(unit=unit) if unit.level >= Level.COMMUNE else dashboards.subtree_periods(unit)
    if not periods:
        raise ReportError(_("Chưa có kết quả đánh giá nào cho đơn vị này."))
    return periods[-1].code
