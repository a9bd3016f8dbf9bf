"""A period lock and a write serialise on PostgreSQL: a write in flight finishes before the lock is taken, and a
write that starts while the lock is being taken waits for it, then is refused. Two threads, two connections."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction

from criteria.models import IndicatorValue
from entry import services
from tests.entry.conftest import world  # noqa: F401 - the entry tests' province, rule sets and users

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(target, *args):
    outcome = {}

    def run():
        try:
            outcome["result"] = target(*args)
        except Exception as exc:  # noqa: BLE001 - the test reads what happened
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _save(w, raw, version):
    return services.value_save(
        user=w["official"],
        unit=w["commune"],
        indicator=w["pct"],
        period=w["period"],
        raw=raw,
        expected_version=version,
    )


def test_a_lock_waits_for_the_write_in_flight_then_the_next_write_is_refused(world):  # noqa: F811
    w = world
    written, release = threading.Event(), threading.Event()

    def slow_write():
        with transaction.atomic():
            value = _save(w, "70", 0)
            written.set()
            release.wait(10)  # the write's transaction is still open
            return value

    writer, wrote = _in_thread(slow_write)
    assert written.wait(10)
    locker, locked = _in_thread(
        lambda: services.period_lock(user=w["coordinator"], period=w["period"], province=w["province"])
    )
    time.sleep(0.5)
    assert locker.is_alive(), "the lock did not wait for the write in flight"
    release.set()
    writer.join(10)
    locker.join(10)
    assert "error" not in wrote and "error" not in locked, (wrote, locked)
    with pytest.raises(services.PeriodLocked):
        _save(w, "90", 1)
    assert IndicatorValue.objects.get().number == Decimal("70")


def test_a_write_that_starts_while_the_lock_is_taken_waits_and_is_refused(world):  # noqa: F811
    w = world
    taken, release = threading.Event(), threading.Event()

    def slow_lock():
        with transaction.atomic():
            services.period_lock(user=w["coordinator"], period=w["period"], province=w["province"])
            taken.set()
            release.wait(10)  # the lock's transaction is still open

    locker, locked = _in_thread(slow_lock)
    assert taken.wait(10)
    writer, wrote = _in_thread(_save, w, "70", 0)
    time.sleep(0.5)
    assert writer.is_alive(), "the write did not wait for the lock being taken"
    release.set()
    locker.join(10)
    writer.join(10)
    assert "error" not in locked, locked
    assert isinstance(wrote.get("error"), services.PeriodLocked), wrote
    assert not IndicatorValue.objects.exists()


def test_writes_of_one_period_do_not_wait_for_one_another(world):  # noqa: F811
    w = world
    written, release = threading.Event(), threading.Event()

    def slow_write():
        with transaction.atomic():
            _save(w, "70", 0)
            written.set()
            release.wait(10)

    first, _one = _in_thread(slow_write)
    assert written.wait(10)
    other = services.value_save(
        user=w["official"], unit=w["commune"], indicator=w["count"], period=w["period"], raw="4", expected_version=0
    )
    assert other is not None  # saved while the first write's transaction is open
    release.set()
    first.join(10)
