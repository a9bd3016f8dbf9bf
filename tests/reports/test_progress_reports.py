"""The progress reports (Excel and PDF) of the Quảng Ninh demo against the stored attainment and the dashboards:
every number in the workbook and in the PDF's text, who may download them, and the command that writes them."""

import datetime as dt
import io
import re
from collections import defaultdict

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from pypdf import PdfReader

from communes.models import AdminUnit, Kind, Membership, Role
from criteria.models import Attainment, Recognition, ReportingPeriod
from criteria.tiers import recognised_on
from plans.models import Assignment, Capital, CapitalSource, Work
from reports import dashboards
from reports.exports.data import progress_report_build
from reports.exports.xlsx import progress_report_xlsx

PROVINCE, BINH_LIEU, DONG_TAM = "22", "198", "06844"
NC = "xa-ntm-nang-cao-2021-2025"
PERIOD = "2023-9M"


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


@pytest.fixture(scope="module")
def files(demo, django_db_blocker, tmp_path_factory):
    """Both files of both reports, written once by the command."""
    out = {}
    folder = tmp_path_factory.mktemp("reports")
    with django_db_blocker.unblock():
        for code in (PROVINCE, BINH_LIEU, DONG_TAM):
            for fmt in ("xlsx", "pdf"):
                path = folder / f"{code}.{fmt}"
                call_command(
                    "report_export",
                    "--unit",
                    code,
                    "--period",
                    PERIOD,
                    "--format",
                    fmt,
                    "--output",
                    str(path),
                    stdout=io.StringIO(),
                )
                out[(code, fmt)] = path
    return out


def stored_communes(code):
    """Rural communes under the unit → their latest stored nâng cao result as of 2023-9M, read straight from
    Attainment: (criteria met, criteria total, indicators met, indicators total, criteria_status)."""
    unit = AdminUnit.objects.get(code=code)
    end = ReportingPeriod.objects.get(code=PERIOD).end
    latest = {}
    for a in (
        Attainment.objects.filter(
            unit__path__startswith=unit.path, unit__kind=Kind.XA, rule_set__code=NC, period__end__lte=end
        )
        .select_related("unit", "period")
        .order_by("period__end", "period__start")
    ):
        latest[a.unit.path] = a
    return {
        a.unit.name: (a.criteria_met, a.criteria_total, a.indicators_met, a.indicators_total, a.criteria_status)
        for _path, a in sorted(latest.items())
    }


def xlsx_tables(path):
    """Title → rows (header first) of every boxed table of the sheet: titles are the unboxed "N. …" lines."""
    ws = openpyxl.load_workbook(path).active
    tables, title, text = {}, None, []
    for row in ws.iter_rows():
        first = row[0]
        text.extend(str(c.value) for c in row if c.value is not None)
        if first.border.left.style == "thin":
            tables[title].append([c.value for c in row])
        elif isinstance(first.value, str) and re.match(r"^\d+\. ", first.value):
            title = re.sub(r"^\d+\. ", "", first.value)
            tables[title] = []
    # every row trimmed to the columns its table's header names
    for title, rows in tables.items():
        width = sum(1 for v in rows[0] if v is not None) if rows else 0
        tables[title] = [r[:width] for r in rows]
    return tables, "\n".join(text), ws


def table(tables, prefix):
    if prefix in tables:
        return tables[prefix]
    matches = [rows for title, rows in tables.items() if title.startswith(prefix)]
    assert len(matches) == 1, (prefix, list(tables))
    return matches[0]


def pdf_text(path):
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def cumulative(buckets):
    return {
        "ntm": buckets["ntm"] + buckets["nang_cao"] + buckets["kieu_mau"],
        "nang_cao": buckets["nang_cao"] + buckets["kieu_mau"],
        "kieu_mau": buckets["kieu_mau"],
    }


# --- the workbook -------------------------------------------------------------------------------------------------


