"""Report pages: thin views that authorise, call one selector and render.

`/units/<code>/` is the unit's page by its level: the province and district dashboards, the commune page
(villages get the commune page's plain form). Chart data comes from `/units/<code>/charts.json`, cached
until the next recompute of the unit's subtree.
"""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from communes.access import rights_for, scope_for
from communes.models import AdminUnit, Kind, Level
from criteria.models import parse_period_code

from . import charts, dashboards, selectors, table_export, worklist
from .filters import CommuneFilter
from .tables import CommuneTable, commune_records

EXPORT_FORMATS = ("csv", "xlsx")
CHART_CACHE_SECONDS = 7 * 24 * 3600  # the key changes with every recompute; this only bounds memory


@login_required
def home(request):
    """What to do now, by role, then the user's units."""
    memberships, provinces = selectors.home_units(user=request.user)
    todo = worklist.worklist(user=request.user, rights=rights_for(request.user))
    return render(request, "reports/home.html", {"memberships": memberships, "provinces": provinces, "todo": todo})


@login_required
@require_GET
def search(request):
    """Units by name (diacritics optional) or code, among those the user may see."""
    query = request.GET.get("q", "")
    if len(query) > 100:
        return render(
            request,
            "reports/search.html",
            {"search_query": query[:100], "error": _("Từ khóa quá dài (tối đa 100 ký tự).")},
            status=400,
        )
    result = worklist.unit_search(user=request.user, query=query)
    return render(request, "reports/search.html", {"search_query": query, "result": result})


def _authorised_unit(request, code):
    # Unknown and forbidden units answer the same 404, so existence does not leak to outsiders.
    unit = AdminUnit.objects.filter(code=code).first()
    scope = scope_for(request.user)
    if unit is None or not scope.covers(unit):
        raise Http404(_("Không tìm thấy đơn vị."))
    return unit, scope


def _period_code(request):
    return request.GET.get("period") or None


@login_required
@require_GET
def unit_detail(request, code):
    unit, scope = _authorised_unit(request, code)
    if unit.level == Level.DISTRICT:
        return _district(request, unit, scope)
    if unit.level == Level.PROVINCE:
        return _province(request, unit, scope)
    page = selectors.unit_page(unit=unit, period_code=_period_code(request))
    breadcrumbs = [(ancestor, scope.covers(ancestor)) for ancestor in page.ancestors]
    return render(
        request,
        "reports/unit_detail.html",
        {
            "page": page,
            "unit": unit,
            "breadcrumbs": breadcrumbs,
            "page_is_demo": page.is_demo,
            "has_charts": unit.level == Level.COMMUNE and bool(page.reports or page.children),
        },
    )


def _district(request, unit, scope):
    board = dashboards.district_dashboard(unit=unit, period_code=_period_code(request))
    rural = [r for r in board.communes if r.unit.kind == Kind.XA]
    filterset = CommuneFilter(
        request.GET or None,
        queryset=AdminUnit.objects.filter(parent=unit),
        rows=rural,
        primary=board.primary,
        criteria=board.criteria,
    )
    shown = rural
    if filterset.is_bound and filterset.is_valid():
        keep = set(filterset.qs.values_list("pk", flat=True))
        shown = [r for r in rural if r.unit.pk in keep]
    table = CommuneTable.for_sets(commune_records(shown, board.child_sets, board.primary), board.child_sets)
    RequestConfig(request, paginate=False).configure(table)
    export = request.GET.get("export")
    if export in EXPORT_FORMATS:
        period = board.period.code if board.period else "chua-co-ky"
        filename = f"xa-{unit.code}-{period}.{export}"
        if export == "csv":
            return table_export.csv_response(table=table, filename=filename)
        title = table_export.ExportTitle(unit=unit.name, period=period, filters=table_export.chosen_filters(filterset))
        return table_export.xlsx_response(table=table, title=title, filename=filename)
    return render(
        request,
        "reports/district.html",
        {
            "board": board,
            "unit": unit,
            "table": table,
            "filter": filterset,
            "shown": shown,
            "rural_count": len(rural),
            "urban": [r for r in board.communes if r.unit.kind != Kind.XA],
            "breadcrumbs": [(a, scope.covers(a)) for a in board.state.ancestors],
            "page_is_demo": unit.is_demo or _demo_results(board.state),
            "has_charts": bool(board.state.period),
            "query": _query_without_export(request),
            "brief": _plan_brief(unit, board),
        },
    )


def _province(request, unit, scope):
    board = dashboards.province_dashboard(unit=unit, period_code=_period_code(request))
    return render(
        request,
        "reports/province.html",
        {
            "board": board,
            "unit": unit,
            "breadcrumbs": [(a, scope.covers(a)) for a in board.state.ancestors],
            "page_is_demo": unit.is_demo or _demo_results(board.state) or any(t.target.is_demo for t in board.targets),
            "has_charts": bool(board.state.period),
            "brief": _plan_brief(unit, board),
            "tier_svg": charts.province_tier_svg(board) if board.state.period else None,
        },
    )


def _plan_brief(unit, board):
    """Disbursement and works behind schedule in the year of the period shown (plans app)."""
    from plans.selectors import plan_brief

    today = timezone.localdate()
    return plan_brief(unit=unit, year=board.period.year if board.period else today.year, today=today)


def _demo_results(state) -> bool:
    """The ribbon follows the data: any demo unit with a result in the subtree marks the page as demo."""
    return any(row.unit.is_demo for row in state.rows.values()) or any(r.is_demo for r in state.recognitions)


def _query_without_export(request) -> str:
    query = request.GET.copy()
    query.pop("export", None)
    return query.urlencode()


@login_required
@require_GET
def unit_charts(request, code):
    """The figures of the unit's page as JSON, cached until the next recompute of its subtree."""
    unit, _scope = _authorised_unit(request, code)
    period_code = _period_code(request) or ""
    if period_code:
        # Checked before the cache is touched: every junk value would otherwise become a key of its own.
        try:
            parse_period_code(period_code)
        except ValueError as exc:
            return JsonResponse({"error": str(exc)}, status=400)
    key = f"charts:v1:{unit.pk}:{period_code}:{get_language()}:{dashboards.results_stamp(unit)}"
    body = cache.get(key)
    if body is None:
        if unit.level == Level.PROVINCE:
            figures = charts.province_figures(dashboards.province_dashboard(unit=unit, period_code=period_code or None))
        elif unit.level == Level.DISTRICT:
            figures = charts.district_figures(dashboards.district_dashboard(unit=unit, period_code=period_code or None))
        else:
            figures = charts.commune_figures(selectors.unit_page(unit=unit, period_code=period_code or None))
        body = JsonResponse({"figures": figures}).content
        cache.set(key, body, CHART_CACHE_SECONDS)
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "private, no-cache"
    return response
