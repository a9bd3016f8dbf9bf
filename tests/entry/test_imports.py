"""Files as offices save them (LibreOffice exports under tests/fixtures/imports/), read alike by the Excel upload
and by `import_values`: read right, or refused with the message a person reads, never stored wrong."""

import io
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from criteria.models import IndicatorValue, ReportingPeriod, RuleSet, Tier, ValueChange, ValueKind, ValueStatus
from entry import services
from ntm_tracker.tabular import TableError, read_rows, read_table
from tests.factories import CriterionFactory, IndicatorFactory, RuleSetFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


@pytest.fixture
def files_world(world):
    """The entry world plus a set with a yes/no indicator met by "Không" and an income with a declared range."""
    extra = RuleSetFactory(code="t-nha", name="Nhà ở và thu nhập thử", tier=Tier.NANG_CAO, applies_to={"kinds": ["xa"]})
    c9 = CriterionFactory(rule_set=extra, code="9", name="Nhà ở", position=1)
    world["no_house"] = IndicatorFactory(
        criterion=c9,
        code="9.1",
        text="Trên địa bàn xã còn nhà tạm, dột nát",
        kind=ValueKind.BOOL,
        target={"op": "no"},
        position=1,
    )
    c10 = CriterionFactory(rule_set=extra, code="10", name="Thu nhập", position=2)
    world["income"] = IndicatorFactory(
        criterion=c10,
        code="10",
        text="Thu nhập bình quân đầu người (triệu đồng/người/năm)",
        kind=ValueKind.AMOUNT,
        unit_label="triệu đồng/người/năm",
        target={"op": ">=", "value": 48},
        plausible_range={"min": 10, "max": 500},
        position=2,
    )
    RuleSet.objects.filter(pk=extra.pk).update(status=RuleSet.Status.PUBLISHED)
    return world


def upload(world, name: str, data: bytes | None = None):
    """Through the entry page's upload: (status, the page's text)."""
    client = Client()
    client.force_login(world["official"])
    handle = io.BytesIO(data if data is not None else (FILES / name).read_bytes())
    handle.name = name
    response = client.post(reverse("entry-excel-upload", args=["71001", "2023"]), {"file": handle})
    return response.status_code, response.content.decode()


def command(name: str, *args) -> str:
    """Through `import_values`: its output, or the refusal's text."""
    out = io.StringIO()
    try:
        call_command("import_values", str(FILES / name), "--period", "2023", *args, stdout=out)
    except CommandError as exc:
        return "REFUSED " + str(exc)
    return out.getvalue()


def stored(code: str):
    value = IndicatorValue.objects.get(indicator__code=code, unit__code="71001")
    return value.boolean if value.indicator.kind == ValueKind.BOOL else value.number


def through(via, world, name):
    if via == "upload":
        status, text = upload(world, name)
        return status in (200, 302), text
    text = command(name)
    return not text.startswith("REFUSED"), text


VIAS = ["upload", "command"]


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("name", ["percent-cells.xlsx", "percent-cells.ods"])
def test_a_cell_formatted_as_a_percentage_is_read_as_the_percentage_shown(files_world, via, name):
    ok, text = through(via, files_world, name)
    assert ok, text
    assert stored("1.1") == Decimal("85")  # the cell holds 0.85, shown "85%"
    assert stored("1.2") is True and stored("2.1") == 1250 and stored("2.2") == Decimal("76.6")


def test_a_percentage_cell_on_a_count_is_refused(files_world):
    ok, text = through("command", files_world, "percent-cells.xlsx")
    assert ok
    data = (FILES / "percent-cells.xlsx").read_bytes()
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    sheet["C4"].value, sheet["C4"].number_format = 0.5, "0%"  # 2.1 is a count
    out = io.BytesIO()
    workbook.save(out)
    status, html = upload(files_world, "percent.xlsx", out.getvalue())
    assert status == 400
    assert "Dòng 4, cột «C (Giá trị)»: Ô định dạng phần trăm (50%) nhưng chỉ tiêu không phải tỷ lệ" in html


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("name", ["dat-khong-dat.csv", "dat-khong-dat.ods"])
def test_dat_and_khong_dat_mean_met_and_not_met_never_an_inverted_answer(files_world, via, name):
    ok, text = through(via, files_world, name)
    assert ok, text
    # 9.1 "còn nhà tạm, dột nát" is met when the answer is Không: "Đạt" is stored as Không
    assert stored("9.1") is False
    # 1.2 is met by Có: "Không đạt" is Không
    assert stored("1.2") is False


