"""The dashboards against the Quảng Ninh demo: the figures each one shows, what it costs in queries, the
exports, the cached chart data and who is refused. The demo is built once for the module (a few seconds)."""

import csv
import io
import json
import os

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from communes.models import AdminUnit, Kind, Membership, Role
from criteria.models import Attainment, ReportingPeriod, Submission
from criteria.services import attainment_recompute
from reports import charts
from reports.models import YearTarget

BINH_LIEU, DONG_TAM, LUC_HON, HAI_HA, QUANG_MINH, PROVINCE = "198", "06844", "06856", "201", "06940", "22"
NC = "xa-ntm-nang-cao-2021-2025"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        quiet = io.StringIO()
        call_command("import_units", stdout=quiet)
        call_command("load_rule_sets", stdout=quiet)
        call_command("load_demo", "--password", "demo-pass-123", stdout=quiet)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def users(demo, db):
    User = get_user_model()
    return {
        name: User.objects.get(username=name)
        for name in ("demo-xa-dongtam", "demo-huyen-binhlieu", "demo-tinh-quangninh")
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def page(client, user, code, **params):
    client.force_login(user)
    return client.get(reverse("unit-detail", args=[code]), params)


# --- district: Bình Liêu -----------------------------------------------------------------------------


def test_binh_lieu_dashboard_shows_the_reported_figures(client, users):
    response = page(client, users["demo-huyen-binhlieu"], BINH_LIEU)
    board = response.context["board"]
    html = response.content.decode()
    assert board.period.code == "2023-9M"
    own = board.own.cells[0]
    assert (own.criteria_met, own.criteria_total, own.indicators_met, own.indicators_total) == (3, 9, 27, 38)
    assert own.change_indicators == 2 and own.change_criteria == 0
    assert "đạt 3/9 tiêu chí, 27/38 chỉ tiêu (0 đã duyệt)" in html  # demo values are never approved
    # the six xã (the thị trấn is not assessed); two of them at 19/19, 75/75
    assert [r.unit.code for r in board.communes if r.unit.kind == Kind.XA] == [
        "06841",
        "06844",
        "06847",
        "06853",
        "06856",
        "06859",
    ]
    assert html.count("19/19 · 75/75") == 2
    assert "12/19 · 61/75" in html and "9/19 · 57/75" in html
    assert dict(board.tiers) == {"": 0, "ntm": 4, "nang_cao": 2, "kieu_mau": 0}
    # the derived condition "≥ 40% of communes nâng cao": 2 of 6 now, one more needed
    dk2 = next(d for d in board.own.derived if d.indicator.code == "DK2")
    assert (dk2.have, dk2.total, dk2.needed, dk2.status) == (2, 6, 1, "not_met")
    assert "2/6 xã" in html and "cần thêm 1 xã" in html
    assert [m.code for m in board.own.missing] == [
        "2.1",
        "2.2",
        "3.1",
        "3.2",
        "5.1",
        "5.2",
        "6.1",
        "6.2",
        "8.1",
        "9.1",
        "9.2",
    ]


def test_binh_lieu_table_tiers_changes_and_review_status(client, users):
    Submission.objects.create(
        unit=AdminUnit.objects.get(code=DONG_TAM),
        period=ReportingPeriod.objects.get(code="2023-9M"),
        status=Submission.Status.SUBMITTED,
    )
    response = page(client, users["demo-huyen-binhlieu"], BINH_LIEU)
    rows = {r["code"]: r for r in response.context["table"].data.data}
    assert rows["06841"]["tier"] == "nang_cao" and rows["06841"]["recognised"] == "ntm"
    assert rows[DONG_TAM]["tier"] == "ntm"
    assert rows[LUC_HON]["change"] == 1  # +1 chỉ tiêu since 2023-Q1
    assert rows[DONG_TAM]["submission"] == "submitted"
    assert rows["06847"]["submission"] == "none"
    html = response.content.decode()
    assert "chưa gửi" in html and "Chờ duyệt" in html


def test_closest_to_the_next_tier_names_the_missing_indicators(client, users):
    board = page(client, users["demo-huyen-binhlieu"], BINH_LIEU).context["board"]
    closest = board.closest()
    assert [(r.unit.code, r.standing.next.rule_set.code, r.standing.next.cell.distance) for r in closest[:3]] == [
        ("06841", "xa-ntm-kieu-mau-qn-9ct-2021-2025", 7),
        ("06859", "xa-ntm-kieu-mau-qn-9ct-2021-2025", 7),
        (DONG_TAM, NC, 14),
    ]
    stored = Attainment.objects.get(unit__code=DONG_TAM, rule_set__code=NC, period__code="2023-9M")
    assert closest[2].standing.next.cell.missing == stored.missing


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"tier": "nang_cao"}, ["06841", "06859"]),
        ({"tier": "ntm"}, ["06844", "06847", "06853", "06856"]),
        ({"missing": "9"}, [LUC_HON]),  # only Lục Hồn misses criterion 9 (Nhà ở dân cư)
        ({"status": "approved"}, []),
        ({"status": "none"}, ["06841", "06844", "06847", "06853", "06856", "06859"]),
    ],
)
def test_filters(client, users, params, codes):
    response = page(client, users["demo-huyen-binhlieu"], BINH_LIEU, **params)
    assert sorted(r["code"] for r in response.context["table"].data.data) == codes


