"""import_units: the official tree from the vietnam-provinces package, village files and attribute files."""

import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import vietnam_provinces
import yaml
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from communes import importers
from communes.models import AdminUnit, Kind, Level, Region
from communes.services import unit_rename
from tests.factories import AdminUnitFactory, make_tree

REGION_TOTALS = {"TDMNPB": 14, "DBSH": 11, "BTB": 6, "DHNTB": 8, "TN": 5, "DNB": 6, "DBSCL": 13}


def _package_province_codes() -> list[str]:
    with open(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as fh:
        return [f"{p['code']:02d}" for p in json.load(fh)]


class _StrictLoader(yaml.SafeLoader):
    """Refuses duplicate keys, which plain YAML silently resolves to the last one."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=deep) for k, _v in node.value]
        duplicates = [k for k, n in Counter(keys).items() if n > 1]
        if duplicates:
            raise AssertionError(f"duplicate keys in regions.yaml: {duplicates}")
        return super().construct_mapping(node, deep=deep)


def test_every_package_province_has_exactly_one_region():
    data = yaml.load(importers.REGIONS_FILE.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506
    assert data["source"] and "81/2023/QH15" in data["source"]
    assert isinstance(data["verified"], bool)
    provinces = data["provinces"]
    assert all(isinstance(code, str) and len(code) == 2 for code in provinces)
    assert sorted(provinces) == sorted(_package_province_codes())
    assert all(entry["region"] in Region.values for entry in provinces.values())
    assert Counter(entry["region"] for entry in provinces.values()) == REGION_TOTALS
    assert provinces["22"] == {"name": "Tỉnh Quảng Ninh", "region": "DBSH"}
    assert importers.province_regions()["22"] == Region.DBSH


def _run(*args) -> str:
    out = io.StringIO()
    call_command("import_units", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _snapshot() -> list[tuple]:
    return list(AdminUnit.objects.order_by("code").values_list("code", "path", "name", "kind", "region", "parent_id"))


@pytest.mark.django_db
def test_national_import_is_complete_correct_fast_and_idempotent(django_assert_num_queries):
    # Units the package does not own must survive the import untouched.
    demo = AdminUnitFactory(kind=Kind.TINH, code="99", name="Tỉnh Mẫu", region=Region.TN, source="demo", is_demo=True)

    with CaptureQueriesContext(connection) as queries:
        first = _run()
    # Set-based: a handful of statements for ~10,800 units, not one per unit.
    assert len(queries) < 50
    assert first.splitlines() == [
        "Tỉnh: 63 tạo mới, 0 cập nhật, 0 không đổi",
        "Huyện: 696 tạo mới, 0 cập nhật, 0 không đổi",
        "Xã: 10051 tạo mới, 0 cập nhật, 0 không đổi",
    ]

    official = AdminUnit.objects.exclude(pk=demo.pk)
    assert official.filter(level=Level.PROVINCE).count() == 63
    assert official.filter(level=Level.DISTRICT).count() == 696
    assert official.filter(level=Level.COMMUNE).count() == 10051
    assert not official.filter(region="").exists()
    assert set(official.values_list("source", flat=True)) == {importers.package_source()}
    assert importers.package_source() == "vietnam-provinces 0.6.0"

    qn = AdminUnit.objects.get(code="22")
    assert (qn.name, qn.kind, qn.level, qn.path, qn.region) == ("Tỉnh Quảng Ninh", Kind.TINH, 1, "22/", Region.DBSH)
    assert AdminUnit.objects.get(code="01").kind == Kind.THANH_PHO_TW

    binh_lieu = AdminUnit.objects.get(code="198")
    assert (binh_lieu.name, binh_lieu.kind, binh_lieu.parent, binh_lieu.path) == (
        "Huyện Bình Liêu",
        Kind.HUYEN,
        qn,
        "22/198/",
    )
    children = list(binh_lieu.children.all())
    assert len(children) == 7
    assert all(c.level == Level.COMMUNE and c.region == Region.DBSH for c in children)
    assert Counter(c.kind for c in children) == {Kind.XA: 6, Kind.THI_TRAN: 1}

    dong_tam = AdminUnit.objects.get(code="06844")
    assert (dong_tam.name, dong_tam.kind, dong_tam.parent, dong_tam.path, dong_tam.region) == (
        "Xã Đồng Tâm",
        Kind.XA,
        binh_lieu,
        "22/198/06844/",
        Region.DBSH,
    )

    mong_cai = AdminUnit.objects.get(code="194")
    assert (mong_cai.name, mong_cai.kind) == ("Thành phố Móng Cái", Kind.THANH_PHO)
    hai_xuan = AdminUnit.objects.get(code="06745")
    assert (hai_xuan.name, hai_xuan.kind, hai_xuan.parent) == ("Xã Hải Xuân", Kind.XA, mong_cai)
    # The package spells two of them "Thành Phố": the kind must not depend on case.
    assert AdminUnit.objects.get(name="Thành Phố Bắc Kạn").kind == Kind.THANH_PHO
    # Each kind lands on its level.
    assert Counter(official.values_list("level", "kind")) == {
        (1, "tinh"): 57,
        (1, "thanh_pho_tw"): 6,
        (2, "huyen"): 509,
        (2, "thanh_pho"): 86,
        (2, "thi_xa"): 52,
        (2, "quan"): 49,
        (3, "xa"): 7717,
        (3, "phuong"): 1716,
        (3, "thi_tran"): 618,
    }
    assert AdminUnit.objects.get(code="79").region == Region.DNB
    ca_mau = AdminUnit.objects.filter(path__startswith="96/", level=Level.COMMUNE)
    assert ca_mau.count() > 0
    assert not ca_mau.exclude(region=Region.DBSCL).exists()

    # subtree_of: one prefix query, exactly the district and its seven communes.
    with django_assert_num_queries(1):
        subtree = list(AdminUnit.objects.subtree_of(binh_lieu))
    assert [u.code for u in subtree] == ["198", "06838", "06841", "06844", "06847", "06853", "06856", "06859"]

    # Villages hang under official communes; a short code must not be mistaken for an official one.
    AdminUnitFactory(kind=Kind.THON, code="0684401", parent=dong_tam, name="Thôn Khe Mươi", source="tệp")
    AdminUnitFactory(kind=Kind.BAN, code="B0001", parent=dong_tam, name="Bản Pắc Pò", source="tệp")

    before = _snapshot()
    second = _run()
    assert second.splitlines() == [
        "Tỉnh: 0 tạo mới, 0 cập nhật, 63 không đổi",
        "Huyện: 0 tạo mới, 0 cập nhật, 696 không đổi",
        "Xã: 0 tạo mới, 0 cập nhật, 10051 không đổi",
    ]
    assert _snapshot() == before
    demo.refresh_from_db()
    assert (demo.name, demo.region, demo.source, demo.path) == ("Tỉnh Mẫu", Region.TN, "demo", "99/")

    # A hand edit of a package field is repaired; a recorded rename is newer than the package and stays.
    AdminUnit.objects.filter(code="06841").update(name="sai tên", region=Region.TN)
    unit_rename(unit=dong_tam, new_name="Xã Đồng Tâm Mới", effective=dt.date(2024, 1, 1))
    third = _run()
    assert "Xã: 0 tạo mới, 1 cập nhật, 10050 không đổi" in third
    assert AdminUnit.objects.get(code="06841").name == "Xã Hoành Mô"
    assert AdminUnit.objects.get(code="06841").region == Region.DBSH
    assert AdminUnit.objects.get(code="06844").name == "Xã Đồng Tâm Mới"


@pytest.mark.django_db
def test_package_import_refuses_official_code_held_by_a_foreign_unit():
    AdminUnitFactory(kind=Kind.TINH, code="22", name="Quảng Ninh (mẫu)", source="demo", is_demo=True)
    with pytest.raises(CommandError, match="22"):
        _run()
    assert list(AdminUnit.objects.values_list("code", "name")) == [("22", "Quảng Ninh (mẫu)")]


# ---------------------------------------------------------------------------------------------
# Villages


@pytest.fixture
def tree(db):
    province, district, communes = make_tree(region=Region.TDMNPB, communes=2, prefix="7")
    # Codes as the GSO writes them, with a leading zero that spreadsheets like to drop.
    AdminUnit.objects.filter(pk=communes[0].pk).update(code="07001", path=district.path + "07001/")
    communes[0].refresh_from_db()
    return province, district, communes


def _csv(tmp_path: Path, text: str, *, bom: bool = False, name: str = "thon.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _xlsx(tmp_path: Path, rows: list[list], name: str = "thon.xlsx") -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return path


@pytest.mark.parametrize("bom", [True, False])
def test_villages_csv_happy_path_and_idempotent(tree, tmp_path, bom):
    _province, district, (x1, x2) = tree
    path = _csv(
        tmp_path,
        "parent_code,code,name\n"
        "07001,0700101,Thôn Nà Ếch\n"
        "07001,0700102,Bản Pắc Pò\n"
        "\n"
        f"{x2.code},{x2.code}01,Khu Trung Tâm\n"
        f"{x2.code},{x2.code}02, Xóm Đồng \n",
        bom=bom,
    )
    assert _run("--villages", str(path)).strip() == "Thôn: 4 tạo mới, 0 cập nhật, 0 không đổi"

    villages = {u.code: u for u in AdminUnit.objects.filter(level=Level.VILLAGE)}
    assert {c: (u.name, u.kind, u.parent_id, u.path, u.region) for c, u in villages.items()} == {
        "0700101": ("Thôn Nà Ếch", Kind.THON, x1.pk, "71/711/07001/0700101/", Region.TDMNPB),
        "0700102": ("Bản Pắc Pò", Kind.BAN, x1.pk, "71/711/07001/0700102/", Region.TDMNPB),
        f"{x2.code}01": ("Khu Trung Tâm", Kind.KHU, x2.pk, f"{x2.path}{x2.code}01/", Region.TDMNPB),
        f"{x2.code}02": ("Xóm Đồng", Kind.THON, x2.pk, f"{x2.path}{x2.code}02/", Region.TDMNPB),
    }
    assert set(AdminUnit.objects.subtree_of(district).filter(level=Level.VILLAGE)) == set(villages.values())

    before = _snapshot()
    assert _run("--villages", str(path)).strip() == "Thôn: 0 tạo mới, 0 cập nhật, 4 không đổi"
    assert _snapshot() == before


def test_villages_xlsx_numeric_codes_and_update(tree, tmp_path):
    _province, _district, (x1, _x2) = tree
    # Excel stored the parent code as the number 7001 and the village code as a float.
    path = _xlsx(tmp_path, [["Parent_Code", "Code", "Name"], [7001, 700101.0, "Thôn Một"], [None, None, None]])
    assert "1 tạo mới" in _run("--villages", str(path))
    village = AdminUnit.objects.get(code="700101")
    assert (village.parent_id, village.path) == (x1.pk, x1.path + "700101/")

    renamed = _xlsx(tmp_path, [["parent_code", "code", "name"], ["07001", "700101", "Bản Một"]])
    assert _run("--villages", str(renamed)).strip() == "Thôn: 0 tạo mới, 1 cập nhật, 0 không đổi"
    village.refresh_from_db()
    assert (village.name, village.kind) == ("Bản Một", Kind.BAN)


def _reject(path: Path) -> list[str]:
    before = _snapshot()
    err = io.StringIO()
    with pytest.raises(CommandError, match="không ghi gì"):
        call_command("import_units", "--villages", str(path), stdout=io.StringIO(), stderr=err)
    assert _snapshot() == before
    return err.getvalue().strip().splitlines()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("99999,0700109,Thôn A", "Dòng 3, cột «parent_code»: Không có đơn vị nào mã «99999»"),
        ("711,0700109,Thôn A", "Dòng 3, cột «parent_code»: «Huyện 711» (711) là huyện, không phải đơn vị cấp xã"),
        (",0700109,Thôn A", "Dòng 3, cột «parent_code»: Mã đơn vị cha trống"),
        ("07001,0700109,", "Dòng 3, cột «name»: Tên trống"),
        ("07001,,Thôn A", "Dòng 3, cột «code»: Mã thôn trống"),
        ("07001,0700101,Thôn Lặp", "Dòng 3, cột «code»: Mã «0700101» trùng với dòng 2"),
        ("07001,711,Thôn A", "Dòng 3, cột «code»: Mã «711» đã được dùng cho «Huyện 711» thuộc đơn vị khác"),
    ],
)
def test_villages_bad_row_rejects_whole_file(tree, tmp_path, row, expected):
    path = _csv(tmp_path, f"parent_code,code,name\n07001,0700101,Thôn Tốt\n{row}\n")
    assert _reject(path) == [expected]
    assert not AdminUnit.objects.filter(level=Level.VILLAGE).exists()


def test_village_code_taken_under_another_commune(tree, tmp_path):
    _province, _district, (x1, x2) = tree
    AdminUnitFactory(kind=Kind.THON, code="V1", parent=x2, name="Thôn Cũ")
    path = _csv(tmp_path, "parent_code,code,name\n07001,V1,Thôn Mới\n")
    assert _reject(path) == ["Dòng 2, cột «code»: Mã «V1» đã được dùng cho «Thôn Cũ» thuộc đơn vị khác"]


def test_villages_every_bad_row_is_reported(tree, tmp_path):
    path = _csv(
        tmp_path,
        "parent_code,code,name\n"
        "07001,V1,Thôn Một\n"  # good, but must not be written
        "12345,V2,\n"
        "07001,V1,Thôn Trùng\n",
    )
    assert _reject(path) == [
        "Dòng 3, cột «parent_code»: Không có đơn vị nào mã «12345»",
        "Dòng 3, cột «name»: Tên trống",
        "Dòng 4, cột «code»: Mã «V1» trùng với dòng 2",
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("parent_code,name", ["Dòng 1, cột «code»: Thiếu cột «code» trong dòng tiêu đề"]),
        (
            "parent,code,name",
            [
                "Dòng 1, cột «parent_code»: Thiếu cột «parent_code» trong dòng tiêu đề",
                "Dòng 1, cột «parent»: Cột không được nhận; các cột cần có: parent_code, code, name",
            ],
        ),
    ],
)
def test_villages_wrong_or_missing_columns(tree, tmp_path, header, expected):
    path = _csv(tmp_path, f"{header}\n07001,V1,Thôn Một\n")
    assert _reject(path) == expected


def test_villages_empty_file_and_wrong_type(tree, tmp_path):
    assert _reject(_csv(tmp_path, "\n\n")) == ["Dòng 1, cột «tệp»: Tệp trống: không có dòng tiêu đề."]
    other = tmp_path / "thon.pdf"
    other.write_bytes(b"%PDF-1.4")
    assert _reject(other) == ["Dòng 1, cột «tệp»: Chỉ nhận tệp .xlsx, .ods hoặc .csv."]


def test_bad_file_exits_non_zero_from_the_command_line(tree, tmp_path, capsys, monkeypatch):
    # run_from_argv closes every connection when it ends, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = _csv(tmp_path, "parent_code,code,name\n99999,V1,Thôn A\n")
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "import_units", "--villages", str(path)])
    assert exit_info.value.code != 0
    assert "Dòng 2, cột «parent_code»" in capsys.readouterr().err
    assert not AdminUnit.objects.filter(code="V1").exists()


# ---------------------------------------------------------------------------------------------
# Attributes


ATTR_HEADER = "code,mountainous,border,island,ethnic_minority,especially_difficult\n"


def test_attributes_set_and_idempotent(tree, tmp_path):
    _province, district, (x1, x2) = tree
    path = _csv(tmp_path, ATTR_HEADER + "07001,1,có,0,Có,không\n" + f"{x2.code},0,0,0,0,0\n{district.code},1,0,0,0,0\n")
    out = _run("--attributes", str(path))
    assert out.strip() == "Thuộc tính: 2 cập nhật, 1 không đổi"
    x1.refresh_from_db()
    district.refresh_from_db()
    assert x1.attributes == {"mountainous", "border", "ethnic_minority"}
    assert district.attributes == {"mountainous"}
    assert _run("--attributes", str(path)).strip() == "Thuộc tính: 0 cập nhật, 3 không đổi"


def test_attributes_xlsx_with_numbers(tree, tmp_path):
    path = _xlsx(tmp_path, [ATTR_HEADER.strip().split(","), [7001, 1, 0, 1, 0, 1]], name="tt.xlsx")
    # Attribute codes are not padded (any level may carry attributes), so 7001 is not 07001.
    before = _snapshot()
    with pytest.raises(CommandError):
        call_command("import_units", "--attributes", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert _snapshot() == before
    path = _xlsx(tmp_path, [ATTR_HEADER.strip().split(","), ["07001", 1, 0, 1, 0, True]], name="tt2.xlsx")
    _run("--attributes", str(path))
    assert AdminUnit.objects.get(code="07001").attributes == {"mountainous", "island", "especially_difficult"}


def test_attributes_bad_rows_write_nothing(tree, tmp_path):
    path = _csv(
        tmp_path,
        ATTR_HEADER + "07001,1,1,1,1,1\n" + "00000,1,0,0,0,0\n" + "07001,1,0,0,0,0\n" + "711,có lẽ,0,0,0,\n",
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_units", "--attributes", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip().splitlines() == [
        "Dòng 3, cột «code»: Không có đơn vị nào mã «00000»",
        "Dòng 4, cột «code»: Mã «07001» trùng với dòng 2",
        "Dòng 5, cột «mountainous»: Giá trị «có lẽ» không hợp lệ: dùng 1/0 hoặc có/không",
        "Dòng 5, cột «especially_difficult»: Giá trị «» không hợp lệ: dùng 1/0 hoặc có/không",
    ]
    assert not AdminUnit.objects.filter(mountainous=True).exists()


def test_attributes_missing_column(tree, tmp_path):
    path = _csv(tmp_path, "code,mountainous\n07001,1\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_units", "--attributes", str(path), stdout=io.StringIO(), stderr=err)
    assert "Thiếu cột «border»" in err.getvalue()
