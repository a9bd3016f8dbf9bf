"""Where the entry services already record a review decision or a lock, the people concerned are told.

Receivers of post_save on the rows the services write, so the services stay as they are; the notifications are
written on commit (notification_send), never for a change that rolled back."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from criteria.models import PeriodLock, Submission

from .models import Notification
from .services import enterers_of, notification_send, province_members


@receiver(post_save, sender=Submission, dispatch_uid="notify-review-decision")
def submission_decided(sender, instance: Submission, created, update_fields=None, raw=False, **kwargs):
    if raw or instance.reviewed_by_id is None:
        return
    if instance.status == Submission.Status.RETURNED:
        kind = Notification.Kind.RETURNED
    elif instance.status == Submission.Status.APPROVED:
        kind = Notification.Kind.APPROVED
    else:
        return
    reason = ""
    if kind == Notification.Kind.RETURNED:
        reason = (
            instance.unit.values.filter(period=instance.period, status="returned")
            .exclude(return_reason="")
            .values_list("return_reason", flat=True)
            .first()
            or ""
        )
    recipients = enterers_of(instance.unit)
    if instance.submitted_by is not None:
        recipients.append(instance.submitted_by)
    notification_send(
        kind=kind,
        unit=instance.unit,
        period=instance.period,
        recipients=recipients,
        actor=instance.reviewed_by,
        reason=reason,
    )


@receiver(post_save, sender=PeriodLock, dispatch_uid="notify-period-lock")
def period_locked(sender, instance: PeriodLock, created, raw=False, **kwargs):
    if raw or not created:
        return
    notification_send(
        kind=Notification.Kind.LOCKED,
        unit=instance.province,
        period=instance.period,
        recipients=province_members(instance.province),
        actor=instance.locked_by,
    )
