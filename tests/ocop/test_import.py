"""The Excel import: one row per product, Vietnamese headers, every bad row reported, all or nothing."""

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from communes.access import rights_for
from ntm_tracker.tabular import FileRejected, TableError
from ocop.excel import COLUMNS, products_import, products_workbook
from ocop.models import Certificate, Evaluation, Producer, Product

HEADER = [
    "Mã xã",
    "Tên chủ thể",
    "Loại chủ thể",
    "Tên sản phẩm",
    "Nhóm sản phẩm",
    "Ngày đánh giá",
    "Điểm phần A",
    "Điểm phần B",
    "Điểm phần C",
    "Số sao",
    "Số quyết định",
    "Ngày quyết định",
]


def row(**over):
    base = {
        "Mã xã": "81001",
        "Tên chủ thể": "HTX Mật ong",
        "Loại chủ thể": "Hợp tác xã",
        "Tên sản phẩm": "Mật ong bạc hà",
        "Nhóm sản phẩm": "Thực phẩm",
        "Ngày đánh giá": dt.datetime(2024, 5, 10),
        "Điểm phần A": 30,
        "Điểm phần B": 15,
        "Điểm phần C": 20,
        "Số sao": 3,
        "Số quyết định": "45/QĐ-UBND",
        "Ngày quyết định": "15/06/2024",
    }
    base.update(over)
    return base