def test_an_unknown_filter_value_is_reported_not_ignored(client, users):
    response = page(client, users["demo-huyen-binhlieu"], BINH_LIEU, tier="bogus")
    assert response.status_code == 200
    assert response.context["filter"].errors["tier"]
    assert len(response.context["table"].data.data) == 6  # nothing filtered away on bad input


def test_sorting_by_indicators_met(client, users):
    response = page(client, users["demo-huyen-binhlieu"], BINH_LIEU)
    nc_column = next(name for name in response.context["table"].columns.names() if name.startswith("rs_"))
    response = page(client, users["demo-huyen-binhlieu"], BINH_LIEU, sort=f"-{nc_column}")
    order = [r.record["code"] for r in response.context["table"].rows]
    assert set(order[:2]) == {"06841", "06859"} and order[-1] == LUC_HON


def test_xlsx_export_matches_the_stored_attainment(client, users):
    response = page(client, users["demo-huyen-binhlieu"], BINH_LIEU, export="xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="xa-198-2023-9M.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    # a title block first: unit, period, date of export, filters; then a blank row and the table
    assert rows[0][0] == "Huyện Bình Liêu" and rows[1][0] == "Kỳ báo cáo: 2023-9M"
    assert rows[2][0].startswith("Ngày xuất: ") and rows[3][0] == "Bộ lọc: không lọc (tất cả)"
    assert sheet.title == "Huyện Bình Liêu 2023-9M"
    header_at = rows.index(next(r for r in rows if r[0] == "Mã"))
    header, body = rows[header_at], rows[header_at + 1 :]
    col = {name: i for i, name in enumerate(header)}
    assert "Xã NTM nâng cao: chỉ tiêu đạt" in col or any(h and h.endswith(": chỉ tiêu đạt") for h in header)
    nc_prefix = next(h for h in header if h and h.endswith(": chỉ tiêu đạt")).rsplit(":", 1)[0]
    stored = {
        a.unit.code: a
        for a in Attainment.objects.filter(rule_set__code=NC, period__code="2023-9M", unit__parent__code=BINH_LIEU)
    }
    assert len(body) == 6
    for row in body:
        code = row[col["Mã"]]
        a = stored[code]
        assert row[col["Xã"]] == a.unit.name
        assert row[col[f"{nc_prefix}: tiêu chí đạt"]] == a.criteria_met
        assert row[col[f"{nc_prefix}: tổng số tiêu chí"]] == a.criteria_total
        assert row[col[f"{nc_prefix}: chỉ tiêu đạt"]] == a.indicators_met
        assert row[col[f"{nc_prefix}: tổng số chỉ tiêu"]] == a.indicators_total
        assert row[col[f"{nc_prefix}: đạt chuẩn (1/0)"]] == int(a.attained)
    assert sum(1 for row in body if row[col[f"{nc_prefix}: chỉ tiêu đạt"]] == 75) == 2


def test_csv_export_follows_the_filters(client, users):
    response = page(client, users["demo-huyen-binhlieu"], BINH_LIEU, export="csv", tier="nang_cao")
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel on Windows reads UTF-8 only with its BOM
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["Mã"], r["Bậc đạt"]) for r in rows] == [("06841", "NTM nâng cao"), ("06859", "NTM nâng cao")]


# --- commune: Đồng Tâm, Lục Hồn ----------------------------------------------------------------------


def test_dong_tam_headline_tiers_and_distance(client, users):
    response = page(client, users["demo-xa-dongtam"], DONG_TAM)
    p = response.context["page"]
    html = response.content.decode()
    assert "đạt 12/19 tiêu chí, 61/75 chỉ tiêu" in html
    assert p.standing.current == "ntm" and p.standing.recognised == "ntm"
    assert p.standing.next.rule_set.code == NC
    assert "còn thiếu 7 tiêu chí, 14 chỉ tiêu" in html
    assert "Còn thiếu 7 tiêu chí, 14 chỉ tiêu để đạt chuẩn." in html
    assert p.submission == "none" and "chưa gửi" in html


