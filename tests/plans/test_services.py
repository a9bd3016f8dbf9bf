"""Targets, responsible agencies, capital and works through the public services, and the projection."""

import datetime as dt
from decimal import Decimal

import pytest

from plans.models import Assignment, Capital, ExpectedUnit, Work
from plans.selectors import capital_summary, project, projections, targets_of, unmet_by_agency
from plans.services import NotAllowed, PlanError, assignment_set, capital_set, target_set, work_set
from reports.models import YearTarget
from tests.factories import ReportingPeriodFactory
from tests.recognition.conftest import result

D = dt.date


def test_the_coordinator_sets_a_target_with_its_expected_units(land):
    u = land["users"]
    target = target_set(
        user=u["coordinator"],
        province=land["province"],
        unit_code="61",
        year=2023,
        rule_set=land["nc"],
        count=2,
        expected_codes=["61001", "61201", "61001"],
    )
    assert target.count == 2 and target.additional
    assert sorted(e.unit.code for e in target.expected_units.all()) == ["61001", "61201"]
    # setting it again replaces the list
    target_set(
        user=u["coordinator"],
        province=land["province"],
        unit_code="61",
        year=2023,
        rule_set=land["nc"],
        count=3,
        expected_codes=["61002"],
    )
    assert YearTarget.objects.get().count == 3
    assert list(ExpectedUnit.objects.values_list("unit__code", flat=True)) == ["61002"]


def test_a_district_target_on_the_old_map(land):
    target = target_set(
        user=land["users"]["coordinator"],
        province=land["province"],
        unit_code="611",
        year=2023,
        rule_set=land["nc"],
        count=1,
        expected_codes=["61002"],
    )
    assert target.unit == land["district"]


@pytest.mark.parametrize(
    ("unit_code", "expected", "field", "message"),
    [
        ("62", [], "unit_code", "không thuộc Tỉnh Thử"),
        ("99999", [], "unit_code", "Không có đơn vị mã 99999"),
        ("61", ["62001"], "expected", "Xã Mới \\(62001\\) không thuộc Tỉnh Thử"),
        ("611", ["61201"], "expected", "không thuộc Huyện Một"),
        ("61", ["611"], "expected", "không thuộc cấp"),
        ("61001", [], "unit_code", "tỉnh hoặc huyện"),
    ],
)
def test_a_target_outside_the_province_is_refused_naming_the_unit(land, unit_code, expected, field, message):
    with pytest.raises(PlanError, match=message) as err:
        target_set(
            user=land["users"]["coordinator"],
            province=land["province"],
            unit_code=unit_code,
            year=2023,
            rule_set=land["nc"],
            count=2,
            expected_codes=expected,
        )
    assert err.value.field == field
    assert not YearTarget.objects.exists() and not ExpectedUnit.objects.exists()


@pytest.mark.parametrize("who", ["district", "viewer", "other_coordinator", "official"])
def test_only_the_provinces_coordinator_sets_its_targets(land, who):
    with pytest.raises(NotAllowed):
        target_set(
            user=land["users"][who], province=land["province"], unit_code="61", year=2023, rule_set=land["nc"], count=1
        )


def test_expected_units_show_whether_they_reached_the_tier(land):
    result(land["commune"], land["nc"], land["p9"], met=3)
    result(land["sibling"], land["nc"], land["p9"], met=2)
    target_set(
        user=land["users"]["coordinator"],
        province=land["province"],
        unit_code="61",
        year=2023,
        rule_set=land["nc"],
        count=2,
        expected_codes=["61001", "61002"],
    )
    (row,) = targets_of(province=land["province"], year=2023, today=D(2023, 10, 1))
    assert {e.unit.code: e.reached for e in row.expected} == {"61001": True, "61002": False}
    assert row.expected_reached == 1