def test_binh_lieu_workbook_equals_the_stored_attainment(files):
    tables, text, ws = xlsx_tables(files[(BINH_LIEU, "xlsx")])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "ỦY BAN NHÂN DÂN HUYỆN BÌNH LIÊU" in text and "9 tháng đầu năm 2023" in text
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9  # A4
    stored = stored_communes(BINH_LIEU)
    assert len(stored) == 6
    # the communes with their counts, in the order of the tree
    rows = table(tables, "Kết quả từng xã")[1:]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (name, f"{c}/{ct}", f"{i}/{it}") for name, (c, ct, i, it, _s) in stored.items()
    ]
    assert ("Xã Đồng Tâm", "12/19", "61/75") in [(r[0], r[1], r[2]) for r in rows]
    luc_hon = next(r for r in rows if r[0] == "Xã Lục Hồn")
    assert (luc_hon[3], luc_hon[4]) == (0, 1)  # +1 indicator since the start of the year, as reported
    # per-criterion counts from the stored criteria status
    per_criterion = table(tables, "Số xã đạt từng tiêu chí")[1:]
    assert len(per_criterion) == 19
    for row in per_criterion:
        code = row[0].split(".", 1)[0]
        met = sum(1 for *_c, status in stored.values() if status.get(code) == "met")
        assert (row[1], row[2]) == (met, 6), code
        assert row[3] == pytest.approx(round(100 * met / 6, 1))
    # communes meeting all / 15–18 / 10–14 / 5–9 / under 5 criteria
    bands = {r[0]: r[1] for r in table(tables, "Số xã theo số tiêu chí đạt")[1:]}
    met_counts = [c for c, *_rest in stored.values()]
    assert bands["Đạt đủ 19 tiêu chí"] == sum(1 for c in met_counts if c == 19) == 2
    assert bands["Từ 10 đến 14 tiêu chí"] == sum(1 for c in met_counts if 10 <= c <= 14) == 3
    assert bands["Từ 5 đến 9 tiêu chí"] == sum(1 for c in met_counts if 5 <= c <= 9) == 1
    assert bands["Dưới 5 tiêu chí"] == 0 and bands["Tổng số xã"] == 6
    # the district's own result
    own = table(tables, "Kết quả của Huyện Bình Liêu")[1:]
    district = Attainment.objects.get(unit__code=BINH_LIEU, period__code=PERIOD)
    assert (
        own[0][1:3]
        == [
            f"{district.criteria_met}/{district.criteria_total}",
            f"{district.indicators_met}/{district.indicators_total}",
        ]
        == ["3/9", "27/38"]
    )
    # the unmet indicators: each named with the communes missing it
    unmet = table(tables, "Chỉ tiêu chưa đạt")[1:]
    missing = defaultdict(set)
    for a in Attainment.objects.filter(unit__parent__code=BINH_LIEU, rule_set__code=NC, period__code=PERIOD):
        for code in a.missing:
            missing[code].add(a.unit.name)
    assert {r[0]: (r[2], set(r[3].split(", "))) for r in unmet} == {
        code: (len(names), names) for code, names in missing.items()
    }
    assert "Vốn đầu tư" in text  # what the report leaves out is said


def test_binh_lieu_tiers_equal_the_dashboard(files, users, client):
    client.force_login(users["demo-huyen-binhlieu"])
    board = client.get(reverse("unit-detail", args=[BINH_LIEU]), {"period": PERIOD}).context["board"]
    tables, _text, _ws = xlsx_tables(files[(BINH_LIEU, "xlsx")])
    tiers = {r[0]: r[1] for r in table(tables, "Số xã theo bậc")[1:]}
    expected = cumulative(board.tiers)
    assert (
        (tiers["NTM"], tiers["NTM nâng cao"], tiers["NTM kiểu mẫu"])
        == (
            expected["ntm"],
            expected["nang_cao"],
            expected["kieu_mau"],
        )
        == (6, 2, 0)
    )