def test_the_missing_indicators_come_first(client, users):
    report = page(client, users["demo-xa-dongtam"], DONG_TAM).context["page"].reports[0]
    statuses = [block.status for block in report.criteria]
    assert statuses == sorted(statuses, key=lambda s: s == "met")
    assert [b.criterion.code for b in report.criteria[:3]] == ["2", "3", "10"]
    for block in report.criteria:
        rows = [r.status for r in block.rows]
        assert rows == sorted(rows, key=lambda s: s == "met")


def test_luc_hon_change_since_the_start_of_the_year(client, users):
    client.force_login(users["demo-huyen-binhlieu"])
    response = client.get(reverse("unit-detail", args=[LUC_HON]))
    report = response.context["page"].reports[0]
    assert (report.change_criteria, report.change_indicators, report.start_period.code) == (0, 1, "2023-Q1")
    assert [(p.code, c, i) for p, c, i in response.context["page"].trend[0][1]] == [
        ("2023-Q1", 9, 56),
        ("2023-9M", 9, 57),
    ]


def test_hai_xuan_villages_status(client, users):
    client.force_login(users["demo-tinh-quangninh"])
    p = client.get(reverse("unit-detail", args=["06745"])).context["page"]
    assert [(m, n, d) for _rs, m, n, d in p.village_status] == [(4, 9, 0)]


# --- province: Quảng Ninh ----------------------------------------------------------------------------


def test_quang_ninh_summary_targets_and_districts(client, users):
    response = page(client, users["demo-tinh-quangninh"], PROVINCE)
    board = response.context["board"]
    html = response.content.decode()
    assert board.period.code == "2023-9M" and board.start_period.code == "2022"
    assert len(board.communes) == AdminUnit.objects.filter(path__startswith="22/", kind=Kind.XA).count() == 91
    # every xã recognised NTM; Hải Xuân nâng cao since 2022, Hoành Mô and Húc Động reached it in 2023
    assert board.tiers["nang_cao"] == 3 and board.start_tiers["nang_cao"] == 1
    assert board.tiers["ntm"] == 88
    assert len(board.districts) == 13
    by_code = {d.row.unit.code: d for d in board.districts}
    assert by_code[BINH_LIEU].tiers["nang_cao"] == 2 and by_code[BINH_LIEU].start_tiers["nang_cao"] == 0
    binh_lieu = by_code[BINH_LIEU].row.cells
    assert [(c.criteria_met, c.indicators_met) for c in binh_lieu.values()] == [(3, 27)]
    # Hải Hà's district result is from 6 months: shown as of the 9-month view, with its period
    assert by_code[HAI_HA].row.period_note.code == "2023-6M"
    targets = {t.target.rule_set.code: t for t in board.targets}
    assert (targets[NC].done, targets[NC].target.count, targets[NC].percent) == (2, 2, 100)
    assert targets["huyen-ntm-nang-cao-2021-2025"].done == 0
    assert all(t.target.is_demo for t in board.targets)
    assert "đã có 2/2" in html and "đã có 0/2" in html
    # the trend: nâng cao communes as of each period
    assert [(p.code, counts["nang_cao"]) for p, counts in board.trend] == [
        ("2022", 1),
        ("2023-Q1", 1),
        ("2023-6M", 1),
        ("2023-9M", 3),
    ]
    assert board.most_missing[0].count == 7  # the seven xã below nâng cao with results, all missing it
    for district in board.districts:
        assert f'href="{reverse("unit-detail", args=[district.row.unit.code])}"' in html


def test_year_target_progress_counts_units_reached_during_the_year(demo, db):
    target = YearTarget.objects.get(unit__code=PROVINCE, rule_set__code=NC)
    assert target.additional and target.count == 2 and target.is_demo


# --- query counts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "code", "queries"),
    [
        # session, user, unit, scope + ancestors, periods, units, rule sets, recognitions, results (light),
        # results (heavy), submissions, criteria, indicators, own indicator status, OCOP certificates; capital,
        # works behind schedule
        ("demo-huyen-binhlieu", BINH_LIEU, 18),
        ("demo-tinh-quangninh", PROVINCE, 18),  # no ancestors to read; + the year's targets
        # session, user, unit, scope + ancestors, periods, own results, values, evidence, criteria, indicators,
        # results of every period, recognitions, submission, villages (Đồng Tâm has none: no villages' results),
        # OCOP certificates
        ("demo-xa-dongtam", DONG_TAM, 16),
    ],
)
def test_query_counts(client, users, user, code, queries, django_assert_num_queries):
    client.force_login(users[user])
    with django_assert_num_queries(queries):
        response = client.get(reverse("unit-detail", args=[code]))
    assert response.status_code == 200


