"""The first run reproduces the figures of the provincial reports (DOMAIN.md, "What the seed articles report"),
computed by the engine from the demo values, read back through `attainment_report --json`."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from communes.models import AdminUnit, Membership, Role
from criteria.models import Attainment, IndicatorValue

# unit code, rule set, period, criteria met/total, indicators met/total, change since the start of the year
REPORTED = [
    ("07144", "xa-ntm-nang-cao-2021-2025", "2023-6M", (11, 19), (57, 75), None),  # Sông Khoai
    ("07054", "xa-ntm-nang-cao-2021-2025", "2023-6M", (10, 19), (56, 75), None),  # Quảng La
    ("07108", "xa-ntm-kieu-mau-qn-2021-2025", "2023-6M", (5, 6), (14, 15), None),  # Hồng Thái Tây
    ("06940", "xa-ntm-nang-cao-2021-2025", "2023-6M", (11, 19), (61, 75), None),  # Quảng Minh
    ("203", "huyen-ntm-nang-cao-2021-2025", "2023-6M", (8, 9), (36, 38), {"criteria": 5, "indicators": 6}),
    ("201", "huyen-ntm-nang-cao-2021-2025", "2023-6M", (6, 9), (32, 38), {"criteria": 2, "indicators": 6}),
    ("198", "huyen-ntm-nang-cao-2021-2025", "2023-9M", (3, 9), (27, 38), {"criteria": 0, "indicators": 2}),
    ("06847", "xa-ntm-nang-cao-2021-2025", "2023-9M", (10, 19), (58, 75), None),  # Đồng Văn
    ("06844", "xa-ntm-nang-cao-2021-2025", "2023-9M", (12, 19), (61, 75), None),  # Đồng Tâm
    ("06856", "xa-ntm-nang-cao-2021-2025", "2023-9M", (9, 19), (57, 75), {"criteria": 0, "indicators": 1}),
    ("06853", "xa-ntm-nang-cao-2021-2025", "2023-9M", (11, 19), (59, 75), None),  # Vô Ngại
    ("06841", "xa-ntm-nang-cao-2021-2025", "2023-9M", (19, 19), (75, 75), None),  # Hoành Mô
    ("06859", "xa-ntm-nang-cao-2021-2025", "2023-9M", (19, 19), (75, 75), None),  # Húc Động
    ("06841", "xa-ntm-kieu-mau-qn-9ct-2021-2025", "2023-9M", (0, None), (2, 9), None),
    ("06859", "xa-ntm-kieu-mau-qn-9ct-2021-2025", "2023-9M", (0, None), (2, 9), None),
    ("06745", "xa-ntm-nang-cao-2021-2025", "2022", (19, 19), (75, 75), None),  # Hải Xuân
]


def report(code):
    out = io.StringIO()
    call_command("attainment_report", "--unit", code, "--json", stdout=out)
    return {item["rule_set"]: item for item in json.loads(out.getvalue())}


@pytest.fixture
def demo(db):
    quiet = io.StringIO()
    call_command("import_units", stdout=quiet)
    call_command("load_rule_sets", stdout=quiet)
    call_command("load_demo", "--password", "demo-pass-123", stdout=quiet)
    return quiet.getvalue()


def test_the_demo_reproduces_every_reported_figure(demo):
    for code, rule_set, period, (c_met, c_total), (i_met, i_total), change in REPORTED:
        item = report(code)[rule_set]
        assert item["period"] == period, code
        assert item["criteria_met"] == c_met, code
        if c_total is not None:
            assert item["criteria_total"] == c_total, code
        assert (item["indicators_met"], item["indicators_total"]) == (i_met, i_total), code
        if change is not None:
            got = item["change_since_start_of_year"]
            assert {k: got[k] for k in change} == change, code
        assert item["attained"] is (c_met == c_total and item["conditions_met"] == item["conditions_total"])


def test_binh_lieu_derives_its_advanced_commune_share_from_its_communes(demo):
    row = Attainment.objects.get(
        unit__code="198", rule_set__code="huyen-ntm-nang-cao-2021-2025", period__code="2023-9M"
    )
    shares = {
        code: s for code, s in row.indicator_status.items() if s.get("value") is not None and code.startswith("DK")
    }
    # Hoành Mô and Húc Động meet nâng cao: 2 of the district's 6 xã (the thị trấn is not a xã)
    assert any(s["value"] == pytest.approx(33.33) and s["status"] == "not_met" for s in shares.values())


def test_hai_xuan_has_13_villages_of_which_4_meet_the_advanced_village_standard(demo):
    villages = AdminUnit.objects.filter(parent__code="06745", level=4)
    assert villages.count() == 13 and all(v.is_demo for v in villages)
    rows = Attainment.objects.filter(unit__in=villages, rule_set__code="thon-ntm-nang-cao-qn-2021-2025")
    assert rows.count() == 13
    assert rows.filter(attained=True).count() == 4


def test_demo_is_labelled_idempotent_and_has_one_user_per_role(demo):
    assert IndicatorValue.objects.exists() and not IndicatorValue.objects.filter(is_demo=False).exists()
    counts = (IndicatorValue.objects.count(), Attainment.objects.count(), AdminUnit.objects.count())
    call_command("load_demo", "--password", "demo-pass-123", stdout=io.StringIO())
    assert (IndicatorValue.objects.count(), Attainment.objects.count(), AdminUnit.objects.count()) == counts
    assert report("06844")["xa-ntm-nang-cao-2021-2025"]["indicators_met"] == 61

    roles = {m.user.username: (m.role, m.unit.code) for m in Membership.objects.select_related("user", "unit")}
    assert roles["demo-xa-dongtam"] == (Role.COMMUNE_OFFICIAL, "06844")
    assert roles["demo-huyen-binhlieu"] == (Role.DISTRICT_REVIEWER, "198")
    assert roles["demo-tinh-quangninh"] == (Role.PROVINCIAL_VIEWER, "22")
    assert roles["demo-admin"][0] == Role.ADMINISTRATOR
    assert get_user_model().objects.get(username="demo-xa-dongtam").check_password("demo-pass-123")


def test_random_passwords_are_printed_once_when_none_is_given(db):
    quiet = io.StringIO()
    call_command("import_units", stdout=quiet)
    call_command("load_rule_sets", stdout=quiet)
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "demo-xa-dongtam" in line)
    password = line.split()[-1]
    assert len(password) >= 10
    assert get_user_model().objects.get(username="demo-xa-dongtam").check_password(password)


def test_the_district_and_province_pages_show_the_stored_figures_for_every_period(demo):
    from communes.models import Level
    from reports.dashboards import district_dashboard, province_dashboard, subtree_periods

    checked = 0
    for unit in AdminUnit.objects.filter(
        level__in=[Level.DISTRICT, Level.PROVINCE], attainments__isnull=False
    ).distinct():
        build = district_dashboard if unit.level == Level.DISTRICT else province_dashboard
        for period in subtree_periods(unit):
            board = build(unit=unit, period_code=period.code)
            own = board.own
            stored = (
                {
                    a.rule_set_id: a
                    for a in Attainment.objects.filter(unit=unit, period=own.row.cells[own.sets[0].pk].period)
                }
                if own.sets
                else {}
            )
            for cell in own.cells:
                row = stored[cell.rule_set.pk]
                assert (cell.criteria_met, cell.indicators_met, cell.conditions_met, cell.attained) == (
                    row.criteria_met,
                    row.indicators_met,
                    row.conditions_met,
                    row.attained,
                ), (unit.code, period.code)
            for condition in own.derived:
                row = stored[condition.indicator.rule_set_id]
                status = row.indicator_status[condition.indicator.code]
                assert condition.share == status.get("value"), (unit.code, period.code)
                assert (condition.have, condition.total) == (status.get("have", 0), status.get("total", 0))
                if condition.total:
                    # "2/6 xã (33,33%)": the count and the share printed side by side are the same figure
                    assert round(100 * condition.have / condition.total, 2) == pytest.approx(condition.share)
                checked += 1
    assert checked >= 4