def test_province_workbook_equals_the_dashboard_and_the_stored_attainment(files, users, client):
    client.force_login(users["demo-tinh-quangninh"])
    board = client.get(reverse("unit-detail", args=[PROVINCE]), {"period": PERIOD}).context["board"]
    tables, text, _ws = xlsx_tables(files[(PROVINCE, "xlsx")])
    assert "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH" in text
    assert "91/91 xã đạt chuẩn NTM (100,0%), trong đó 3 nâng cao, 0 kiểu mẫu" in text
    tiers = table(tables, "Số xã theo bậc (lũy kế)")[1:]
    now, start = cumulative(board.tiers), cumulative(board.start_tiers)
    assert [r[:2] + r[3:5] for r in tiers[:3]] == [
        ["NTM", now["ntm"], start["ntm"], now["ntm"] - start["ntm"]],
        ["NTM nâng cao", now["nang_cao"], start["nang_cao"], now["nang_cao"] - start["nang_cao"]],
        ["NTM kiểu mẫu", now["kieu_mau"], start["kieu_mau"], 0],
    ]
    assert tiers[1][1:5] == [3, 3.3, 1, 2]  # moving up a tier is a gain, never a loss
    by_district = table(tables, "Số xã theo bậc của từng huyện")
    rows = {r[0]: r for r in by_district[1:-1]}
    assert len(rows) == len(board.districts) == 13
    for d in board.districts:
        c = cumulative(d.tiers)
        assert rows[d.row.unit.name][1:5] == [d.rural, c["ntm"], c["nang_cao"], c["kieu_mau"]], d.row.unit.name
    assert rows["Huyện Bình Liêu"][5:7] == ["3/9", "27/38"]
    assert by_district[-1][:5] == ["Toàn tỉnh", 91, 91, 3, 0]
    # every commune with a result, with the counts stored for it
    stored = stored_communes(PROVINCE)
    communes = {r[0]: r for r in table(tables, "Kết quả từng xã")[1:]}
    assert len(communes) == 91
    for name, (c, ct, i, it, _s) in stored.items():
        assert communes[name][2:4] == [f"{c}/{ct}", f"{i}/{it}"], name
    targets = table(tables, "Mục tiêu năm 2023")[1:]
    assert ["Thêm 2 xã NTM nâng cao", 2, 2, 100, "mẫu"] in [r[:5] for r in targets]


# --- the PDF ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [BINH_LIEU, PROVINCE])
def test_pdf_text_carries_the_same_numbers(files, code):
    path = files[(code, "pdf")]
    reader = PdfReader(path)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = pdf_text(path)
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "9 tháng đầu năm 2023"):
        assert words in text
    stored = stored_communes(code)
    # the commune table: the "criteria/19 indicators/75" pairs, in the order of the tree
    section = text.split("Kết quả từng xã", 1)[1].split("Chỉ tiêu chưa đạt", 1)[0]
    pairs = [(int(c), int(i)) for c, i in re.findall(r"\b(\d+)/19\s+(\d+)/75\b", section)]
    assert pairs == [(c, i) for c, _ct, i, _it, _s in stored.values()]
    per_criterion = text.split("Số xã đạt từng tiêu chí (Bộ", 1)[1]
    for number in range(1, 20):
        met = sum(1 for *_c, status in stored.values() if status.get(str(number)) == "met")
        assert re.search(rf"\n{number}\. [^\n]*? {met} {len(stored)} ", per_criterion), number


def test_binh_lieu_pdf_headline_and_district(files):
    text = pdf_text(files[(BINH_LIEU, "pdf")])
    assert "6/6 xã đạt chuẩn NTM (100,0%), trong đó 2 nâng cao" in text
    assert re.search(r"3/9 27/38", text)


def test_commune_report_lists_its_counts_and_every_unmet_indicator(files):
    tables, _text, _ws = xlsx_tables(files[(DONG_TAM, "xlsx")])
    stored = Attainment.objects.get(unit__code=DONG_TAM, rule_set__code=NC, period__code=PERIOD)
    own = {r[0]: r for r in table(tables, "Kết quả theo bộ tiêu chí")[1:]}
    assert own[stored.rule_set.name][1:3] == ["12/19", "61/75"]
    unmet = [r[1] for r in table(tables, "Chỉ tiêu chưa đạt")[1:] if r[0] == (stored.rule_set.short_name or NC)]
    assert sorted(unmet) == sorted(stored.missing) and len(unmet) == 75 - 61
    assert "12/19" in pdf_text(files[(DONG_TAM, "pdf")])


# --- downloads ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_dashboards_link_to_both_files_which_download(client, users, fmt):
    client.force_login(users["demo-huyen-binhlieu"])
    url = reverse(f"unit-report-{fmt}", args=[BINH_LIEU])
    page = client.get(reverse("unit-detail", args=[BINH_LIEU]), {"period": PERIOD}).content.decode()
    assert f'href="{url}?period={PERIOD}"' in page
    response = client.get(url, {"period": PERIOD})
    assert response.status_code == 200
    assert f'filename="bao-cao-ntm-{BINH_LIEU}-{PERIOD}.{fmt}"' in response["Content-Disposition"]
    if fmt == "pdf":
        assert response.content.startswith(b"%PDF")
    else:
        rows = table(xlsx_tables(io.BytesIO(response.content))[0], "Kết quả từng xã")
        assert rows[2][:3] == ["Xã Đồng Tâm", "12/19", "61/75"]


