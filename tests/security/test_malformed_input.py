"""Malformed input over every URL pattern of the site answers 4xx, never 5xx.

The walk reads the URL configuration, so a page added later is walked too. Each route parameter is replaced in
turn by hostile values (NUL, a trailing newline, an encoded slash, text where a number goes, huge numbers), with
the other parameters valid so that the request gets as deep into the view as possible; then every page is asked
with hostile query parameters and posted hostile forms.
"""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from communes.models import Kind, Role
from criteria.models import RuleSet, Tier, ValueKind
from entry import services
from tests.factories import (
    AdminUnitFactory,
    CriterionFactory,
    IndicatorFactory,
    MembershipFactory,
    ReportingPeriodFactory,
    RuleSetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\x00",
    "a\x00b",
    "2023-Q1\n",
    "2023\r\nX-Injected: 1",
    "a/b",
    "abc",
    "-1",
    "9" * 30,
    "\u202e",
    "'\"<>",
    "..",
    " ",
]
QUERY_KEYS = ["period", "unit", "scope", "province", "export", "page", "sort", "tier", "status", "missing", "next", "q"]


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + _text(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _text(entry.pattern)


def _text(pattern) -> str:
    text = str(pattern)
    # regex patterns (the admin's app index): named groups become <name>, anchors go
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text)
    return text.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


@pytest.fixture
def site(db):
    province = AdminUnitFactory(kind=Kind.TINH, code="81")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="811", parent=province)
    commune = AdminUnitFactory(kind=Kind.XA, code="81001", parent=district)
    rule_set = RuleSetFactory(code="w-nc", tier=Tier.NANG_CAO, applies_to={"kinds": ["xa"]})
    indicator = IndicatorFactory(
        criterion=CriterionFactory(rule_set=rule_set, code="1"), code="1.1", kind=ValueKind.PERCENT
    )
    RuleSet.objects.filter(pk=rule_set.pk).update(status=RuleSet.Status.PUBLISHED)
    period = ReportingPeriodFactory(code="2023")
    official = UserFactory(username="w-xa")
    MembershipFactory(user=official, unit=commune, role=Role.COMMUNE_OFFICIAL)
    value = services.value_save(
        user=official, unit=commune, indicator=indicator, period=period, raw="90", note="", expected_version=0
    )
    services.submission_submit(user=official, unit=commune, period=period)
    admin = UserFactory(username="w-admin", is_superuser=True, is_staff=True)
    valid = {
        "code": commune.code,
        "period": "2023",
        "pk": str(value.pk),
        "indicator_id": str(indicator.pk),
        "object_id": str(commune.pk),
        "content_type_id": "1",
        "app_label": "communes",
    }
    return {"admin": admin, "official": official, "valid": valid, "value": value, "district": district}


def _url(route: str, values: dict[str, str]) -> str:
    def fill(match):
        return quote(values.get(match[2], "1"), safe="")

    return "/" + PARAM.sub(fill, route)


def _check(client, method, url, failures, **data):
    response = getattr(client, method)(url, data or None) if method == "post" else client.get(url)
    if response.status_code >= 500:
        exc = getattr(response, "exc_info", None)
        error = repr(exc[1]) if exc else ""
        failures.append(f"{method.upper()} {url!r} {data or ''} → {response.status_code} {error}")


def test_hostile_route_values_never_answer_5xx(site):
    failures = []
    for user in (site["admin"], site["official"]):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for route in _routes():
            if route.startswith("admin/") and user is site["official"]:
                continue
            names = [m[2] for m in PARAM.finditer(route)]
            if not names:
                continue
            for name in names:
                for bad in HOSTILE:
                    url = _url(route, {**site["valid"], name: bad})
                    _check(client, "get", url, failures)
                    if not route.startswith("admin/"):
                        _check(client, "post", url, failures, action="decide")
    assert failures == []


def test_hostile_query_and_form_values_never_answer_5xx(site):
    failures = []
    pk = site["value"].pk
    for user in (site["admin"], site["official"]):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for route in _routes():
            if route.startswith("admin/"):
                continue
            url = _url(route, site["valid"])
            for bad in HOSTILE:
                for key in QUERY_KEYS:
                    _check(client, "get", f"{url}?{key}={quote(bad, safe='')}", failures)
                form = dict.fromkeys(QUERY_KEYS, bad)
                form.update({"action": "decide", f"d{pk}": "approve", f"ver{pk}": bad, f"r{pk}": bad})
                form.update({"username": bad, "password": bad, "unit_code": bad, "role": bad, "reason": bad})
                _check(client, "post", url, failures, **form)
                client.force_login(user)  # the walk posts to logout/ too
    assert failures == []


def test_the_reported_cases_answer_400_or_404_with_a_message(site):
    client = Client()
    client.force_login(site["admin"])
    nul = client.get("/units/%00/")
    assert nul.status_code == 400 and "ký tự không hợp lệ" in nul.content.decode()
    assert client.get("/review/?period=%00").status_code == 400
    newline = client.get("/entry/81001/2023-Q1%0A/excel/")
    assert newline.status_code == 404
    official = Client()
    official.force_login(site["official"])
    slash = official.get("/entry/?period=2023&unit=a%2Fb")
    assert slash.status_code == 400 and "Không tìm thấy đơn vị mã «a/b»" in slash.content.decode()


def test_junk_chart_periods_are_refused_before_the_cache(site, settings):
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "walk"}}
    cache.clear()
    client = Client()
    client.force_login(site["admin"])
    url = f"/units/{site['district'].code}/charts.json"
    for n in range(50):
        response = client.get(url, {"period": f"junk-{n}"})
        assert response.status_code == 400
        assert "không hợp lệ" in response.json()["error"]
    assert len(cache._cache) == 0
    assert client.get(url, {"period": "2023"}).status_code == 200
    assert len(cache._cache) == 1


@pytest.mark.parametrize("language", ["vi", "en"])
def test_error_pages_are_in_the_site_layout_and_language(site, settings, language):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(site["official"])
    expected = {
        "vi": {403: "Không có quyền", 404: "Không tìm thấy", 400: "Yêu cầu không hợp lệ"},
        "en": {403: "Permission denied", 404: "Not found", 400: "Bad request"},
    }[language]
    pages = {403: client.get("/memberships/"), 404: client.get("/units/00000/"), 400: client.get("/units/%00/")}
    for status, response in pages.items():
        page = response.content.decode()
        assert response.status_code == status
        assert expected[status] in page
        assert 'class="site-header"' in page and f'lang="{language}"' in page


def test_the_server_error_page_is_vietnamese_in_the_layout(rf):
    from django.views.defaults import server_error

    page = server_error(rf.get("/")).content.decode()
    assert "Lỗi máy chủ" in page and "Số liệu đã lưu trước đó không bị mất" in page
    assert 'class="site-header"' in page
