"""Saving and the background recompute: one recompute per unit per transaction, a save that cannot queue its
recompute still answers normally (value saved, burst key released), and the watchdog finds what was missed."""

import datetime as dt

import pytest
from django.db import OperationalError as DatabaseOperationalError
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from criteria import tasks
from criteria.models import Attainment, IndicatorValue
from tests.criteria.test_tasks import FakeRedis
from tests.entry.test_excel import fill, template, upload
from tests.entry.test_views import post_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """call(f, ...) runs f as a request does: its on-commit callbacks run when it returns."""

    def call(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return call


@pytest.fixture
def official(world):
    client = Client()
    client.force_login(world["official"])
    return client


@pytest.fixture
def recomputes(monkeypatch):
    """Run in-process (no broker), counting the recomputes the saves start."""
    calls = []
    real = tasks.attainment_recompute

    def counted(**kwargs):
        calls.append(sorted(u.id for u in kwargs["units"]))
        return real(**kwargs)

    monkeypatch.setattr(tasks, "attainment_recompute", counted)
    return calls


@pytest.fixture
def broker(monkeypatch, settings):
    """A Redis broker in front of the tasks (burst keys in a fake Redis); `down` makes publishing fail."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    fake = FakeRedis()
    monkeypatch.setattr(tasks, "_redis", lambda: fake)
    state = {"down": False, "queued": [], "keys": fake.keys}

    def apply_async(args, **kwargs):
        if state["down"]:
            raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        state["queued"].append(args)

    monkeypatch.setattr(tasks.recompute_units, "apply_async", apply_async)
    return state


def test_an_upload_of_many_rows_recomputes_the_unit_once(world, official, recomputes, committed):
    workbook = template(official)
    fill(workbook, "1.1", "value", "76,5")
    fill(workbook, "1.2", "value", "có")
    fill(workbook, "2.1", "value", "5")
    fill(workbook, "2.2", "value", "80")
    assert committed(upload, official, workbook).status_code == 302
    assert IndicatorValue.objects.count() == 4
    assert recomputes == [[world["commune"].id]]


def test_a_form_saving_many_fields_queues_one_task(world, official, broker, committed):
    values = {world["pct"]: ("90", ""), world["yes"]: ("có", ""), world["count"]: ("4", "")}
    assert committed(post_values, official, world["commune"], values).status_code == 302
    assert broker["queued"] == [(world["period"].id, [world["commune"].id])]


def test_a_save_answers_normally_when_the_broker_is_down(world, official, broker, committed):
    broker["down"] = True
    response = committed(post_values, official, world["commune"], {world["pct"]: ("90", "")})
    assert response.status_code == 302
    assert IndicatorValue.objects.get().number == 90
    # the burst key is released: the next save (broker back) queues at once instead of waiting for it to expire
    assert broker["keys"] == {}
    broker["down"] = False
    value = IndicatorValue.objects.get()
    committed(
        post_values, official, world["commune"], {world["pct"]: ("95", "")}, versions={world["pct"]: value.version}
    )
    assert broker["queued"] == [(world["period"].id, [world["commune"].id])]


def test_a_save_answers_normally_when_the_recompute_itself_fails(world, official, monkeypatch, committed):
    monkeypatch.setattr(tasks, "EAGER_BACKOFF", 0.001)

    def broken(**kwargs):
        raise DatabaseOperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(tasks, "attainment_recompute", broken)
    response = committed(post_values, official, world["commune"], {world["pct"]: ("90", "")})
    assert response.status_code == 302
    assert IndicatorValue.objects.get().number == 90


def test_the_watchdog_recomputes_units_whose_values_are_newer_than_their_results(world, official, broker, committed):
    broker["down"] = True
    committed(post_values, official, world["commune"], {world["pct"]: ("90", "")})
    broker["down"] = False
    assert not Attainment.objects.exists()
    # a save only just made is left to its own task
    tasks.recompute_watchdog()
    assert broker["queued"] == []
    IndicatorValue.objects.update(updated_at=timezone.now() - dt.timedelta(minutes=5))
    tasks.recompute_watchdog()
    assert broker["queued"] == [(world["period"].id, [world["commune"].id])]
    # once recomputed, the unit is no longer stale
    tasks.recompute_units.run(world["period"].id, [world["commune"].id])
    assert Attainment.objects.filter(unit=world["commune"]).exists()
    tasks.recompute_watchdog()
    assert len(broker["queued"]) == 1
    # a result older than a later change is stale again
    Attainment.objects.update(computed_at=timezone.now() - dt.timedelta(minutes=10))
    tasks.recompute_watchdog()
    assert len(broker["queued"]) == 2