def test_province_and_commune_pages_link_to_their_reports(client, users):
    client.force_login(users["demo-tinh-quangninh"])
    for code in (PROVINCE, DONG_TAM):
        page = client.get(reverse("unit-detail", args=[code])).content.decode()
        assert reverse("unit-report-pdf", args=[code]) in page, code


@pytest.mark.parametrize(
    ("user", "refused"),
    [
        ("demo-xa-dongtam", [BINH_LIEU, PROVINCE, "06841"]),
        ("demo-huyen-binhlieu", ["201", "06940", PROVINCE]),
    ],
)
def test_outsiders_are_refused_both_files(client, users, user, refused):
    client.force_login(users[user])
    for code in refused:
        for fmt in ("xlsx", "pdf"):
            response = client.get(reverse(f"unit-report-{fmt}", args=[code]), {"period": PERIOD})
            assert response.status_code == 404, (code, fmt)


def test_another_province_and_anonymous_are_refused(client, demo, db):
    url = reverse("unit-report-xlsx", args=[BINH_LIEU])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    other = get_user_model().objects.create_user("lang-son", password="x-pass-123")
    Membership.objects.create(user=other, unit=AdminUnit.objects.get(code="20"), role=Role.PROVINCIAL_VIEWER)
    client.force_login(other)
    assert client.get(url, {"period": PERIOD}).status_code == 404


@pytest.mark.parametrize(
    ("period", "message"),
    [("2023-13", "không hợp lệ"), ("2019", "Chưa có kết quả nào của Huyện Bình Liêu trong kỳ 2019")],
)
def test_a_bad_period_is_refused_with_a_message(client, users, period, message):
    client.force_login(users["demo-huyen-binhlieu"])
    response = client.get(reverse("unit-report-pdf", args=[BINH_LIEU]), {"period": period})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_latest_period_when_none_is_given(client, users):
    client.force_login(users["demo-huyen-binhlieu"])
    response = client.get(reverse("unit-report-xlsx", args=[BINH_LIEU]))
    assert response.status_code == 200 and PERIOD in response["Content-Disposition"]


# --- the command and cells that would run as formulas ---------------------------------------------------------------


def test_the_command_refuses_what_it_cannot_make(demo, db, tmp_path):
    with pytest.raises(CommandError, match="2019"):
        call_command(
            "report_export", "--unit", BINH_LIEU, "--period", "2019", "--format", "pdf", "--output", str(tmp_path / "x")
        )
    with pytest.raises(CommandError, match="99999"):
        call_command(
            "report_export", "--unit", "99999", "--period", PERIOD, "--format", "xlsx", "--output", str(tmp_path / "x")
        )
    assert not (tmp_path / "x").exists()


def test_names_that_look_like_formulas_are_written_as_text(demo, db):
    dong_tam = AdminUnit.objects.get(code=DONG_TAM)
    dong_tam.name = '=HYPERLINK("http://example.invalid","x")'
    dong_tam.save(update_fields=["name"])
    data = progress_report_xlsx(progress_report_build(unit=AdminUnit.objects.get(code=BINH_LIEU), period_code=PERIOD))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'" + dong_tam.name in values
    assert not any(v.startswith("=") for v in values)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_numbers_equal_the_dashboard_model(demo, db):
    """The report reads the dashboard's own structures: the tier rows are the dashboard's, cumulated."""
    board = dashboards.district_dashboard(unit=AdminUnit.objects.get(code=BINH_LIEU), period_code=PERIOD)
    report = progress_report_build(unit=board.unit, period_code=PERIOD)
    tiers = report.tables[0].rows
    assert [r[1] for r in tiers] == list(cumulative(board.tiers).values())


# --- recognitions, responsible agencies and capital ----------------------------------------------------------------


def workbook(code, period=PERIOD):
    report = progress_report_build(unit=AdminUnit.objects.get(code=code), period_code=period)
    return xlsx_tables(io.BytesIO(progress_report_xlsx(report)))


def test_recognised_tiers_are_cumulative_and_follow_the_decisions(demo, db):
    tables, _text, _ws = workbook(PROVINCE)
    rows = {r[0]: r[1] for r in table(tables, "Số xã được công nhận theo bậc")[1:]}
    end = ReportingPeriod.objects.get(code=PERIOD).end
    held = defaultdict(set)
    for r in Recognition.objects.filter(unit__path__startswith="22/", unit__kind=Kind.XA).select_related("rule_set"):
        if recognised_on(r, end):
            held[r.rule_set.tier].add(r.unit_id)
    nang_cao = held["nang_cao"] | held["kieu_mau"]
    assert rows["NTM nâng cao"] == len(nang_cao)
    assert rows["NTM"] == len(held["ntm"] | nang_cao) == 91


