"""import_values: every bad row reported, nothing half-imported, Vietnamese notation accepted."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from criteria.models import Attainment, IndicatorValue, ReportingPeriod

pytestmark = pytest.mark.django_db


def write_csv(tmp_path, text, name="values.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def run_committed(django_capture_on_commit_callbacks):
    """Run a command and then what it queued for after the commit (the recompute), as in production."""

    def _run(*args):
        with django_capture_on_commit_callbacks(execute=True):
            return run(*args)

    return _run


def test_a_good_file_is_stored_and_recomputed(small_world, tmp_path, run_committed):
    path = write_csv(
        tmp_path,
        "unit_code,indicator_code,value,rule_set\n"
        '91001,1.1,"85,5",t-nc\n'
        "91001,1.2,có,t-nc\n"
        "91001,2.1,95,t-nc\n"
        "911,1.1,đạt,\n",
    )
    output = run_committed("import_values", path, "--period", "2023-Q1")
    assert "4 giá trị mới" in output
    period = ReportingPeriod.objects.get(code="2023-Q1")
    value = IndicatorValue.objects.get(unit__code="91001", indicator__code="1.1", indicator__rule_set__code="t-nc")
    assert str(value.number) == "85.5000"
    assert Attainment.objects.get(unit__code="91001", rule_set__code="t-nc", period=period).indicators_met == 3
    # the same file again changes nothing
    assert "0 giá trị mới, 0 cập nhật, 4 không đổi" in run("import_values", path, "--period", "2023-Q1")


def test_every_bad_row_is_reported_and_nothing_is_written(small_world, tmp_path):
    path = write_csv(
        tmp_path,
        "unit_code,indicator_code,value\n"
        "91001,1.2,có\n"  # ambiguous: 1.2 exists only in t-nc → fine
        "99999,1.1,50\n"  # unknown unit
        "91001,1.1,50\n"  # ambiguous: 1.1 is in t-ntm and t-nc
        "91002,2.1,abc\n"  # not a number
        "91002,2.1,120\n"  # the same unit and indicator as the line above
        "91003,9.9,1\n"  # not in the unit's sets
        "911,DK2,50\n",  # derived
    )
    with pytest.raises(CommandError) as excinfo:
        run("import_values", path, "--period", "2023")
    message = str(excinfo.value)
    assert "không có giá trị nào được lưu (6 lỗi)" in message
    assert "Dòng 3, cột «A (unit_code)»: không có đơn vị mã '99999'" in message
    assert "Dòng 4, cột «B (indicator_code)»: mã '1.1' có trong nhiều bộ tiêu chí" in message
    assert "Dòng 5, cột «C (value)»: 'abc' không phải là số." in message
    assert "Dòng 6, cột «B (indicator_code)»: trùng với dòng 5" in message
    assert "Dòng 7, cột «B (indicator_code)»: chỉ tiêu '9.9' không thuộc" in message
    assert "Dòng 8, cột «B (indicator_code)»: chỉ tiêu 'DK2' được tính tự động" in message
    assert IndicatorValue.objects.count() == 0


def test_wrong_columns_unknown_rule_set_bad_period_and_locked_period(small_world, tmp_path):
    path = write_csv(tmp_path, "unit,indicator,value\n91001,1.1,5\n")
    with pytest.raises(CommandError, match="Thiếu cột: unit_code, indicator_code"):
        run("import_values", path, "--period", "2023")
    good = write_csv(tmp_path, "unit_code,indicator_code,value\n91001,1.2,có\n", name="good.csv")
    with pytest.raises(CommandError, match="Không có bộ tiêu chí mã 'nope'"):
        run("import_values", good, "--period", "2023", "--rule-set", "nope")
    with pytest.raises(CommandError, match="2023-Q5"):
        run("import_values", good, "--period", "2023-Q5")
    ReportingPeriod.objects.filter(code="2023").update(locked=True) or ReportingPeriod.objects.create(
        code="2023", year=2023, kind="Y", start="2023-01-01", end="2023-12-31", locked=True
    )
    with pytest.raises(CommandError, match="đã khóa"):
        run("import_values", good, "--period", "2023")
    assert IndicatorValue.objects.count() == 0


def test_xlsx_with_numeric_codes_that_lost_their_leading_zero(small_world, tmp_path):
    from tests.factories import AdminUnitFactory

    AdminUnitFactory(kind="xa", code="06844", parent=small_world["district"])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["unit_code", "indicator_code", "value"])
    sheet.append([6844, "1.2", "Có"])
    sheet.append([6844, "2.1", 87.5])
    path = tmp_path / "values.xlsx"
    workbook.save(path)
    run("import_values", str(path), "--period", "2023", "--rule-set", "t-nc")
    assert IndicatorValue.objects.filter(unit__code="06844").count() == 2


def test_attainment_report_text_and_json_with_change_since_start_of_year(small_world, tmp_path, run_committed):
    q1 = write_csv(tmp_path, "unit_code,indicator_code,value\n91001,1.1,70\n91001,1.2,có\n", name="q1.csv")
    m9 = write_csv(
        tmp_path, "unit_code,indicator_code,value\n91001,1.1,82\n91001,1.2,có\n91001,2.1,91\n", name="m9.csv"
    )
    run_committed("import_values", q1, "--period", "2023-Q1", "--rule-set", "t-nc")
    run_committed("import_values", m9, "--period", "2023-9M", "--rule-set", "t-nc")

    data = json.loads(run("attainment_report", "--unit", "91001", "--json"))
    by_code = {item["rule_set"]: item for item in data}
    assert set(by_code) == {"t-ntm", "t-nc"}  # every set that applies to a xã
    nc = by_code["t-nc"]
    assert nc["period"] == "2023-9M"  # the latest period with values
    assert (nc["criteria_met"], nc["criteria_total"], nc["indicators_met"], nc["indicators_total"]) == (2, 2, 3, 3)
    assert nc["change_since_start_of_year"] == {
        "period": "2023-Q1",
        "criteria": 2,
        "indicators": 2,
        "conditions": 0,
        "attained_before": False,
    }
    assert nc["missing"] == [] and nc["attained"] is False  # not recognised NTM
    assert by_code["t-ntm"]["has_data"] is False

    q1_data = json.loads(
        run("attainment_report", "--unit", "91001", "--period", "2023-Q1", "--rule-set", "t-nc", "--json")
    )
    assert q1_data[0]["change_since_start_of_year"] is None
    assert q1_data[0]["missing"] == ["1.1", "2.1"]

    text = run("attainment_report", "--unit", "91001", "--rule-set", "t-nc")
    assert "2/2 tiêu chí, 3/3 chỉ tiêu" in text
    assert "So với đầu năm (2023-Q1): +2 tiêu chí, +2 chỉ tiêu" in text


def test_attainment_report_bad_input(small_world):
    with pytest.raises(CommandError, match="Không có đơn vị mã '123'"):
        run("attainment_report", "--unit", "123")
    with pytest.raises(CommandError, match="Không có bộ tiêu chí mã 'x'"):
        run("attainment_report", "--unit", "91001", "--rule-set", "x")
    with pytest.raises(CommandError, match="Chưa có số liệu nào cho kỳ 2019"):
        run("attainment_report", "--unit", "91001", "--period", "2019")
    with pytest.raises(CommandError, match="không hợp lệ"):
        run("attainment_report", "--unit", "91001", "--period", "2019-7M")
