"""Recompute through a real Celery worker, Redis and PostgreSQL, as in production.

1. A commune official saves a value on the entry page; the worker recomputes the commune and its district.
2. A worker is killed (SIGKILL) in the middle of a full run; a new worker gets the task again from Redis,
   carries on after the run's cursor, and every attainment row equals an eager recompute from scratch.
"""

import datetime as dt

import pytest

from communes.models import Kind, Role
from criteria.models import Attainment, Indicator, IndicatorValue, Recognition, RecomputeRun, ReportingPeriod
from criteria.services import attainment_recompute, recompute_run_create
from criteria.tasks import queue_run
from tests.criteria.test_recompute import put, snapshot
from tests.factories import AdminUnitFactory, MembershipFactory, UserFactory

from .conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_value_saved_on_the_entry_page_is_recomputed_by_the_worker(small_world, workers, client):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    a, b, c = w["communes"]
    for unit in (a, b, c):
        Recognition.objects.create(
            unit=unit, rule_set=w["ntm"], decision_number="1/QĐ", decision_date=dt.date(2022, 1, 1)
        )
    put(a, w["nc"], period, **{"1_1": 70, "1_2": True, "2_1": 95})
    put(b, w["nc"], period, **{"1_1": 90, "1_2": True, "2_1": 95})
    put(w["district"], w["huyen"], period, **{"1_1": True})
    attainment_recompute(period=period)
    district = Attainment.objects.get(unit=w["district"], rule_set=w["huyen"], period=period)
    assert float(district.indicator_status["DK2"]["value"]) == pytest.approx(33.33)

    workers()
    official = UserFactory()
    MembershipFactory(user=official, unit=a, role=Role.COMMUNE_OFFICIAL)
    client.force_login(official)
    value = IndicatorValue.objects.get(unit=a, period=period, indicator__rule_set=w["nc"], indicator__code="1.1")
    response = client.post(
        f"/entry/{a.code}/{period.code}/",
        {
            f"v{value.indicator_id}-value": "85",
            f"v{value.indicator_id}-value-initial": "70",
            f"v{value.indicator_id}-version": str(value.version),
        },
    )
    assert response.status_code in (200, 302)
    value.refresh_from_db()
    assert value.number == 85  # saved by the page, not by the test

    def recomputed():
        own = Attainment.objects.get(unit=a, rule_set=w["nc"], period=period)
        d = Attainment.objects.get(unit=w["district"], rule_set=w["huyen"], period=period)
        return own.attained and float(d.indicator_status["DK2"]["value"]) == pytest.approx(66.67)

    wait_for(recomputed, 30, "the worker recomputed the commune and its district")


def test_a_worker_killed_in_a_full_run_is_replaced_and_the_run_ends_as_a_clean_recompute(small_world, workers):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    communes = list(w["communes"])
    communes += [AdminUnitFactory(kind=Kind.XA, code=f"9{300 + i}", parent=w["district"]) for i in range(40)]
    for i, unit in enumerate(communes):
        put(unit, w["nc"], period, **{"1_1": 60 + i, "1_2": i % 4 != 0, "2_1": 88 + i % 5})
        put(unit, w["ntm"], period, **{"1_1": i % 3 != 0})
    put(w["district"], w["huyen"], period, **{"1_1": True})
    attainment_recompute(period=period)
    # Then the values change and some stored rows are wrong: the run has everything to redo.
    Indicator.objects.filter(rule_set=w["nc"], code="1.1").update(target={"op": ">=", "value": 75})
    Attainment.objects.filter(unit__in=communes[:10]).update(criteria_met=0, attained=False, missing=["stale"])

    first = workers(TEST_RUN_CHUNK="3", TEST_CHUNK_DELAY="0.4")
    run = recompute_run_create(period=period, trigger="test")
    queue_run(run)
    wait_for(lambda: RecomputeRun.objects.filter(pk=run.pk, units_done__gte=9).exists(), 60, "the run got going")
    first.kill()
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.RUNNING
    assert 0 < run.units_done < run.units_total
    killed_at = run.units_done

    workers(TEST_RUN_CHUNK="3")  # a new worker; Redis hands it the dead worker's task
    wait_for(
        lambda: RecomputeRun.objects.filter(pk=run.pk, status=RecomputeRun.Status.DONE).exists(),
        90,
        "the new worker finished the run",
    )
    run.refresh_from_db()
    assert run.units_done == run.units_total == len(communes) + 2 and not run.error
    assert run.units_total > killed_at
    after_run = snapshot(period)

    Attainment.objects.filter(period=period).delete()
    attainment_recompute(period=period)  # eager, from scratch
    assert after_run == snapshot(period)
    assert any(row["missing"] != ["stale"] for row in after_run)