def workbook(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append([r.get(h) for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows():
    return [
        row(),
        row(
            **{"Tên sản phẩm": "Mật ong hoa nhãn", "Điểm phần A": 35, "Số sao": 4, "Điểm phần B": 20, "Điểm phần C": 20}
        ),
        row(
            **{
                "Mã xã": "81002",
                "Tên chủ thể": "Công ty Gốm Thử",
                "Loại chủ thể": "doanh nghiệp",
                "Tên sản phẩm": "Bình gốm",
                "Nhóm sản phẩm": "Hàng thủ công mỹ nghệ",
                "Số sao": None,
                "Số quyết định": None,
                "Ngày quyết định": None,
            }
        ),
    ]


def test_a_good_file_is_imported_whole(tree, people):
    result = products_import(rights=rights_for(people["coordinator"]), data=workbook(good_rows()), filename="ds.xlsx")
    assert (result.producers, result.products, result.evaluations, result.certificates) == (2, 3, 3, 2)
    assert Producer.objects.get(name="HTX Mật ong").products.count() == 2
    honey = Evaluation.objects.get(product__name="Mật ong hoa nhãn")
    assert (honey.total_points, honey.stars) == (75, 4)
    assert Certificate.objects.get(product__name="Mật ong bạc hà").expires_on == dt.date(2027, 6, 15)


def test_one_bad_row_refuses_the_whole_file_and_names_the_row(tree, people):
    rows = good_rows()
    rows.insert(1, row(**{"Tên sản phẩm": "Mật ong rừng", "Điểm phần A": 45}))  # row 3 of the sheet: A is out of 40
    with pytest.raises(FileRejected) as refused:
        products_import(rights=rights_for(people["coordinator"]), data=workbook(rows), filename="ds.xlsx")
    problems = refused.value.problems
    assert [(p.row, p.field) for p in problems] == [(3, "Điểm phần A")]
    assert "Dòng 3, cột «Điểm phần A»" in str(refused.value) and "0–40" in str(refused.value)
    assert not Producer.objects.exists() and not Product.objects.exists() and not Evaluation.objects.exists()


def test_every_bad_row_is_reported(tree, people):
    rows = [
        row(**{"Số sao": 4}),  # 65 points are 3 stars
        row(**{"Tên sản phẩm": "Trà", "Nhóm sản phẩm": "Đồ ăn vặt"}),
        row(**{"Tên sản phẩm": "Mật ong bạc hà"}),  # the same product as row 2 of the sheet
        row(**{"Tên sản phẩm": "Rượu", "Mã xã": "82001"}),  # another province
        row(**{"Tên sản phẩm": "Rượu 2", "Ngày đánh giá": "31/02/2024"}),
        row(**{"Tên sản phẩm": "Rượu 3", "Điểm phần B": "12,5"}),
        row(**{"Tên sản phẩm": "Rượu 4", "Ngày quyết định": "01/01/2024"}),  # before the evaluation
        row(**{"Tên sản phẩm": "Rượu 5", "Loại chủ thể": "Doanh nghiệp"}),  # the producer is a cooperative
    ]
    with pytest.raises(FileRejected) as refused:
        products_import(rights=rights_for(people["coordinator"]), data=workbook(rows), filename="ds.xlsx")
    found = {(p.row, p.field) for p in refused.value.problems}
    assert found == {
        (2, "Số sao"),
        (3, "Nhóm sản phẩm"),
        (4, "Tên sản phẩm"),
        (5, "Mã xã"),
        (6, "Ngày đánh giá"),
        (7, "Điểm phần B"),
        (8, "Ngày quyết định"),
        (9, "Loại chủ thể"),
    }
    assert "đã có ở dòng 3" not in str(refused.value)
    assert not Producer.objects.exists()


def test_the_duplicate_names_the_first_row(tree, people):
    rows = [row(), row(**{"Tên sản phẩm": "MẬT ONG  BẠC HÀ"})]
    with pytest.raises(FileRejected) as refused:
        products_import(rights=rights_for(people["coordinator"]), data=workbook(rows), filename="ds.xlsx")
    assert [(p.row, p.field) for p in refused.value.problems] == [(3, "Tên sản phẩm")]
    assert "dòng 2" in refused.value.problems[0].reason


def test_a_file_with_wrong_columns_is_refused_naming_them(tree, people):
    header = [h if h != "Điểm phần C" else "Điểm phần D" for h in HEADER]
    with pytest.raises(TableError) as refused:
        products_import(rights=rights_for(people["coordinator"]), data=workbook([row()], header), filename="ds.xlsx")
    assert "Điểm phần C" in str(refused.value) and "điểm phần d" in str(refused.value)


def test_a_commune_official_imports_only_his_commune(tree, people):
    rows = good_rows()
    with pytest.raises(FileRejected) as refused:
        products_import(rights=rights_for(people["official"]), data=workbook(rows), filename="ds.xlsx")
    assert [(p.row, p.field) for p in refused.value.problems] == [(4, "Mã xã")]


def test_export_neutralises_formulas_and_reimports_unchanged(tree, people, registry):
    rights = rights_for(people["coordinator"])
    producer = registry["producer"]
    producer.contact_person = '=HYPERLINK("http://x")'
    producer.save()
    data = products_workbook(unit=tree["province"], today=dt.date(2024, 6, 1))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [name for name, _w in COLUMNS]
    assert rows[1][4] == '\'=HYPERLINK("http://x")'
    assert rows[1][-1] == "Còn hiệu lực"
    result = products_import(rights=rights, data=data, filename="ocop.xlsx")
    assert result.unchanged == 1 and result.evaluations == 0 and Evaluation.objects.count() == 1


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_file_saved_by_libreoffice_from_csv(tree, people, tmp_path):
    csv_path = Path(tmp_path) / "ocop.csv"
    csv_path.write_text(
        ";".join(HEADER)
        + "\n"
        + "81001;HTX Mật ong;Hợp tác xã;Mật ong bạc hà;Thực phẩm;10/05/2024;30;15;20;3;45/QĐ-UBND;15/06/2024\n",
        encoding="utf-8",
    )
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--infilter=CSV:59,34,76,1,,1066",  # semicolons, UTF-8, Vietnamese locale (dates as day/month)
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(csv_path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = (Path(tmp_path) / "ocop.xlsx").read_bytes()
    result = products_import(rights=rights_for(people["coordinator"]), data=data, filename="ocop.xlsx")
    assert result.products == 1
    evaluation = Evaluation.objects.get()
    assert evaluation.evaluated_on == dt.date(2024, 5, 10) and evaluation.stars == 3


def test_the_upload_page_lists_every_bad_row(client, tree, people):
    client.force_login(people["coordinator"])
    rows = [row(), row(**{"Tên sản phẩm": "Trà", "Điểm phần C": 36})]
    upload = io.BytesIO(workbook(rows))
    upload.name = "ds.xlsx"
    response = client.post(reverse("ocop:import", args=["81"]), {"file": upload})
    assert response.status_code == 400
    assert "Dòng 3, cột «Điểm phần C»" in response.content.decode()
    assert not Product.objects.exists()
