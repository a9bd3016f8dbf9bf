"""The plan pages: outsiders refused, entry through the forms, refusals next to their field, fixed query counts."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from plans.models import Assignment, Capital, Work
from reports.models import YearTarget
from tests.factories import UserFactory
from tests.recognition.conftest import result


def _urls(land):
    return [
        reverse("plans:targets", args=["61"]),
        reverse("plans:responsibility", args=["61001"]),
        reverse("plans:responsibility", args=["61"]),
        reverse("plans:capital", args=["61001"]),
        reverse("plans:capital", args=["61"]),
        reverse("plans:projection", args=["611"]),
    ]


def test_anonymous_readers_are_sent_to_login(client, land):
    for url in _urls(land):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_outsiders_get_404_and_change_nothing(client, land):
    client.force_login(land["users"]["other_coordinator"])
    for url in _urls(land):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("plans:targets", args=["61"]), {"unit_code": "61", "year": 2023, "rule_set": land["nc"].pk, "count": 2}
    )
    assert response.status_code == 404
    response = client.post(
        reverse("plans:capital", args=["61001"]),
        {"action": "capital", "year": 2023, "source": "central", "planned": "5"},
    )
    assert response.status_code == 404
    client.force_login(UserFactory(username="nobody"))
    assert client.get(_urls(land)[0]).status_code == 404
    assert not YearTarget.objects.exists() and not Capital.objects.exists()


def test_readers_inside_who_may_not_change_get_403(client, land):
    client.force_login(land["users"]["viewer"])
    page = client.get(reverse("plans:targets", args=["61"]))
    assert page.status_code == 200 and b'name="count"' not in page.content
    data = {"unit_code": "61", "year": 2023, "rule_set": land["nc"].pk, "count": 2}
    assert client.post(reverse("plans:targets", args=["61"]), data).status_code == 403
    client.force_login(land["users"]["official"])
    response = client.post(
        reverse("plans:responsibility", args=["61001"]),
        {"indicator": land["indicators"][1].pk, "agency": "X", "deadline": "2099-01-01"},
    )
    assert response.status_code == 403
    assert not YearTarget.objects.exists() and not Assignment.objects.exists()


def test_the_coordinator_sets_the_targets_on_the_page(client, land):
    client.force_login(land["users"]["coordinator"])
    url = reverse("plans:targets", args=["61"])
    data = {
        "unit_code": "61",
        "year": 2023,
        "rule_set": land["nc"].pk,
        "count": 2,
        "additional": "on",
        "expected": "61001, 61002",
        "note": "thêm 2 xã nâng cao",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"].endswith("?year=2023")
    target = YearTarget.objects.get()
    assert (target.count, target.additional) == (2, True)
    page = client.get(url + "?year=2023")
    assert "Xã Đồng Thử".encode() in page.content and "thêm 2".encode() in page.content
    bad = client.post(url, {**data, "expected": "62001"})
    assert bad.status_code == 400 and "Xã Mới (62001) không thuộc Tỉnh Thử".encode() in bad.content
    assert b'id="id_expected-error"' in bad.content
    assert list(target.expected_units.values_list("unit__code", flat=True)) == ["61001", "61002"]  # unchanged
    assert client.post(url, {**data, "count": "abc"}).status_code == 400
    assert client.post(url, {**data, "unit_code": "62"}).status_code == 400


def test_assigning_an_agency_on_the_commune_page(client, land):
    result(land["commune"], land["nc"], land["p9"], met=1)
    client.force_login(land["users"]["district"])
    url = reverse("plans:responsibility", args=["61001"])
    page = client.get(url)
    assert page.status_code == 200 and page.content.count(b'value="' + str(land["indicators"][1].pk).encode()) == 1
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    bad = client.post(url, {"indicator": land["indicators"][1].pk, "agency": "Phòng NN", "deadline": past})
    assert bad.status_code == 400 and "đã qua".encode() in bad.content
    assert not Assignment.objects.exists()
    future = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    ok = client.post(url, {"indicator": land["indicators"][1].pk, "agency": "Phòng NN", "deadline": future})
    assert ok.status_code == 302
    page = client.get(reverse("plans:responsibility", args=["611"]))
    assert "Phòng NN".encode() in page.content
    assert client.post(url, {"indicator": "999999", "agency": "X", "deadline": future}).status_code == 400
    assert client.post(url, {"indicator": "x"}).status_code == 400


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("von.xlsx", out.getvalue())


def test_capital_imported_from_excel_all_or_nothing(client, land):
    client.force_login(land["users"]["district"])
    url = reverse("plans:capital", args=["611"])
    header = ["Mã đơn vị", "Năm", "Nguồn vốn", "Kế hoạch (triệu đồng)", "Đã giải ngân (triệu đồng)", "Ghi chú"]
    bad = client.post(
        url,
        {
            "action": "import",
            "file": _xlsx(
                [
                    header,
                    ["61001", 2023, "Ngân sách trung ương", 1000, 400, ""],
                    ["61201", 2023, "local", 10, 1, ""],
                    ["61002", 2023, "xổ số", 5, 0, ""],
                ]
            ),
        },
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Dòng 3, cột «A (mã đơn vị)»" in text and "Dòng 4, cột «C (nguồn vốn)»" in text
    assert not Capital.objects.exists()
    ok = client.post(
        url,
        {
            "action": "import",
            "file": _xlsx(
                [
                    header,
                    ["61001", 2023, "Ngân sách trung ương", 1000, 400, ""],
                    ["61002", 2023, "Vốn tín dụng", "1.234,5", 0, "vay"],
                ]
            ),
        },
    )
    assert ok.status_code == 302
    assert sorted(Capital.objects.values_list("unit__code", "source")) == [("61001", "central"), ("61002", "credit")]
    page = client.get(url + "?year=2023")
    assert b"2234,50" in page.content  # the total planned, with the decimal comma


def test_a_commune_enters_capital_and_works_on_its_page(client, land):
    client.force_login(land["users"]["official"])
    url = reverse("plans:capital", args=["61001"])
    assert (
        client.post(
            url, {"action": "capital", "year": 2023, "source": "central", "planned": "1.000,5", "disbursed": "100"}
        ).status_code
        == 302
    )
    assert Capital.objects.get().planned == pytest.approx(1000.5)
    bad = client.post(url, {"action": "capital", "year": 2023, "source": "central", "planned": "12 tỷ"})
    assert bad.status_code == 400 and b"id_planned-error" in bad.content
    ok = client.post(
        url, {"action": "work", "year": 2023, "name": "Đường trục xã", "progress": "40", "planned_end": "2023-06-30"}
    )
    assert ok.status_code == 302 and Work.objects.get().progress == 40
    page = client.get(url + "?year=2023")
    assert "chậm tiến độ".encode() in page.content
    assert client.post(url, {"action": "bogus"}).status_code == 400


def test_projection_page_says_it_is_a_projection(client, land):
    result(land["commune"], land["nc"], land["p6"], met=1)
    result(land["commune"], land["nc"], land["p9"], met=2)
    client.force_login(land["users"]["viewer"])
    page = client.get(reverse("plans:projection", args=["611"]))
    assert "Đây là dự báo, không phải kết quả đánh giá.".encode() in page.content
    assert "Xã Đồng Thử".encode() in page.content and "chưa ước lượng được độ bất định".encode() in page.content


@pytest.mark.parametrize(
    ("name", "queries"),
    [
        # session, user, unit, memberships, rule sets (form), targets, expected units, recognitions, results
        ("plans:targets", 9),
        # session, user, unit, memberships, assignments, results
        ("plans:responsibility", 6),
        # session, user, unit, memberships, capital, works, districts
        ("plans:capital", 7),
        # session, user, unit, memberships, communes, results, recognitions
        ("plans:projection", 7),
    ],
)
def test_plan_pages_read_a_fixed_number_of_queries(client, land, django_assert_num_queries, name, queries):
    """The same number of queries for one unit or for many: the query count does not grow with the subtree."""
    from plans.services import assignment_set, capital_set, target_set, work_set

    coordinator = land["users"]["coordinator"]
    added = []
    for unit in (land["commune"], land["sibling"], land["far"]):
        result(unit, land["nc"], land["p6"], met=0)
        result(unit, land["nc"], land["p9"], met=1)
        capital_set(user=coordinator, unit=unit, year=2023, source="central", planned=100, disbursed=10)
        work_set(
            user=coordinator,
            unit=unit,
            year=2023,
            name="Đường",
            criterion=None,
            progress=5,
            planned_end=dt.date(2023, 1, 1),
        )
        assignment_set(
            user=coordinator, unit=unit, indicator=land["indicators"][2], agency="Sở NN", deadline=dt.date(2099, 1, 1)
        )
        target_set(
            user=coordinator,
            province=land["province"],
            unit_code="61",
            year=2023,
            rule_set=land["nc"],
            count=3,
            expected_codes=[*added, unit.code],
        )
        client.force_login(coordinator)
        url = reverse(name, args=["61"]) + "?year=2023"
        client.get(url)
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
        added.append(unit.code)


def test_province_and_district_pages_show_the_disbursement_rate_and_works_behind(client, land):
    from plans.services import capital_set, work_set

    coordinator = land["users"]["coordinator"]
    year = timezone.localdate().year
    capital_set(user=coordinator, unit=land["commune"], year=year, source="central", planned=800, disbursed=200)
    capital_set(user=coordinator, unit=land["far"], year=year, source="local", planned=200, disbursed=100)
    late = timezone.localdate() - dt.timedelta(days=10)
    work_set(
        user=coordinator,
        unit=land["commune"],
        year=year,
        name="Cầu treo",
        criterion=None,
        progress=30,
        planned_end=late,
    )
    work_set(
        user=coordinator,
        unit=land["far"],
        year=year,
        name="Trường mầm non",
        criterion=None,
        progress=90,
        planned_end=late + dt.timedelta(days=60),
    )
    client.force_login(land["users"]["viewer"])
    page = client.get(reverse("unit-detail", args=["61"])).content.decode()
    assert "Giải ngân năm" in page and "<strong>30%</strong>" in page
    assert "1 công trình chậm tiến độ" in page and "Cầu treo" in page and "Trường mầm non" not in page
    district = client.get(reverse("unit-detail", args=["612"])).content.decode()
    assert "<strong>50%</strong>" in district and "chậm tiến độ" not in district
