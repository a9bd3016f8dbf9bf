"""Celery tasks: thin, they take IDs and call the recompute services.

`queue_recompute` is what saving, approving or importing values calls: after the transaction commits it
queues one `recompute_units` per burst of saves of a unit. A burst is recognised by a key in Redis (the
broker's own server) that the first save sets and the task clears just before it reads the values: saves
committed before that are in what the task reads, saves after it set the key again and queue a new task.
Without a broker (the embedded default) tasks run in-process, at once, and need no key.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from functools import cache

from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from communes.models import AdminUnit

from .models import RecomputeRun, ReportingPeriod
from .selectors import stale_attainment_units
from .services import attainment_recompute, recompute_run_create, recompute_run_execute, recompute_run_fail

log = logging.getLogger(__name__)

# Connection lost, server restarting, deadlock, serialization failure: worth another try.
TRANSIENT = (OperationalError, InterfaceError)
MAX_RETRIES = 5
# A burst of saves of one unit within this many seconds leads to one recompute.
BURST_SECONDS = 2
# The burst key outlives a lost task by at most this much (the countdown plus a recompute of one commune and its
# ancestors, a few seconds); a save after that queues a new task, and the watchdog repairs what a lost task missed.
PENDING_TTL = 60
# The watchdog looks for values changed in this window and older than the grace (their own task had its chance).
STALE_VALUES_WINDOW = dt.timedelta(days=2)
STALE_VALUES_GRACE = 120
# In-process (no broker) retries wait 0.1, 0.2, 0.4… s: a request should not hang for long.
EAGER_BACKOFF = 0.1
# A running run whose chunks have not moved for this long lost its worker: the watchdog queues it again.
STALLED_SECONDS = 15 * 60


def backoff(retries: int) -> int:
    """2, 4, 8, 16, 32 s: the database gets time to come back."""
    return min(2 ** (retries + 1), 60)


def _forget_connection() -> None:
    # A broken connection must not be reused by the retry; inside a test's transaction it is kept.
    if not connection.in_atomic_block:
        connection.close()


# ---------------------------------------------------------------------------------------------- bursts


@cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3, socket_timeout=5)


def _pending_key(period_id: int, unit_id: int) -> str:
    prefix = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}).get("global_keyprefix", "")
    return f"{prefix}ntm:recompute-pending:{period_id}:{unit_id}"


def _uses_redis() -> bool:
    return not settings.CELERY_TASK_ALWAYS_EAGER and settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def pending_claim(period_id: int, unit_ids: list[int]) -> list[int]:
    """The units not already waiting for a queued recompute, now marked as waiting."""
    if not _uses_redis():
        return unit_ids
    try:
        pipe = _redis().pipeline()
        for unit_id in unit_ids:
            pipe.set(_pending_key(period_id, unit_id), 1, nx=True, ex=PENDING_TTL)
        return [u for u, fresh in zip(unit_ids, pipe.execute(), strict=True) if fresh]
    except Exception:  # noqa: BLE001 - without the key a recompute too many is queued, never one too few
        log.warning("recompute burst keys unavailable; queueing anyway", exc_info=True)
        return unit_ids


def pending_clear(period_id: int, unit_ids: list[int]) -> None:
    if not _uses_redis():
        return
    try:
        _redis().delete(*[_pending_key(period_id, u) for u in unit_ids])
    except Exception:  # noqa: BLE001 - the key expires by itself
        log.warning("recompute burst keys unavailable", exc_info=True)


# ---------------------------------------------------------------------------------------------- tasks


def _with_retries(task, body, on_give_up=None):
    """Run `body`, retrying transient database errors with exponential backoff.

    On a worker the task is retried by Celery (the worker is free meanwhile); run in-process (no broker) the
    retries happen on the spot, a little apart. When they are used up `on_give_up` gets the error.
    """
    for attempt in range(MAX_RETRIES + 1):
        try:
            return body()
        except TRANSIENT as exc:
            _forget_connection()
            retries = task.request.retries + attempt
            if retries >= task.max_retries:
                if on_give_up is not None:
                    on_give_up(exc)
                raise
            if not task.request.is_eager:
                raise task.retry(exc=exc, countdown=backoff(retries))
            time.sleep(EAGER_BACKOFF * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def recompute_units(self, period_id: int, unit_ids: list[int]) -> dict:
    """Recompute the units and their ancestors (interactive queue)."""
    pending_clear(period_id, unit_ids)  # before reading: a save from now on queues a new task

    def body():
        period = ReportingPeriod.objects.get(pk=period_id)
        units = list(AdminUnit.objects.filter(pk__in=unit_ids))
        return attainment_recompute(period=period, units=units)

    stats = _with_retries(self, body)
    return {"period": stats.period, "units": stats.units, "rows": stats.rows_written}


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def recompute_run(self, run_id: int) -> dict:
    """Carry out a full recompute run (bulk queue); a redelivered or retried task resumes after its cursor."""
    try:
        run = _with_retries(self, lambda: recompute_run_execute(run_id=run_id), lambda exc: _fail(run_id, exc))
    except TRANSIENT:
        raise
    except Exception as exc:
        if not isinstance(exc, Retry):
            _fail(run_id, exc)
        raise
    return {"run": run.id, "status": run.status, "units": run.units_done}


def _fail(run_id: int, exc: BaseException) -> None:
    try:
        recompute_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}".strip())
    except DatabaseError:
        log.exception("could not mark recompute run %s as failed", run_id)


@shared_task
def recompute_nightly() -> int | None:
    """Beat: every period with values, the whole country, unless such a run is still going."""
    if RecomputeRun.objects.filter(
        period=None, unit=None, status__in=[RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING]
    ).exists():
        return None
    run = recompute_run_create(trigger="nightly")
    queue_run(run)
    return run.id


@shared_task
def recompute_watchdog() -> list[int]:
    """Beat: queue again the runs whose worker died (a redelivered task would also do, but only after the
    broker's visibility timeout), and the units whose values changed after their stored result (a recompute
    lost with its worker or never queued). Two tasks on one run share its chunks, so a false alarm costs nothing."""
    stalled = list(
        RecomputeRun.objects.filter(
            status__in=[RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING],
            updated_at__lt=timezone.now() - dt.timedelta(seconds=STALLED_SECONDS),
        ).values_list("id", flat=True)
    )
    for run_id in stalled:
        recompute_run.delay(run_id)
    now = timezone.now()
    for period_id, unit_ids in stale_attainment_units(
        since=now - STALE_VALUES_WINDOW, until=now - dt.timedelta(seconds=STALE_VALUES_GRACE)
    ).items():
        log.warning(
            "recompute watchdog: %d unit(s) of period %s have values newer than their results", len(unit_ids), period_id
        )
        enqueue_recompute(period_id, unit_ids)
    return stalled


# ---------------------------------------------------------------------------------------------- queueing


class _Batch:
    """The units a transaction asked to recompute, queued together once it has committed."""

    def __init__(self):
        self.units: dict[int, set[int]] = {}
        self.done = False

    def __call__(self):
        self.done = True
        for period_id, unit_ids in self.units.items():
            enqueue_recompute(period_id, sorted(unit_ids))


def _current_batch() -> _Batch | None:
    """The batch of the transaction in progress (one on_commit callback per transaction), None outside one."""
    if not connection.in_atomic_block:
        return None
    batch = getattr(connection, "_ntm_recompute_batch", None)
    # Still waiting for this transaction's commit? (A rolled-back transaction drops its callbacks.)
    if batch is None or batch.done or not any(entry[1] is batch for entry in connection.run_on_commit):
        batch = _Batch()
        connection._ntm_recompute_batch = batch
        transaction.on_commit(batch)
    return batch


def queue_recompute(*, period: ReportingPeriod, units: list[AdminUnit]) -> None:
    """Recompute the units and their ancestors once the current transaction has committed.

    However many values the transaction saves (a 75-row upload), each unit is queued once, in one task per period.
    """
    unit_ids = {u.id for u in units}
    if not unit_ids:
        return
    batch = _current_batch()
    if batch is None:
        enqueue_recompute(period.id, sorted(unit_ids))
    else:
        batch.units.setdefault(period.id, set()).update(unit_ids)


def enqueue_recompute(period_id: int, unit_ids: list[int]) -> None:
    """Queue the recompute now (after the commit). A failure never reaches the person who saved: the values are
    committed, the burst keys are released, and the watchdog recomputes the units whose values are newer than
    their results."""
    fresh = pending_claim(period_id, unit_ids)
    if not fresh:
        return
    try:
        recompute_units.apply_async((period_id, fresh), countdown=BURST_SECONDS)
    except Exception:  # noqa: BLE001 - broker down, or (without one) the recompute itself failed
        log.exception("recompute of units %s for period %s not queued; the watchdog will pick it up", fresh, period_id)
        pending_clear(period_id, fresh)


def queue_run(run: RecomputeRun) -> None:
    """Start a full run once the transaction that created it has committed."""
    run_id = run.id

    def enqueue():
        try:
            result = recompute_run.apply_async((run_id,))
        except Exception:
            if not settings.CELERY_TASK_ALWAYS_EAGER:
                raise
            # Run in-process: the run row already says it failed and why; the page shows it.
            log.exception("recompute run %s failed", run_id)
            return
        RecomputeRun.objects.filter(pk=run_id, task_id="").update(task_id=result.id or "")

    transaction.on_commit(enqueue)
