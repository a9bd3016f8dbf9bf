"""Recompute: bottom-up, set-based, idempotent, and faithful to the engine."""

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communes.models import Kind
from criteria import services
from criteria.models import Attainment, Indicator, IndicatorValue, Recognition, ReportingPeriod
from criteria.services import attainment_recompute
from tests.factories import AdminUnitFactory

pytestmark = pytest.mark.django_db


def put(unit, rule_set, period, **values):
    for code, value in values.items():
        indicator = Indicator.objects.get(rule_set=rule_set, code=code.replace("_", "."))
        IndicatorValue.objects.update_or_create(
            unit=unit,
            indicator=indicator,
            period=period,
            defaults={"boolean": value} if isinstance(value, bool) else {"number": value},
        )


def snapshot(period):
    """Every stored result of the period, as comparable data (all columns but the time of computing)."""
    fields = [c for c in services.ROW_COLUMNS if c != "computed_at"]
    return list(Attainment.objects.filter(period=period).order_by("unit_id", "rule_set_id").values(*fields))


def row(unit, rule_set, period):
    return Attainment.objects.get(unit=unit, rule_set=rule_set, period=period)


def recognise_ntm(units, rule_set):
    for unit in units:
        Recognition.objects.create(
            unit=unit, rule_set=rule_set, decision_number="1/QĐ", decision_date=dt.date(2022, 1, 1)
        )