def test_unmet_indicators_with_agencies_and_deadlines_overdue_first(demo, db):
    dong_tam = AdminUnit.objects.get(code=DONG_TAM)
    stored = Attainment.objects.get(unit=dong_tam, rule_set__code=NC, period__code=PERIOD)
    first, second, met = stored.missing[0], stored.missing[1], "1.1"
    assert met not in stored.missing
    Assignment.objects.filter(unit__path__startswith="22/").delete()  # the demo's own, replaced by known ones
    indicators = {i.code: i for i in stored.rule_set.indicators.all()}
    day = dt.date(2023, 1, 1)
    Assignment.objects.create(
        unit=dong_tam,
        indicator=indicators[first],
        agency="Phòng Kinh tế",
        deadline=dt.date(2023, 12, 31),
        assigned_on=day,
    )
    Assignment.objects.create(
        unit=dong_tam,
        indicator=indicators[second],
        agency="Phòng Y tế",
        deadline=dt.date(2023, 6, 30),
        assigned_on=day,
    )
    Assignment.objects.create(
        unit=dong_tam,
        indicator=indicators[met],
        agency="Phòng Tài nguyên",
        deadline=dt.date(2023, 3, 31),
        assigned_on=day,
    )
    tables, text, _ws = workbook(BINH_LIEU)
    rows = table(tables, "Chỉ tiêu chưa đạt và đơn vị phụ trách")[1:]
    # the met indicator is left out; the overdue one (30/06 before 30/09) comes first
    assert [r[:2] + r[3:] for r in rows] == [
        ["Xã Đồng Tâm", second, "Phòng Y tế", "30/06/2023", "Quá hạn"],
        ["Xã Đồng Tâm", first, "Phòng Kinh tế", "31/12/2023", "Trong hạn"],
    ]
    assert "chưa được giao" not in text
    commune, _t, _w = workbook(DONG_TAM)
    unmet = {r[1]: r for r in table(commune, "Chỉ tiêu chưa đạt")[1:]}
    assert unmet[first][5:7] == ["Phòng Kinh tế", "31/12/2023"]
    assert unmet[stored.missing[2]][5:7] == [None, None]


def test_capital_disbursed_against_plan(demo, db):
    dong_tam, luc_hon = AdminUnit.objects.get(code=DONG_TAM), AdminUnit.objects.get(code="06856")
    Capital.objects.filter(unit__path__startswith="22/").delete()  # the demo's own, replaced by known ones
    Work.objects.filter(unit__path__startswith="22/").delete()
    Capital.objects.create(unit=dong_tam, year=2023, source=CapitalSource.CENTRAL, planned=1000, disbursed=400)
    Capital.objects.create(unit=luc_hon, year=2023, source=CapitalSource.CENTRAL, planned=500, disbursed=350)
    Capital.objects.create(unit=luc_hon, year=2023, source=CapitalSource.LOCAL, planned=200, disbursed=50)
    Capital.objects.create(unit=luc_hon, year=2022, source=CapitalSource.LOCAL, planned=999, disbursed=999)
    tables, text, _ws = workbook(BINH_LIEU)
    rows = table(tables, "Vốn đầu tư năm 2023")
    assert rows[1:] == [
        ["Ngân sách trung ương", 1500, 750, 50],
        ["Ngân sách địa phương", 200, 50, 25],
        ["Tổng cộng", 1700, 800, 47],  # rounded as the dashboards round it
    ]
    assert "chưa có số liệu vốn" not in text
    # the province's report sums the same rows; another district's has none
    assert table(workbook(PROVINCE)[0], "Vốn đầu tư năm 2023")[-1][1:3] == [1700, 800]
    assert "chưa có số liệu vốn" in workbook("201", "2023-6M")[1]  # Hải Hà reported up to 6 months
    Work.objects.create(
        unit=luc_hon, year=2023, name="Đường liên thôn Khe Vằn", progress=60, planned_end=dt.date(2023, 8, 31)
    )
    Work.objects.create(unit=luc_hon, year=2023, name="Nhà văn hóa", progress=20, planned_end=dt.date(2023, 12, 31))
    behind = table(workbook(BINH_LIEU)[0], "Công trình chậm tiến độ")[1:]
    assert [r[:2] + r[3:] for r in behind] == [["Xã Lục Hồn", "Đường liên thôn Khe Vằn", 60, "31/08/2023"]]
