"""The Excel round trip: template, filled offline, uploaded; any bad cell changes nothing."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from criteria.importers import VALUE_ALIASES
from criteria.models import IndicatorValue, ValueChange
from entry import services
from entry.excel import neutralise
from ntm_tracker.tabular import normalise_header

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(world):
    client = Client()
    client.force_login(world["official"])
    return client


def template(client):
    response = client.get(reverse("entry-excel", args=["71001", "2023"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="nhap-lieu-71001-2023.xlsx"'
    return load_workbook(io.BytesIO(response.content))


def canonical(sheet):
    """The template's Vietnamese headers as the canonical column names."""
    return [VALUE_ALIASES[normalise_header(c.value)] for c in sheet[1]]


def rows_of(workbook):
    sheet = workbook.worksheets[0]
    header = canonical(sheet)
    return header, {r[2]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}


def upload(client, workbook, name="nhap.xlsx"):
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = name
    return client.post(reverse("entry-excel-upload", args=["71001", "2023"]), {"file": out})


def fill(workbook, code, column, value):
    sheet = workbook.worksheets[0]
    header = canonical(sheet)
    for row in sheet.iter_rows(min_row=2):
        if row[2].value == code:
            row[header.index(column)].value = value
            return
    raise AssertionError(code)


def test_the_template_holds_indicators_targets_and_current_values(world, client):
    services.value_save(
        user=world["official"],
        unit=world["commune"],
        indicator=world["pct"],
        period=world["period"],
        raw="72,5",
        note='=HYPERLINK("http://x")',
        expected_version=0,
    )
    header, rows = rows_of(template(client))
    assert header[:3] == ["unit_code", "rule_set", "indicator_code"]
    sheet = template(client).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["Mã đơn vị", "Bộ tiêu chí", "Mã chỉ tiêu"]
    assert set(rows) == {"1.1", "1.2", "2.1", "2.2"}  # the derived condition is computed, not typed
    assert rows["1.1"]["target"] == "≥ 80%" and rows["1.1"]["value"] == 72.5 and rows["1.1"]["version"] == 1
    assert rows["1.1"]["note"] == '\'=HYPERLINK("http://x")'  # never a live formula


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=x"])
def test_cells_that_would_run_as_formulas_are_neutralised(text):
    assert neutralise(text) == "'" + text
    assert neutralise("bình thường") == "bình thường"


def test_a_filled_template_saves_every_changed_value(world, client):
    workbook = template(client)
    fill(workbook, "1.1", "value", "76,5")
    fill(workbook, "1.2", "value", "có")
    fill(workbook, "2.2", "value", "76,6")
    fill(workbook, "2.2", "note", "-theo điều tra")
    response = upload(client, workbook)
    assert response.status_code == 302
    stored = {v.indicator.code: v for v in IndicatorValue.objects.select_related("indicator")}
    assert stored["1.1"].number == Decimal("76.5") and stored["1.2"].boolean is True
    assert stored["2.2"].number == Decimal("76.6") and stored["2.2"].note == "-theo điều tra"
    assert set(ValueChange.objects.values_list("action", flat=True)) == {ValueChange.Action.IMPORT}
    # the same file again changes nothing
    assert upload(client, workbook).status_code == 302
    assert ValueChange.objects.count() == 3


def test_a_file_with_any_bad_cell_changes_nothing_and_names_every_cell(world, client):
    workbook = template(client)
    fill(workbook, "1.1", "value", "150")
    fill(workbook, "1.2", "value", "có")
    fill(workbook, "2.1", "value", "2,5")
    sheet = workbook.worksheets[0]
    sheet.append(["71001", "t-khac", "9.9", "", "", "", "", "", "50", "", "", "", ""])
    sheet.append(["71001", "t-nc", "DK1", "", "", "", "", "", "có", "", "", "", ""])
    response = upload(client, workbook)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Dòng 2, cột «I (Giá trị)»: Tỷ lệ phải từ 0 đến 100" in html
    assert "Dòng 4, cột «I (Giá trị)»: Số lượng phải là số nguyên không âm" in html
    assert "Dòng 6, cột «C (Mã chỉ tiêu)»: bộ tiêu chí &#x27;t-khac&#x27; không áp dụng" in html
    assert "Dòng 7, cột «C (Mã chỉ tiêu)»" in html and "tự động" in html
    assert not IndicatorValue.objects.exists()


def test_a_value_changed_after_the_download_is_refused(world, client):
    services.value_save(
        user=world["official"],
        unit=world["commune"],
        indicator=world["pct"],
        period=world["period"],
        raw="60",
        expected_version=0,
    )
    workbook = template(client)
    services.value_save(
        user=world["colleague"],
        unit=world["commune"],
        indicator=world["pct"],
        period=world["period"],
        raw="85",
        expected_version=1,
    )
    fill(workbook, "1.1", "value", 90)
    response = upload(client, workbook)
    assert response.status_code == 400
    assert "xa2 đã sửa giá trị này sau khi tải mẫu (hiện là 85)" in response.content.decode()
    assert IndicatorValue.objects.get().number == Decimal("85")


def test_a_file_for_another_unit_or_of_another_type_is_refused(world, client):
    workbook = template(client)
    fill(workbook, "1.1", "unit_code", "71002")
    fill(workbook, "1.1", "value", "90")
    response = upload(client, workbook)
    assert response.status_code == 400 and "mẫu này dành cho Xã Đồng Thử" in response.content.decode()
    bad = io.BytesIO(b"\x00\x01 not a table")
    bad.name = "x.pdf"
    response = client.post(reverse("entry-excel-upload", args=["71001", "2023"]), {"file": bad})
    assert response.status_code == 400
    assert not IndicatorValue.objects.exists()


def test_outsiders_get_neither_the_template_nor_the_upload(world):
    client = Client()
    client.force_login(world["outsider"])
    assert client.get(reverse("entry-excel", args=["71001", "2023"])).status_code == 404
    viewer = Client()
    viewer.force_login(world["viewer"])
    assert viewer.get(reverse("entry-excel", args=["71001", "2023"])).status_code == 403