def test_the_template_guide_states_the_dat_rule_and_yes_no_cells_have_a_drop_down(files_world):
    client = Client()
    client.force_login(files_world["official"])
    workbook = load_workbook(io.BytesIO(client.get(reverse("entry-excel", args=["71001", "2023"])).content))
    guide = " ".join(str(r[0]) for r in workbook["huong-dan"].iter_rows(values_only=True))
    assert "«Đạt» / «Không đạt»: nghĩa là chỉ tiêu đạt / không đạt" in guide and "được lưu là Không" in guide
    assert "76.611" in guide and "Không ghi 76.611" in guide  # the example no longer invites the misreading
    sheet = workbook["nhap-lieu"]
    rows = {r[2].value: r[0].row for r in sheet.iter_rows(min_row=2)}
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and lists[0].formula1 == '"Có,Không"'
    covered = str(lists[0].sqref)
    assert f"I{rows['1.2']}" in covered and f"I{rows['9.1']}" in covered and f"I{rows['1.1']}" not in covered


@pytest.mark.parametrize("via", VIAS)
def test_a_csv_with_english_number_settings_is_read_in_its_own_convention(files_world, via):
    ok, text = through(via, files_world, "english-separators.csv")
    assert ok, text
    assert stored("2.1") == 45500  # "45,500" households, not 45,5
    assert stored("1.1") == Decimal("12.5")


@pytest.mark.parametrize("via", VIAS)
def test_a_value_that_reads_two_ways_is_refused_naming_both(files_world, via):
    ok, text = through(via, files_world, "ambiguous-separators.csv")
    assert not ok
    assert "Dòng 2, cột «C (value)»: &#x27;45,500&#x27;" in text or "Dòng 2, cột «C (value)»: '45,500'" in text
    assert "45.500" in text and "45,5" in text and "đọc được hai cách" in text
    assert not IndicatorValue.objects.exists()


@pytest.mark.parametrize("via", VIAS)
def test_an_income_outside_its_declared_range_is_refused_with_the_range_and_the_cell(files_world, via):
    ok, text = through(via, files_world, "income-thousands-dot.csv")
    assert not ok
    assert (
        "Dòng 3, cột «C (Giá trị)»: 76.611 nằm ngoài khoảng hợp lý của chỉ tiêu 10: "
        "từ 10 đến 500 triệu đồng/người/năm." in text
    )
    assert not IndicatorValue.objects.exists()  # 1.1 on row 2 was good, and is not saved either


def test_an_income_typed_with_a_thousands_dot_is_refused_on_the_entry_page(files_world):
    client = Client()
    client.force_login(files_world["official"])
    income = files_world["income"]
    response = client.post(
        reverse("entry-unit", args=["71001", "2023"]),
        {"action": "save", f"v{income.pk}-value": "76.611", f"v{income.pk}-version": 0},
    )
    assert "76.611 nằm ngoài khoảng hợp lý của chỉ tiêu 10: từ 10 đến 500 triệu đồng/người/năm." in (
        response.content.decode()
    )
    assert not IndicatorValue.objects.exists()


@pytest.mark.parametrize("via", VIAS)
def test_a_wrong_encoding_is_reported_at_the_first_row_that_fails(files_world, via):
    ok, text = through(via, files_world, "windows-1258.csv")
    assert not ok
    assert "Dòng 3: không đọc được chữ ở byte 0xF3, tệp CSV phải lưu với bảng mã UTF-8" in text
    assert not IndicatorValue.objects.exists()


def test_vietnamese_and_english_headers_read_alike_with_or_without_accents(files_world):
    for header in ("Mã đơn vị,Mã chỉ tiêu,Giá trị,Ghi chú", "ma don vi,MA CHI TIEU,gia tri,ghi chu"):
        data = f"{header}\n71001,2.1,7,lần {header[:2]}\n".encode()
        status, html = upload(files_world, "values.csv", data)
        assert status == 302, html
    assert stored("2.1") == 7
    assert ValueChange.objects.filter(source=ValueChange.Source.EXCEL).count() == 2


