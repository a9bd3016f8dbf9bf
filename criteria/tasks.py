"""Celery tasks: thin, they take IDs and call the recompute services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError, transaction

from communes.models import AdminUnit

from .models import ReportingPeriod
from .services import attainment_recompute


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60, max_retries=5)
def recompute_units(self, period_id: int, unit_ids: list[int]) -> dict:
    period = ReportingPeriod.objects.get(pk=period_id)
    units = list(AdminUnit.objects.filter(pk__in=unit_ids))
    stats = attainment_recompute(period=period, units=units)
    return {"period": stats.period, "rows": stats.rows_written}


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=60, max_retries=5)
def recompute_period(self, period_id: int) -> dict:
    period = ReportingPeriod.objects.get(pk=period_id)
    stats = attainment_recompute(period=period)
    return {"period": stats.period, "rows": stats.rows_written}


def queue_recompute(*, period: ReportingPeriod, units: list[AdminUnit]) -> None:
    """Recompute the units and their ancestors once the current transaction has committed."""
    unit_ids = sorted({u.id for u in units})
    transaction.on_commit(lambda: recompute_units.delay(period.id, unit_ids))