def test_the_province_dashboard_costs_the_same_with_more_results(client, users, django_assert_num_queries):
    """Results for every xã of the province in a new period: the page runs the same queries."""
    client.force_login(users["demo-tinh-quangninh"])
    with django_assert_num_queries(18):
        client.get(reverse("unit-detail", args=[PROVINCE]))
    period = ReportingPeriod.objects.for_code("2023-9M")
    template = Attainment.objects.get(unit__code=DONG_TAM, period=period, rule_set__code=NC)
    rows = []
    for unit in AdminUnit.objects.filter(path__startswith="22/", kind=Kind.XA).exclude(attainments__period=period):
        template.pk = None
        template.unit = unit
        rows.append(Attainment(**{f.attname: getattr(template, f.attname) for f in Attainment._meta.concrete_fields}))
    Attainment.objects.bulk_create(rows)
    assert len(rows) > 70
    with django_assert_num_queries(18):
        response = client.get(reverse("unit-detail", args=[PROVINCE]))
    assert sum(1 for r in response.context["board"].communes if r.cells) > 80


# --- chart data ----------------------------------------------------------------------------------------


def charts_json(client, user, code, **params):
    client.force_login(user)
    response = client.get(reverse("unit-charts", args=[code]), params)
    assert response["Content-Type"] == "application/json"
    return response, json.loads(response.content)["figures"]


def test_chart_data_per_dashboard(client, users):
    _r, district = charts_json(client, users["demo-huyen-binhlieu"], BINH_LIEU)
    assert set(district) == {"tiers", "indicators", "heatmap", "closest"}
    assert district["tiers"]["data"][0]["y"] == [0, 4, 2, 0]
    bars = district["indicators"]["data"][0]
    assert sorted(bars["x"]) == bars["x"] and bars["x"][-2:] == [75, 75]
    heat = district["heatmap"]["data"][0]
    assert len(heat["y"]) == 6 and len(heat["x"]) == 19
    assert heat["z"][heat["y"].index("Xã Hoành Mô")] == [2] * 19
    _r, province = charts_json(client, users["demo-tinh-quangninh"], PROVINCE)
    assert set(province) == {"tiers", "trend", "heatmap", "missing"}
    _r, commune = charts_json(client, users["demo-xa-dongtam"], DONG_TAM)
    # Đồng Tâm reported in one period: no line of one point (the page's table gives the figures)
    assert set(commune) == {f"criteria-{NC}"}
    met = commune[f"criteria-{NC}"]["data"][0]
    assert met["marker"]["color"] == charts.COLOURS["met"] and sum(met["x"]) == 61


def test_the_same_colours_mean_the_same_everywhere(client, users):
    _r, district = charts_json(client, users["demo-huyen-binhlieu"], BINH_LIEU)
    legend = {t["name"]: t["marker"]["color"] for t in district["heatmap"]["data"][1:]}
    assert legend == {"Đạt": "#0072B2", "Chưa đạt": "#D55E00", "Chưa có số liệu": "#BBBBBB"}
    _r, commune = charts_json(client, users["demo-xa-dongtam"], DONG_TAM)
    bars = {t["name"]: t["marker"]["color"] for t in commune[f"criteria-{NC}"]["data"]}
    assert bars == legend


def test_chart_data_is_cached_until_the_next_recompute(client, users, monkeypatch):
    calls = []
    original = charts.district_figures
    monkeypatch.setattr(charts, "district_figures", lambda board: calls.append(1) or original(board))
    first, _f = charts_json(client, users["demo-huyen-binhlieu"], BINH_LIEU)
    again, _f = charts_json(client, users["demo-huyen-binhlieu"], BINH_LIEU)
    assert len(calls) == 1 and first.content == again.content
    attainment_recompute(
        period=ReportingPeriod.objects.get(code="2023-9M"), units=[AdminUnit.objects.get(code=DONG_TAM)]
    )
    charts_json(client, users["demo-huyen-binhlieu"], BINH_LIEU)
    assert len(calls) == 2