def test_counts_statuses_and_missing_are_stored(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023-9M")
    a, b, _c = w["communes"]
    put(a, w["nc"], period, **{"1_1": 85, "1_2": True, "2_1": 95})
    put(b, w["nc"], period, **{"1_1": 79, "1_2": True})  # 1.1 below 80, 2.1 no data
    attainment_recompute(period=period)

    ra = row(a, w["nc"], period)
    assert (ra.criteria_met, ra.criteria_total, ra.indicators_met, ra.indicators_total) == (2, 2, 3, 3)
    assert ra.prerequisite_met is False and ra.attained is False  # not yet recognised NTM

    rb = row(b, w["nc"], period)
    assert (rb.criteria_met, rb.indicators_met, rb.no_data) == (0, 1, 1)
    assert rb.criteria_status == {"1": "not_met", "2": "no_data"}
    assert rb.indicator_status["1.1"]["status"] == "not_met"
    assert "target" not in rb.indicator_status["1.1"]  # the indicator's own target applied: not repeated
    assert rb.missing == ["1.1", "2.1"]
    # a unit with no values for a set gets no row rather than a row of "no data"
    assert not Attainment.objects.filter(unit=w["communes"][2]).exists()
    assert not Attainment.objects.filter(unit=a, rule_set=w["ntm"]).exists()


def test_counts_with_approved_values_only_are_stored_beside_the_counts(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023-9M")
    a = w["communes"][0]
    put(a, w["nc"], period, **{"1_1": 85, "1_2": True, "2_1": 95})
    attainment_recompute(period=period)
    r = row(a, w["nc"], period)
    assert (r.criteria_met, r.indicators_met) == (2, 3)
    assert (r.criteria_met_approved, r.indicators_met_approved) == (0, 0)  # all drafts
    IndicatorValue.objects.filter(unit=a, indicator__code__in=["1.1", "2.1"]).update(status="approved")
    attainment_recompute(period=period, units=[a])
    r = row(a, w["nc"], period)
    assert (r.criteria_met, r.indicators_met) == (2, 3)
    assert (r.criteria_met_approved, r.indicators_met_approved) == (1, 2)  # criterion 1 waits for 1.2
    # a met value that is approved but a criterion mate not met: the approved count never exceeds the count
    IndicatorValue.objects.filter(unit=a, indicator__code="1.2").update(status="approved", boolean=False)
    attainment_recompute(period=period, units=[a])
    r = row(a, w["nc"], period)
    assert (r.criteria_met, r.indicators_met, r.criteria_met_approved, r.indicators_met_approved) == (1, 2, 1, 2)


def test_commune_group_from_the_unit_context_chooses_the_target(small_world, monkeypatch):
    """The recompute takes each unit's commune group from `unit_contexts`: the same value meets the nhóm 3
    target and misses the nhóm 1 one."""
    w = small_world
    period = ReportingPeriod.objects.for_code("2026")
    # a set with group targets (edited in place: published rows refuse save(), not a queryset update)
    Indicator.objects.filter(rule_set=w["ntm"], code="1.1").update(
        kind="percent",
        target={"op": ">=", "value": 90, "overrides": [{"when": {"group": 3}, "op": ">=", "value": 70}]},
    )
    indicator = Indicator.objects.get(rule_set=w["ntm"], code="1.1")
    one, three, _c = w["communes"]
    groups = {one.id: 1, three.id: 3}
    real = services.unit_contexts

    def with_groups(units, period):
        return {uid: dataclasses.replace(c, group=groups.get(uid)) for uid, c in real(units, period).items()}

    monkeypatch.setattr(services, "unit_contexts", with_groups)
    for unit in (one, three):
        IndicatorValue.objects.create(unit=unit, indicator=indicator, period=period, number=75)
    attainment_recompute(period=period)
    assert row(three, w["ntm"], period).attained is True
    assert row(three, w["ntm"], period).indicator_status["1.1"]["target"]["when"] == {"group": 3}
    assert row(one, w["ntm"], period).attained is False


def test_region_override_and_recognised_prerequisite(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    a = w["communes"][0]
    a.region = "TDMNPB"
    a.save()
    recognise_ntm([a], w["ntm"])
    put(a, w["nc"], period, **{"1_1": 80, "1_2": True, "2_1": 70})
    attainment_recompute(period=period)
    r = row(a, w["nc"], period)
    assert r.indicator_status["2.1"]["target"] == {"op": ">=", "value": 70, "when": {"region": "TDMNPB"}}
    assert r.attained is True and r.prerequisite_met is True


def test_lower_tier_attained_in_the_same_period_satisfies_the_ladder(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    a = w["communes"][0]
    put(a, w["ntm"], period, **{"1_1": True})
    put(a, w["nc"], period, **{"1_1": 90, "1_2": True, "2_1": 99})
    attainment_recompute(period=period)
    assert row(a, w["ntm"], period).attained is True
    assert row(a, w["nc"], period).attained is True


def test_district_condition_is_derived_from_the_stored_results_of_its_communes(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    a, b, c = w["communes"]
    recognise_ntm([a, b, c], w["ntm"])
    put(a, w["nc"], period, **{"1_1": 90, "1_2": True, "2_1": 99})
    put(b, w["nc"], period, **{"1_1": 10, "1_2": True, "2_1": 99})
    put(w["district"], w["huyen"], period, **{"1_1": True})
    attainment_recompute(period=period)
    d = row(w["district"], w["huyen"], period)
    # 1 of 3 xã (the thị trấn is not counted) = 33.33% < 40%
    assert d.indicator_status["DK2"]["value"] == pytest.approx(33.33)
    assert d.indicator_status["DK2"]["status"] == "not_met"
    assert (d.criteria_met, d.conditions_met, d.conditions_total, d.attained) == (1, 0, 1, False)

    # commune b improves: only it and its ancestors are recomputed, and the district follows
    put(b, w["nc"], period, **{"1_1": 85})
    stats = attainment_recompute(period=period, units=[b])
    assert stats.units == 3  # b, the district, the province
    d.refresh_from_db()
    assert d.indicator_status["DK2"]["value"] == pytest.approx(66.67)
    assert d.attained is True


def test_recompute_is_idempotent_and_removes_results_that_no_longer_apply(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    a, b, _c = w["communes"]
    put(a, w["nc"], period, **{"1_1": 90, "1_2": False})
    put(b, w["nc"], period, **{"1_1": 90})
    attainment_recompute(period=period)
    fields = ["unit_id", "rule_set_id", "criteria_met", "indicators_met", "attained", "missing", "indicator_status"]
    first = list(Attainment.objects.order_by("unit_id", "rule_set_id").values(*fields))
    attainment_recompute(period=period)
    assert list(Attainment.objects.order_by("unit_id", "rule_set_id").values(*fields)) == first

    IndicatorValue.objects.filter(unit=b).delete()
    stats = attainment_recompute(period=period, units=[b])
    assert stats.rows_deleted == 1
    assert not Attainment.objects.filter(unit=b).exists()
    assert Attainment.objects.filter(unit=a).exists()


def test_query_count_does_not_grow_with_the_number_of_units(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")

    def add_communes(n, start):
        for i in range(n):
            unit = AdminUnitFactory(kind=Kind.XA, code=f"92{start + i:03d}", parent=w["district"])
            put(unit, w["nc"], period, **{"1_1": 50 + i, "1_2": True, "2_1": 99})

    add_communes(3, 0)
    put(w["district"], w["huyen"], period, **{"1_1": True})
    with CaptureQueriesContext(connection) as few:
        attainment_recompute(period=period)
    add_communes(40, 100)
    with CaptureQueriesContext(connection) as many:
        stats = attainment_recompute(period=period)
    assert stats.rows_written == 43 + 1 + 0  # communes + district (province has no applicable set here)
    assert len(many) == len(few)


def test_recognised_communes_count_as_meeting_the_set_for_their_district(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    a, b, c = w["communes"]
    recognise_ntm([a, b], w["nc"])  # recognised nâng cao, no values entered this period
    Recognition.objects.create(
        unit=c, rule_set=w["nc"], decision_number="2/QĐ", decision_date=dt.date(2024, 1, 1)
    )  # recognised only after the period: does not count yet
    put(w["district"], w["huyen"], period, **{"1_1": True})
    attainment_recompute(period=period)
    d = row(w["district"], w["huyen"], period)
    assert d.indicator_status["DK2"]["value"] == pytest.approx(66.67)
    assert d.attained is True


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full runs read ahead only on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_full_run_reads_each_chunk_only_once_it_holds_the_chunks_lock(small_world, monkeypatch):
    from criteria import services

    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    a = w["communes"][0]
    put(a, w["nc"], period, **{"1_1": 50, "1_2": True, "2_1": 99})
    real_lock = services._lock_units

    def lock_after_a_save(period_id, unit_ids):
        # another official's save lands after the run started, just before the chunk's lock is taken
        if a.id in unit_ids:
            put(a, w["nc"], period, **{"1_1": 95})
        real_lock(period_id, unit_ids)

    monkeypatch.setattr(services, "_lock_units", lock_after_a_save)
    attainment_recompute(period=period)
    assert row(a, w["nc"], period).indicator_status["1.1"]["status"] == "met"