def test_an_assignment_needs_an_unmet_indicator_and_a_deadline_not_past(land):
    i1, i2, i3 = land["indicators"]
    result(land["commune"], land["nc"], land["p9"], met=1)  # 1.1 met, 1.2 and 1.3 not
    u, today = land["users"], D(2023, 10, 1)
    with pytest.raises(PlanError, match="đã đạt") as err:
        assignment_set(
            user=u["district"],
            unit=land["commune"],
            indicator=i1,
            agency="Phòng NN",
            deadline=D(2023, 12, 1),
            today=today,
        )
    assert err.value.field == "indicator"
    with pytest.raises(PlanError, match="Hạn 30/09/2023 đã qua") as err:
        assignment_set(
            user=u["district"],
            unit=land["commune"],
            indicator=i2,
            agency="Phòng NN",
            deadline=D(2023, 9, 30),
            today=today,
        )
    assert err.value.field == "deadline"
    with pytest.raises(PlanError, match="cơ quan"):
        assignment_set(
            user=u["district"], unit=land["commune"], indicator=i2, agency=" ", deadline=D(2023, 12, 1), today=today
        )
    assert not Assignment.objects.exists()
    a = assignment_set(
        user=u["district"], unit=land["commune"], indicator=i2, agency="Phòng NN", deadline=D(2023, 12, 1), today=today
    )
    # later, once the deadline has passed, the assignment can still be edited without moving the deadline
    assignment_set(
        user=u["coordinator"],
        unit=land["commune"],
        indicator=i2,
        agency="Sở NN",
        deadline=D(2023, 12, 1),
        today=D(2024, 1, 5),
    )
    a.refresh_from_db()
    assert a.agency == "Sở NN" and a.assigned_on == today
    for who in ("official", "other_district", "viewer", "other_coordinator"):
        with pytest.raises(NotAllowed):
            assignment_set(
                user=u[who], unit=land["commune"], indicator=i3, agency="X", deadline=D(2023, 12, 1), today=today
            )


def test_unmet_indicators_by_agency_overdue_first(land):
    i1, i2, i3 = land["indicators"]
    result(land["commune"], land["nc"], land["p9"], met=1)
    result(land["far"], land["nc"], land["p9"], met=0)
    u, day = land["users"], D(2023, 10, 1)
    assignment_set(
        user=u["coordinator"], unit=land["commune"], indicator=i2, agency="Sở Y tế", deadline=D(2023, 12, 1), today=day
    )
    assignment_set(
        user=u["coordinator"], unit=land["commune"], indicator=i3, agency="Sở NN", deadline=D(2023, 10, 15), today=day
    )
    assignment_set(
        user=u["coordinator"], unit=land["far"], indicator=i1, agency="Sở NN", deadline=D(2023, 11, 1), today=day
    )
    groups = unmet_by_agency(unit=land["province"], today=D(2023, 10, 20))
    assert [g.agency for g in groups] == ["Sở NN", "Sở Y tế"]  # the agency with an overdue indicator first
    assert [(r.assignment.unit.code, r.assignment.indicator.code, r.overdue) for r in groups[0].rows] == [
        ("61001", "1.3", True),
        ("61201", "1.1", False),
    ]
    assert [g.agency for g in unmet_by_agency(unit=land["other_district"], today=D(2023, 10, 20))] == ["Sở NN"]
    # met in a later report: no longer listed
    result(land["commune"], land["nc"], ReportingPeriodFactory(code="2023"), met=3)
    assert [g.agency for g in unmet_by_agency(unit=land["district"], today=D(2023, 10, 20))] == []


def test_capital_by_source_and_disbursement_rate(land):
    u = land["users"]
    capital_set(
        user=u["official"], unit=land["commune"], year=2023, source="central", planned="1.000", disbursed="250,5"
    )
    capital_set(user=u["district"], unit=land["commune"], year=2023, source="local", planned=500, disbursed=500)
    capital_set(user=u["coordinator"], unit=land["far"], year=2023, source="central", planned=500, disbursed=0)
    summary = capital_summary(unit=land["province"], year=2023, today=D(2023, 10, 1))
    sources = {code: m for code, _label, m in summary.by_source}
    assert sources["central"].planned == Decimal("1500") and sources["central"].disbursed == Decimal("250.5")
    assert summary.total.rate == round(100 * 750.5 / 2000)
    assert [(c.code, m.planned) for c, m in summary.by_child] == [("611", Decimal("1500")), ("612", Decimal("500"))]
    with pytest.raises(PlanError, match="không được âm") as err:
        capital_set(user=u["official"], unit=land["commune"], year=2023, source="credit", planned="-5", disbursed="")
    assert err.value.field == "planned"
    with pytest.raises(PlanError, match="danh mục"):
        capital_set(user=u["official"], unit=land["commune"], year=2023, source="lottery", planned="5", disbursed="")
    with pytest.raises(NotAllowed):
        capital_set(
            user=u["sibling_official"], unit=land["commune"], year=2023, source="credit", planned=1, disbursed=0
        )
    assert Capital.objects.count() == 3