def test_chart_data_speaks_the_readers_language(client, users):
    client.force_login(users["demo-huyen-binhlieu"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("unit-charts", args=[BINH_LIEU]))
    figures = json.loads(response.content)["figures"]
    assert figures["tiers"]["layout"]["separators"] == ".,"
    assert figures["tiers"]["layout"]["title"]["text"] == "Communes by tier"


def test_plotly_is_served_locally_and_only_on_pages_with_charts(client, users):
    html = page(client, users["demo-huyen-binhlieu"], BINH_LIEU).content.decode()
    assert "/static/vendor/plotly/plotly-ntm-4.1.1.min.js" in html
    assert "cdn" not in html.lower()
    home = client.get(reverse("home")).content.decode()
    assert "plotly" not in home
    from django.contrib.staticfiles import finders

    path = finders.find("vendor/plotly/plotly-ntm-4.1.1.min.js")
    with open(path, encoding="utf-8") as handle:
        head = handle.read(300)
    assert "plotly.js v4.1.1" in head and "MIT License" in head
    # the bundle holds the traces the dashboards draw and the Vietnamese locale, nothing else of size
    assert path.endswith(".js") and os.path.getsize(path) < 1_300_000


# --- access --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "refused"),
    [
        ("demo-xa-dongtam", [BINH_LIEU, PROVINCE, "06841"]),  # his district, his province, a neighbour
        ("demo-huyen-binhlieu", [HAI_HA, QUANG_MINH, PROVINCE]),  # another district and its xã, the province
    ],
)
def test_outsiders_are_refused_every_dashboard_chart_and_export(client, users, user, refused):
    client.force_login(users[user])
    for code in refused:
        assert client.get(reverse("unit-detail", args=[code])).status_code == 404, code
        assert client.get(reverse("unit-detail", args=[code]), {"export": "xlsx"}).status_code == 404, code
        assert client.get(reverse("unit-charts", args=[code])).status_code == 404, code


def test_a_provincial_viewer_of_another_province_is_refused(client, demo, db):
    other = get_user_model().objects.create_user("lang-son", password="x-pass-123")
    Membership.objects.create(user=other, unit=AdminUnit.objects.get(code="20"), role=Role.PROVINCIAL_VIEWER)
    client.force_login(other)
    for code in (PROVINCE, BINH_LIEU, DONG_TAM):
        assert client.get(reverse("unit-detail", args=[code])).status_code == 404
        assert client.get(reverse("unit-charts", args=[code])).status_code == 404


def test_anonymous_is_sent_to_login_from_the_chart_data(client, demo, db):
    response = client.get(reverse("unit-charts", args=[BINH_LIEU]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_heat_map_tables_mark_every_criterion_of_every_unit(client, users):
    """The text equivalent of the communes × criteria and districts × criteria heat maps."""

    def heat_row(html, name):
        row = html.split(f'<tr><th scope="row">{name}</th>', 1)[1].split("</tr>", 1)[0]
        return row.count("✓"), row.count("✗"), row.count("·")

    district = page(client, users["demo-huyen-binhlieu"], BINH_LIEU).content.decode()
    assert heat_row(district, "Xã Hoành Mô") == (19, 0, 0)
    assert heat_row(district, "Xã Đồng Tâm") == (12, 7, 0)
    province = page(client, users["demo-tinh-quangninh"], "22").content.decode()
    assert heat_row(province, "Huyện Bình Liêu") == (3, 6, 0)


def test_the_province_page_brings_its_first_chart_as_svg(client, users):
    """Communes by tier in each district comes with the page (no plotly.js needed), with the same counts."""
    import re

    html = page(client, users["demo-tinh-quangninh"], PROVINCE).content.decode()
    svg = html[html.index('<svg class="svg-chart"') : html.index("</svg>") + 6]
    _r, figures = charts_json(client, users["demo-tinh-quangninh"], PROVINCE)
    tiers = figures["tiers"]["data"]
    districts = tiers[0]["y"]
    assert svg.count("<g>") == len(districts)
    counts = [int(n) for n in re.findall(r"<title>[^<]*: (\d+)</title></rect>", svg)]
    assert sum(counts) == sum(sum(trace["x"]) for trace in tiers)
    assert "style=" not in svg and "," not in re.search(r'viewBox="([^"]*)"', svg).group(1)


def test_the_drill_down_keeps_the_chosen_period(client, users):
    province = page(client, users["demo-tinh-quangninh"], PROVINCE, period="2023-6M").content.decode()
    assert f'href="/units/{BINH_LIEU}/?period=2023-6M"' in province
    district = page(client, users["demo-huyen-binhlieu"], BINH_LIEU, period="2023-6M").content.decode()
    assert f'href="/units/{DONG_TAM}/?period=2023-6M"' in district
    # without a chosen period the links stay plain (the latest period is shown)
    assert f'href="/units/{BINH_LIEU}/"' in page(client, users["demo-tinh-quangninh"], PROVINCE).content.decode()