def test_an_xls_or_a_text_document_is_refused_naming_what_is_accepted(files_world):
    status, html = upload(files_world, "old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert status == 400 and ".xls (Excel 97-2003) không được nhận: lưu lại thành .xlsx hoặc .ods" in html
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<x/>")
    status, html = upload(files_world, "note.ods", odt.getvalue())
    assert status == 400 and "không phải bảng tính (.ods)" in html


# --- limits (hostile files) -------------------------------------------------------------------------------------


def test_a_sheet_declaring_a_million_rows_answers_at_once_with_a_message(files_world):
    data = (FILES / "forged-dimension.xlsx").read_bytes()
    assert len(data) < 5_000  # <dimension ref="A1:XFD1048576"/>, a header and one cell in row 1,048,576
    started = time.monotonic()
    status, html = upload(files_world, "forged.xlsx", data)
    elapsed = time.monotonic() - started
    assert status == 400
    assert "Dòng 1048576 có dữ liệu: tệp chỉ được có tối đa 5.000 dòng dưới dòng tiêu đề." in html
    # reading by the declared dimension took 20 s per 10,000 rows; streaming reads two rows
    assert elapsed < 1.0


def _xlsx_by_hand(rows: int, *, cell: str = "<c t='inlineStr'><is><t>x</t></is></c>") -> bytes:
    """A minimal workbook with `rows` rows, written directly (openpyxl would take seconds for 100,000)."""
    body = "".join(f"<row r='{i}'>{cell}</row>" for i in range(1, rows + 1))
    sheet = (
        "<?xml version='1.0' encoding='UTF-8'?><worksheet xmlns='http://schemas.openxmlformats.org/"
        f"spreadsheetml/2006/main'><sheetData>{body}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        source = zipfile.ZipFile(FILES / "forged-dimension.xlsx")
        for info in source.infolist():
            content = sheet.encode() if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            archive.writestr(info.filename, content)
    return out.getvalue()


def test_a_hundred_thousand_rows_are_refused_by_size_not_by_timeout(files_world):
    data = _xlsx_by_hand(100_000)
    status, html = upload(files_world, "big.xlsx", data)
    assert status == 400
    assert "Dòng 5002 có dữ liệu: tệp chỉ được có tối đa 5.000 dòng dưới dòng tiêu đề." in html
    with pytest.raises(TableError, match="5.000 dòng"):
        read_table(data, filename="big.xlsx")
    with pytest.raises(TableError, match="5.000 dòng"):  # the other uploads (OCOP, plans) read with the same limits
        read_rows(data, filename="big.xlsx")


def test_a_zip_bomb_is_refused_before_it_is_unzipped(files_world):
    padding = "<c t='inlineStr'><is><t>" + " " * 30_000 + "</t></is></c>"
    data = _xlsx_by_hand(1_000, cell=padding)  # 30 MB unzipped, a few hundred KB as sent
    assert len(data) < 1_000_000
    status, html = upload(files_world, "bomb.xlsx", data)
    assert status == 400 and "Tệp quá lớn" in html and "giải nén tối đa 20 MB" in html


def test_a_row_wider_than_the_limit_is_refused(files_world):
    wide = ",".join(["unit_code", "indicator_code", "value"] + [f"c{i}" for i in range(50)])
    status, html = upload(files_world, "wide.csv", f"{wide}\n71001,1.1,80\n".encode())
    assert status == 400 and "tối đa 40 cột" in html


# --- one write path -----------------------------------------------------------------------------------------------


def _approved(world, indicator, raw):
    value = services.value_save(
        user=world["official"],
        unit=world["commune"],
        indicator=indicator,
        period=world["period"],
        raw=raw,
        expected_version=0,
    )
    services.value_submit(user=world["official"], value=value)
    value.refresh_from_db()
    services.value_approve(user=world["reviewer"], value=value, expected_version=value.version)
    value.refresh_from_db()
    assert value.status == ValueStatus.APPROVED
    return value


def test_import_values_over_an_approved_value_needs_a_reason_and_sends_it_back_to_review(files_world, tmp_path):
    value = _approved(files_world, files_world["pct"], "90")
    path = tmp_path / "values.csv"
    path.write_text("unit_code,indicator_code,value\n71001,1.1,10\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Dòng 2, cột «reason»: giá trị đã được duyệt: ghi lý do"):
        call_command("import_values", str(path), "--period", "2023", stdout=io.StringIO())
    value.refresh_from_db()
    assert value.number == Decimal("90") and value.status == ValueStatus.APPROVED

    call_command(
        "import_values", str(path), "--period", "2023", "--reason", "số liệu điều tra lại", stdout=io.StringIO()
    )
    value.refresh_from_db()
    assert value.number == Decimal("10")
    assert value.status == ValueStatus.SUBMITTED  # back in review, not "approved" with a new number
    change = value.changes.order_by("-id").first()
    assert (change.action, change.source, change.reason) == ("import", "command", "số liệu điều tra lại")
    assert (change.old_number, change.new_number, change.old_status) == (Decimal("90"), Decimal("10"), "approved")


def test_every_write_path_records_its_source(files_world, tmp_path):
    services.value_save(
        user=files_world["official"],
        unit=files_world["commune"],
        indicator=files_world["pct"],
        period=files_world["period"],
        raw="81",
        expected_version=0,
    )
    upload(files_world, "values.csv", b"indicator_code,value\n2.1,5\n")
    path = tmp_path / "values.csv"
    path.write_text("unit_code,indicator_code,value\n71001,1.2,có\n", encoding="utf-8")
    call_command("import_values", str(path), "--period", "2023", stdout=io.StringIO())
    sources = dict(ValueChange.objects.values_list("value__indicator__code", "source"))
    assert sources == {"1.1": "form", "2.1": "excel", "1.2": "command"}


def test_a_value_too_large_is_refused_next_to_its_field_and_nothing_is_half_saved(files_world):
    client = Client()
    client.force_login(files_world["official"])
    w = files_world
    data = {"action": "save"}
    for indicator, raw in ((w["pct"], "90"), (w["count"], "1000000000000000"), (w["income"], "55")):
        data |= {f"v{indicator.pk}-value": raw, f"v{indicator.pk}-version": 0, f"v{indicator.pk}-note": ""}
    response = client.post(reverse("entry-unit", args=["71001", "2023"]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1.000.000.000.000.000 nằm ngoài khoảng hợp lý của chỉ tiêu 2.1: từ 0 đến 100.000.000." in html
    assert 'value="1000000000000000"' in html  # what was typed stays in its field
    assert dict(IndicatorValue.objects.values_list("indicator__code", "number")) == {
        "1.1": Decimal("90"),
        "10": Decimal("55"),
    }
    # in a file, the same value refuses the whole file
    status, html = upload(w, "values.csv", b"indicator_code,value\n1.1,70\n2.1,1000000000000000\n")
    assert status == 400 and "Dòng 3, cột «B (value)»: 1.000.000.000.000.000 nằm ngoài" in html
    assert stored("1.1") == Decimal("90")


# --- one report per unit per end date -----------------------------------------------------------------------------


def test_a_second_period_with_the_same_end_is_refused_naming_the_first(files_world, tmp_path):
    w = files_world
    q2 = ReportingPeriod.objects.for_code("2023-Q2")
    services.value_save(
        user=w["official"], unit=w["commune"], indicator=w["pct"], period=q2, raw="70", expected_version=0
    )
    half = ReportingPeriod.objects.for_code("2023-6M")
    with pytest.raises(services.PeriodClash) as refused:
        services.value_save(
            user=w["official"], unit=w["commune"], indicator=w["pct"], period=half, raw="75", expected_version=0
        )
    assert refused.value.message == (
        "Xã Đồng Thử đã có báo cáo kỳ 2023-Q2, kết thúc cùng ngày 30/06/2023 với kỳ 2023-6M: mỗi đơn vị chỉ có "
        "một báo cáo cho một ngày kết thúc kỳ. Nhập vào kỳ 2023-Q2."
    )
    path = tmp_path / "values.csv"
    path.write_text("unit_code,indicator_code,value\n71001,2.1,4\n71002,2.1,5\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Dòng 2, cột «A \\(unit_code\\)»: Xã Đồng Thử đã có báo cáo kỳ 2023-Q2"):
        call_command("import_values", str(path), "--period", "2023-6M", stdout=io.StringIO())
    client = Client()
    client.force_login(w["official"])
    response = client.post(
        reverse("entry-unit", args=["71001", "2023-6M"]),
        {"action": "save", f"v{w['count'].pk}-value": "4", f"v{w['count'].pk}-version": 0},
    )
    assert response.status_code == 200 and "đã có báo cáo kỳ 2023-Q2" in response.content.decode()
    assert list(IndicatorValue.objects.values_list("period__code", flat=True)) == ["2023-Q2"]
