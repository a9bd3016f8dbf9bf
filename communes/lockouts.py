"""Accounts locked by the login throttle (django-axes), and unlocking them.

An account is locked after settings.AXES_FAILURE_LIMIT failed logins within the cool-off time. The provincial
coordinator unlocks the accounts of people who work in his province; an administrator unlocks any account.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from .access import Rights
from .models import Membership


@dataclass(frozen=True)
class Lockout:
    username: str
    failures: int
    last_attempt: object


def _usernames_in_scope(rights: Rights, usernames: set[str]) -> set[str]:
    if rights.is_admin:
        return usernames
    paths = rights.coordinator_paths
    rows = Membership.objects.filter(user__username__in=usernames).values_list("user__username", "unit__path")
    return {username for username, path in rows if any(path.startswith(top) for top in paths)}


def lockouts_for(*, rights: Rights) -> list[Lockout]:
    """Locked accounts the user may unlock, most recent first."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .exclude(username__isnull=True)
        .exclude(username="")
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    by_name = {row["username"]: row for row in rows}
    allowed = _usernames_in_scope(rights, set(by_name))
    found = [Lockout(name, by_name[name]["failures"], by_name[name]["last"]) for name in allowed]
    return sorted(found, key=lambda lockout: lockout.last_attempt, reverse=True)


def account_unlock(*, rights: Rights, username: str) -> bool:
    """Forget the failed logins of `username` (and so the address lock they caused); False if out of scope."""
    if username not in {lockout.username for lockout in lockouts_for(rights=rights)}:
        return False
    reset(username=username)
    return True
