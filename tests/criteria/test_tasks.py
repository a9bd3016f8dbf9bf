"""Background recompute: queued after commit, one task per burst, locked per unit, runs that resume and fail
visibly, the nightly run, and the compiled evaluator held equal to the engine."""

import dataclasses
import datetime as dt
import io
import random
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections, transaction

from communes.models import Kind
from criteria import engine, services, tasks
from criteria.catalog import Catalog
from criteria.models import Attainment, Indicator, IndicatorValue, RecomputeRun, ReportingPeriod, RuleSet
from criteria.services import attainment_recompute, recompute_run_create, recompute_run_execute
from tests.criteria.test_recompute import put, snapshot
from tests.factories import AdminUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(small_world):
    """small_world with 12 more communes, values for all of them and a district value."""
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    communes = list(w["communes"])
    communes += [AdminUnitFactory(kind=Kind.XA, code=f"9{200 + i}", parent=w["district"]) for i in range(12)]
    for i, unit in enumerate(communes):
        put(unit, w["nc"], period, **{"1_1": 70 + 2 * i, "1_2": i % 3 != 0, "2_1": 85 + i})
        put(unit, w["ntm"], period, **{"1_1": i % 2 == 0})
    put(w["district"], w["huyen"], period, **{"1_1": True})
    return {**w, "period": period, "all_communes": communes}


# ---------------------------------------------------------------------------------------------- incremental


