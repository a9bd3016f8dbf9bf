"""Notifications are written after the change they report has committed, and mailed where an address is set."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone, translation

from communes.access import EDIT_OWN_UNIT_ROLES, EDIT_SUBTREE_ROLES, REVIEW_ROLES
from communes.models import AdminUnit, Membership

from .models import Notification

logger = logging.getLogger(__name__)


def notification_send(*, kind: str, unit: AdminUnit, period, recipients, actor=None, reason: str = "") -> int:
    """One notification per recipient (the actor excluded), and one e-mail to each who has an address.

    Call it inside the transaction of the change: nothing is written or sent unless that commits."""
    ids = {user.pk for user in recipients if user is not None and (actor is None or user.pk != actor.pk)}
    if not ids:
        return 0

    def write():
        users = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
        notes = Notification.objects.bulk_create(
            Notification(user=u, kind=kind, unit=unit, period=period, actor=actor, reason=reason) for u in users
        )
        _mail(notes, users)

    transaction.on_commit(write)
    return len(ids)


def _mail(notes: list[Notification], users) -> None:
    by_user = {u.pk: u for u in users}
    messages = []
    # E-mails go out in Vietnamese, the language of the offices, with the English line below.
    with translation.override("vi"):
        for note in notes:
            user = by_user[note.user_id]
            if not user.email:
                continue
            body = note.text
            if note.reason:
                body += "\n" + translation.gettext("Lý do: %(r)s") % {"r": note.reason}
            body += "\n\n" + settings.SITE_URL.rstrip("/") + note.url
            with translation.override("en"):
                body += "\n\n" + note.text
            messages.append(("[NTM] " + note.text, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    if not messages:
        return
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:  # a mail server down must not fail the reviewer's decision: the in-app list still has it
        logger.exception("notification e-mail not sent")


def enterers_of(unit: AdminUnit):
    """The users who enter the unit's data: commune officials on it or above it, its own reviewers/coordinators."""
    paths = [*unit.ancestor_paths(), unit.path]
    memberships = Membership.objects.filter(unit__path__in=paths, role__in=EDIT_SUBTREE_ROLES).select_related("user")
    own = Membership.objects.filter(unit=unit, role__in=EDIT_OWN_UNIT_ROLES).select_related("user")
    return [m.user for m in [*memberships, *own]]


def province_members(province: AdminUnit):
    """Everyone with a role in the province who enters or reviews data."""
    memberships = Membership.objects.filter(
        unit__path__startswith=province.path, role__in=EDIT_SUBTREE_ROLES | EDIT_OWN_UNIT_ROLES | REVIEW_ROLES
    ).select_related("user")
    return [m.user for m in memberships]


def notifications_mark_read(*, user, ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