def test_works_behind_schedule(land):
    u = land["users"]
    work_set(
        user=u["official"],
        unit=land["commune"],
        year=2023,
        name="Đường trục xã",
        criterion=None,
        progress="60",
        planned_end=D(2023, 9, 30),
    )
    work_set(
        user=u["official"],
        unit=land["commune"],
        year=2023,
        name="Nhà văn hóa",
        criterion=None,
        progress=100,
        planned_end=D(2023, 6, 30),
        finished_on=D(2023, 6, 20),
    )
    work_set(
        user=u["official"],
        unit=land["commune"],
        year=2023,
        name="Trạm y tế",
        criterion=None,
        progress=10,
        planned_end=D(2024, 6, 30),
    )
    summary = capital_summary(unit=land["district"], year=2023, today=D(2023, 10, 1))
    assert [w.name for w in summary.behind] == ["Đường trục xã"]
    with pytest.raises(PlanError, match="100"):
        work_set(
            user=u["official"],
            unit=land["commune"],
            year=2023,
            name="X",
            criterion=None,
            progress=50,
            planned_end=D(2023, 9, 30),
            finished_on=D(2023, 9, 1),
        )
    with pytest.raises(PlanError, match="từ 0 đến 100") as err:
        work_set(
            user=u["official"],
            unit=land["commune"],
            year=2023,
            name="X",
            criterion=None,
            progress="150",
            planned_end=D(2023, 9, 30),
        )
    assert err.value.field == "progress"
    assert Work.objects.count() == 3


def _periods(*codes):
    from criteria.models import ReportingPeriod

    return [ReportingPeriod.objects.for_code(c) for c in codes]


def test_projection_with_a_steady_trend_and_its_uncertainty(land):
    q1, h1, n9, y = _periods("2023-Q1", "2023-6M", "2023-9M", "2023")
    p = project(land["commune"], land["nc"], [(q1, 50), (h1, 53), (n9, 55), (y, 59)], 75)
    assert p.slope_per_year == pytest.approx(11.8, abs=1.0)
    assert p.expected is not None and D(2025, 1, 1) < p.expected < D(2025, 12, 31)
    assert p.earliest < p.expected < p.latest


def test_no_projection_without_a_rising_trend_or_enough_reports(land):
    q1, h1 = _periods("2023-Q1", "2023-6M")
    flat = project(land["commune"], land["nc"], [(q1, 50), (h1, 50)], 75)
    assert flat.expected is None and "không tăng" in flat.reason
    one = project(land["commune"], land["nc"], [(h1, 50)], 75)
    assert one.expected is None and "hai kỳ" in one.reason
    two = project(land["commune"], land["nc"], [(q1, 50), (h1, 52)], 75)
    assert two.expected is not None and two.earliest is None and "độ bất định" in two.reason


def test_projections_aim_at_the_next_tier_not_held(land):
    result(land["commune"], land["nc"], land["p6"], met=1)
    result(land["commune"], land["nc"], land["p9"], met=2)
    result(land["sibling"], land["nc"], land["p9"], met=3)  # meets it: nothing to project
    rows = projections(unit=land["district"])
    assert [(p.unit.code, [n for _p, n in p.points]) for p in rows] == [("61001", [1, 2])]
    assert rows[0].expected is not None and rows[0].expected > land["p9"].end