def test_a_saved_value_is_recomputed_with_its_ancestors_after_commit(world, django_capture_on_commit_callbacks):
    w = world
    unit = w["communes"][0]
    put(unit, w["nc"], w["period"], **{"1_1": 90, "1_2": True, "2_1": 95})
    attainment_recompute(period=w["period"])
    before = Attainment.objects.get(unit=w["district"], rule_set=w["huyen"], period=w["period"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        put(unit, w["nc"], w["period"], **{"1_1": 10})
        tasks.queue_recompute(period=w["period"], units=[unit])
        # nothing happens before the commit: a worker must never read uncommitted values
        assert Attainment.objects.get(unit=unit, rule_set=w["nc"], period=w["period"]).criteria_met == 2
    assert len(callbacks) == 1
    callbacks[0]()
    assert Attainment.objects.get(unit=unit, rule_set=w["nc"], period=w["period"]).criteria_met == 1
    after = Attainment.objects.get(unit=w["district"], rule_set=w["huyen"], period=w["period"])
    assert after.computed_at > before.computed_at


class FakeRedis:
    """SET NX EX and DELETE, as the burst keys use them."""

    def __init__(self):
        self.keys = {}

    def pipeline(self):
        fake = self
        calls = []

        class Pipe:
            def set(self, key, value, nx=False, ex=None):
                calls.append(key)

            def execute(self):
                out = []
                for key in calls:
                    fresh = key not in fake.keys
                    fake.keys.setdefault(key, 1)
                    out.append(fresh)
                return out

        return Pipe()

    def delete(self, *keys):
        for key in keys:
            self.keys.pop(key, None)


@pytest.fixture
def broker(monkeypatch, settings):
    """A broker in front of the tasks: records what is queued instead of running it."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    fake = FakeRedis()
    monkeypatch.setattr(tasks, "_redis", lambda: fake)
    queued = []
    monkeypatch.setattr(tasks.recompute_units, "apply_async", lambda args, **kw: queued.append((args, kw)))
    return fake, queued


def test_a_burst_of_saves_of_one_unit_queues_one_recompute(world, broker, django_capture_on_commit_callbacks):
    fake, queued = broker
    w = world
    unit, other = w["communes"][0], w["communes"][1]
    for value in (50, 60, 70):
        with django_capture_on_commit_callbacks(execute=True):
            put(unit, w["nc"], w["period"], **{"1_1": value})
            tasks.queue_recompute(period=w["period"], units=[unit])
    with django_capture_on_commit_callbacks(execute=True):
        tasks.queue_recompute(period=w["period"], units=[unit, other])
    assert [args for args, _kw in queued] == [(w["period"].id, [unit.id]), (w["period"].id, [other.id])]
    assert queued[0][1]["countdown"] == tasks.BURST_SECONDS

    # The task clears the key before it reads the values: a save after that queues a new recompute.
    tasks.recompute_units.run(w["period"].id, [unit.id])
    assert Attainment.objects.get(unit=unit, rule_set=w["nc"], period=w["period"]).indicator_status["1.1"][
        "status"
    ] == ("not_met")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.queue_recompute(period=w["period"], units=[unit])
    assert [args for args, _kw in queued][-1] == (w["period"].id, [unit.id])
    assert len(queued) == 3


def test_without_a_broker_every_save_runs_at_once(world, django_capture_on_commit_callbacks):
    w = world
    unit = w["communes"][0]
    for value in (50, 95):
        with django_capture_on_commit_callbacks(execute=True):
            put(unit, w["nc"], w["period"], **{"1_1": value})
            tasks.queue_recompute(period=w["period"], units=[unit])
        status = Attainment.objects.get(unit=unit, rule_set=w["nc"], period=w["period"]).indicator_status["1.1"]
        assert status["status"] == ("met" if value == 95 else "not_met")


def test_a_transient_database_error_is_retried(world, monkeypatch):
    w = world
    monkeypatch.setattr(tasks, "EAGER_BACKOFF", 0.001)
    calls = []
    real = tasks.attainment_recompute

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(tasks, "attainment_recompute", flaky)
    tasks.recompute_units.apply(args=(w["period"].id, [w["communes"][0].id]))
    assert len(calls) == 3
    assert Attainment.objects.filter(unit=w["communes"][0], period=w["period"]).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_recomputes_never_hold_the_same_unit_and_period(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    unit = w["communes"][0]
    key = services._lock_key(period.id, unit.id)
    answers = {}

    def other_worker(name):
        with connections["default"].cursor() as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
            answers[name] = cur.fetchone()[0]
        connections["default"].close()

    with transaction.atomic():
        services._lock_units(period.id, [unit.id])
        thread = threading.Thread(target=other_worker, args=("while held",))
        thread.start()
        thread.join()
    thread = threading.Thread(target=other_worker, args=("after commit",))
    thread.start()
    thread.join()
    assert answers == {"while held": False, "after commit": True}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_recompute_that_commits_last_has_read_the_latest_values(small_world):
    """A recompute waits for the unit's lock before reading: it sees what the holder's writer committed."""
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    unit = w["communes"][0]
    put(unit, w["nc"], period, **{"1_1": 50, "1_2": True, "2_1": 99})
    attainment_recompute(period=period)
    started, done = threading.Event(), threading.Event()

    def late_recompute():
        started.set()
        attainment_recompute(period=period, units=[unit])  # blocks on the lock held below
        connections["default"].close()
        done.set()

    with transaction.atomic():
        services._lock_units(period.id, [unit.id])  # a first recompute holds the unit…
        thread = threading.Thread(target=late_recompute)
        thread.start()
        started.wait()
        assert not done.wait(0.5)  # …so the second one waits
        put(unit, w["nc"], period, **{"1_1": 90})  # a save commits together with the first
    thread.join(10)
    assert done.is_set()
    row = Attainment.objects.get(unit=unit, rule_set=w["nc"], period=period)
    assert row.indicator_status["1.1"]["status"] == "met"


# ---------------------------------------------------------------------------------------------- full runs


def test_a_full_run_goes_bottom_up_in_chunks_and_records_progress(world, monkeypatch):
    w = world
    monkeypatch.setattr(services, "RUN_CHUNK", 4)
    seen = []
    run = recompute_run_create(period=w["period"], trigger="test")
    run = recompute_run_execute(run_id=run.id, progress=lambda r: seen.append((r.units_done, r.units_total)))
    assert run.status == RecomputeRun.Status.DONE and run.started_at and run.finished_at
    total = 15 + 1 + 1  # communes, the district, the province
    assert (run.units_done, run.units_total) == (total, total)
    # chunks of 4 communes, then the district, then the province, each committed with its progress
    assert [done for done, _t in seen] == [0, 4, 8, 12, 15, 16, 17, 17]
    assert run.cursor == {"period": w["period"].id, "level": 1, "unit": w["province"].id}
    district = Attainment.objects.get(unit=w["district"], rule_set=w["huyen"], period=w["period"])
    assert district.indicator_status["DK2"]["value"] is not None  # read the communes written before it


def test_a_run_killed_in_the_middle_and_retried_ends_as_a_clean_recompute(world, monkeypatch):
    w = world
    attainment_recompute(period=w["period"])
    clean = snapshot(w["period"])
    Attainment.objects.all().delete()
    # stale results that the run must overwrite: half of them wrong
    monkeypatch.setattr(services, "RUN_CHUNK", 4)
    real = services._recompute_units
    calls = []

    def dies_on_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise SystemExit("worker killed")  # nothing of this chunk is committed
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_recompute_units", dies_on_third_chunk)
    run = recompute_run_create(period=w["period"], trigger="test")
    with pytest.raises(SystemExit):
        recompute_run_execute(run_id=run.id)
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.RUNNING and run.units_done == 8
    written = Attainment.objects.filter(period=w["period"]).values("unit_id").distinct().count()

    monkeypatch.setattr(services, "_recompute_units", real)
    redone = []
    monkeypatch.setattr(
        services, "_recompute_units", lambda units, *a, **k: (redone.extend(units), real(units, *a, **k))[1]
    )
    run = recompute_run_execute(run_id=run.id)  # the retried task
    assert run.status == RecomputeRun.Status.DONE and run.units_done == run.units_total == 17
    assert written == 8 and len(redone) == 17 - 8  # carried on after the cursor
    assert snapshot(w["period"]) == clean


def test_a_run_that_keeps_failing_is_marked_failed_with_the_error(world, monkeypatch):
    w = world
    monkeypatch.setattr(tasks, "EAGER_BACKOFF", 0.001)
    monkeypatch.setattr(
        tasks, "recompute_run_execute", lambda **kw: (_ for _ in ()).throw(OperationalError("database is down"))
    )
    run = recompute_run_create(period=w["period"], trigger="test")
    with pytest.raises(OperationalError):
        tasks.recompute_run.apply(args=(run.id,), throw=True)
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.FAILED
    assert run.error == "OperationalError: database is down"


def test_a_run_retried_after_transient_errors_finishes(world, monkeypatch):
    w = world
    monkeypatch.setattr(tasks, "EAGER_BACKOFF", 0.001)
    real = tasks.recompute_run_execute
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("deadlock detected")
        return real(**kwargs)

    monkeypatch.setattr(tasks, "recompute_run_execute", flaky)
    run = recompute_run_create(period=w["period"], trigger="test")
    tasks.recompute_run.apply(args=(run.id,))
    run.refresh_from_db()
    assert len(calls) == 3 and run.status == RecomputeRun.Status.DONE and not run.error


def test_a_run_of_a_province_recomputes_only_its_subtree(world):
    w = world
    elsewhere = AdminUnitFactory(kind=Kind.TINH, code="93")
    other_commune = AdminUnitFactory(
        kind=Kind.XA, code="93001", parent=AdminUnitFactory(kind=Kind.HUYEN, code="931", parent=elsewhere)
    )
    put(other_commune, w["nc"], w["period"], **{"1_1": 90})
    run = recompute_run_create(period=w["period"], unit=w["province"], trigger="test")
    run = recompute_run_execute(run_id=run.id)
    assert run.units_total == 17
    assert Attainment.objects.filter(unit=w["communes"][0]).exists()
    assert not Attainment.objects.filter(unit=other_commune).exists()


def test_nightly_run_covers_every_period_once(world, django_capture_on_commit_callbacks):
    w = world
    other = ReportingPeriod.objects.for_code("2022")
    put(w["communes"][0], w["nc"], other, **{"1_1": 90})
    with django_capture_on_commit_callbacks(execute=True):
        run_id = tasks.recompute_nightly()
    run = RecomputeRun.objects.get(pk=run_id)
    assert run.status == RecomputeRun.Status.DONE and run.trigger == "nightly" and run.period is None
    assert run.units_total == 3 + 17  # 2022: one commune and its ancestors; 2023: everything
    assert Attainment.objects.filter(period=other).count() == 1
    RecomputeRun.objects.filter(pk=run_id).update(status=RecomputeRun.Status.RUNNING)
    assert tasks.recompute_nightly() is None  # still going: no second one


def test_watchdog_queues_runs_whose_worker_died(world, monkeypatch):
    w = world
    stalled = recompute_run_create(period=w["period"], trigger="test")
    fresh = recompute_run_create(period=w["period"], trigger="test")
    RecomputeRun.objects.filter(pk=stalled.pk).update(
        status=RecomputeRun.Status.RUNNING, updated_at=stalled.created_at - dt.timedelta(hours=1)
    )
    queued = []
    monkeypatch.setattr(tasks.recompute_run, "delay", lambda run_id: queued.append(run_id))
    assert tasks.recompute_watchdog() == [stalled.pk]
    assert queued == [stalled.pk] and fresh.pk not in queued


def test_recompute_command_shows_progress_and_records_the_run(world):
    w = world
    out = io.StringIO()
    call_command("recompute", "--period", "2023", stdout=out)
    text = out.getvalue()
    assert "100%  17/17" in text and "Lần tính lại #" in text
    run = RecomputeRun.objects.get()
    assert run.trigger == "command" and run.status == RecomputeRun.Status.DONE
    assert Attainment.objects.filter(period=w["period"], unit=w["district"]).exists()
    with pytest.raises(CommandError):
        call_command("recompute", "--period", "2023", "--unit", "00", stdout=io.StringIO())


# ---------------------------------------------------------------------------------------------- the stored row


@pytest.fixture
def shipped_sets(db):
    call_command("load_rule_sets", stdout=io.StringIO())
    return Catalog()


def random_value(indicator, rng):
    roll = rng.random()
    if roll < 0.1:
        return None
    if indicator.kind == "bool":
        return rng.random() < 0.7
    target = indicator.target or {}
    bound = target.get("value")
    if isinstance(bound, list):
        bound = bound[0]
    base = Decimal(str(bound)) if isinstance(bound, int | float) else Decimal(50)
    return (base + Decimal(rng.randint(-3, 3))).quantize(Decimal("0.0001"))


def stored_form(entry, result):
    """What a stored row must hold, built plainly from the result's mappings."""
    indicators = {}
    for code, r in result.indicators.items():
        item = {"status": r.status}
        if "when" in r.target:
            item["target"] = {k: float(v) if isinstance(v, Decimal) else v for k, v in r.target.items()}
        if entry.indicator_by_code[code].derived:
            item["value"] = float(r.value) if isinstance(r.value, Decimal) else r.value
        indicators[code] = item
    return {
        "criteria_status": {code: c.status for code, c in result.criteria.items()},
        "indicator_status": indicators,
        "missing": list(result.missing),
    }


def test_stored_row_of_every_shipped_rule_set_says_what_the_result_says(shipped_sets):
    """The row written from a result (JSON made from fragments cached per compiled set) holds exactly the
    result's counts, statuses, applied overrides and derived values: every shipped set, random regions,
    attributes, groups, ladder states, children and values, missing values and boundaries included."""
    catalog = shipped_sets
    rng = random.Random(7)
    period = ReportingPeriod.objects.for_code("2023")
    evaluator = services._Evaluator(catalog, period)
    regions = ["", "TDMNPB", "DBSH", "BTB", "DHMT", "TN", "DNB", "DBSCL"]
    attribute_sets = [frozenset(), frozenset({"especially_difficult"}), frozenset({"mountainous", "border"})]
    checked = 0
    for entry in catalog.entries.values():
        for trial in range(40):
            values = {i.code: random_value(i, rng) for i in entry.indicators}
            unapproved = frozenset(code for code in values if rng.random() < 0.2)
            held = frozenset(rng.sample(sorted(catalog.entries), k=rng.randint(0, 2)))
            children = {}
            for spec in entry.child_specs:
                total = rng.randint(0, 12)
                key = engine.children_key(spec["rule_set"], spec["level"], spec.get("kinds"))
                children[key] = engine.ChildSummary(attained=rng.randint(0, total), total=total)
            context = engine.Context(
                region=rng.choice(regions),
                attributes=rng.choice(attribute_sets),
                year=rng.choice([2022, 2023, 2024, 2026]),
                group=rng.choice([None, 1, 2, 3]),
            )
            result = evaluator.compiled_for(entry, context).evaluate(values, children, held, unapproved)
            stored = services._attainment_row(1, entry.rule_set.id, period.id, result, "now")
            row = dict(zip(services.ROW_COLUMNS, stored, strict=True))
            for name in ("criteria_status", "indicator_status", "missing"):
                row[name] = services.json.loads(row[name])
            expected = stored_form(entry, result)
            assert {k: row[k] for k in expected} == expected, (entry.code, trial)
            for name in services.ATTAINMENT_FIELDS:
                if name not in expected and name != "computed_at":
                    assert row[name] == getattr(result, name), (entry.code, trial, name)
            # and the result is the engine's: the reference wrapper, with the unit's children and tiers
            reference = engine.evaluate(entry.spec, values, dataclasses.replace(context, children=children, held=held))
            assert stored_form(entry, reference) == expected, (entry.code, trial)
            checked += 1
    assert checked == 40 * len(catalog.entries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
def test_the_copy_path_writes_what_the_small_path_writes(world, monkeypatch):
    w = world
    attainment_recompute(period=w["period"])
    small = snapshot(w["period"])
    Attainment.objects.filter(unit=w["communes"][0]).update(criteria_met=0, missing=["wrong"])
    extra = Attainment.objects.filter(unit=w["communes"][1], rule_set=w["ntm"]).get()
    IndicatorValue.objects.filter(unit=w["communes"][1], indicator__rule_set=w["ntm"]).delete()
    monkeypatch.setattr(services, "COPY_FROM", 1)
    stats = attainment_recompute(period=w["period"])
    assert stats.rows_deleted == 1 and not Attainment.objects.filter(pk=extra.pk).exists()
    assert snapshot(w["period"]) == [
        r for r in small if not (r["unit_id"] == extra.unit_id and r["rule_set_id"] == extra.rule_set_id)
    ]


def test_values_of_an_older_version_of_a_set_are_not_evaluated(world):
    w = world
    old = Indicator.objects.filter(rule_set=w["nc"]).first()
    RuleSet.objects.filter(pk=w["nc"].pk).update(status=RuleSet.Status.DRAFT)  # no longer in the catalog
    attainment_recompute(period=w["period"])
    assert not Attainment.objects.filter(rule_set=w["nc"]).exists()
    assert old is not None


def test_the_catalog_is_reused_until_the_published_sets_change(shipped_sets):
    first = services._current_catalog()
    assert services._current_catalog() is first  # one query instead of three and no rebuilding
    newer = RuleSet.objects.published().get(code="xa-ntm-2021-2025")
    newer.pk, newer.version, newer.checksum = None, 2, "b" * 64
    newer.save()
    again = services._current_catalog()
    assert again is not first and again.get("xa-ntm-2021-2025").rule_set.version == 2
