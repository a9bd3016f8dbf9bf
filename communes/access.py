"""Who may see which unit: a membership gives its role on a unit and on that unit's whole subtree.

Views answer 404 (not 403) for a unit outside the user's scope, exactly as for a code that does not
exist, so that an outsider cannot probe which units are in the tracker.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import AdminUnit, Membership, Role

# Roles that see every unit wherever their membership is attached.
NATIONWIDE_ROLES = frozenset({Role.ADMINISTRATOR})


def memberships_for(user) -> list[Membership]:
    """The user's memberships with their units, ordered along the tree (one query; the access checks and the
    navigation of the same request reuse it)."""
    if not getattr(user, "is_authenticated", False):
        return []
    memberships = list(Membership.objects.filter(user=user).select_related("unit").order_by("unit__path", "role"))
    user._ntm_grants = tuple((m.role, m.unit.path) for m in memberships)
    return memberships


@dataclass(frozen=True)
class Scope:
    """The part of the tree a user sees, loaded once so a page can test many units without queries."""

    sees_all: bool
    paths: tuple[str, ...]

    def covers(self, unit: AdminUnit) -> bool:
        return self.sees_all or any(unit.path.startswith(path) for path in self.paths)


def _grants(user) -> tuple[tuple[str, str], ...]:
    """The user's (role, unit path) pairs: one query, kept on the user object for the rest of the request,
    so the page, its navigation and its access checks share it."""
    cached = getattr(user, "_ntm_grants", None)
    if cached is None:
        cached = tuple(Membership.objects.filter(user=user).values_list("role", "unit__path"))
        user._ntm_grants = cached
    return cached


def scope_for(user) -> Scope:
    """At most one query per request: superusers need none."""
    if not getattr(user, "is_authenticated", False):
        return Scope(sees_all=False, paths=())
    if user.is_superuser:
        return Scope(sees_all=True, paths=())
    rows = _grants(user)
    if any(role in NATIONWIDE_ROLES for role, _path in rows):
        return Scope(sees_all=True, paths=())
    # A path nested in another adds nothing; keeping only the tops keeps the filter short.
    tops = sorted({path for _role, path in rows})
    kept: list[str] = []
    for path in tops:
        if not any(path.startswith(top) for top in kept):
            kept.append(path)
    return Scope(sees_all=False, paths=tuple(kept))


def visible_units(user) -> QuerySet[AdminUnit]:
    """Every unit the user may see (one query for the memberships, then a lazy queryset)."""
    scope = scope_for(user)
    if scope.sees_all:
        return AdminUnit.objects.all()
    if not scope.paths:
        return AdminUnit.objects.none()
    condition = Q()
    for path in scope.paths:
        condition |= Q(path__startswith=path)
    return AdminUnit.objects.filter(condition)


def can_view(user, unit: AdminUnit) -> bool:
    """One query at most: is there a membership on the unit or one of its ancestors (or a nationwide role)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    # The ancestors' paths are known from the unit's own path, so "prefix of" becomes an indexed IN.
    own_paths = [*unit.ancestor_paths(), unit.path]
    return Membership.objects.filter(
        Q(role__in=NATIONWIDE_ROLES) | Q(unit__path__in=own_paths),
        user=user,
    ).exists()


# --- rights to change data -----------------------------------------------------------------------------------------
# A commune official enters data for the commune and its villages; district reviewers and provincial coordinators enter
# the data of their own unit only, and review the units below it. Viewers never change anything.
EDIT_SUBTREE_ROLES = frozenset({Role.COMMUNE_OFFICIAL})
EDIT_OWN_UNIT_ROLES = frozenset({Role.DISTRICT_REVIEWER, Role.PROVINCIAL_COORDINATOR})
REVIEW_ROLES = frozenset({Role.DISTRICT_REVIEWER, Role.PROVINCIAL_COORDINATOR})
COORDINATOR_ROLES = frozenset({Role.PROVINCIAL_COORDINATOR})


@dataclass(frozen=True)
class Rights:
    """A user's roles along the tree, loaded once (one query) so a page can ask about many units for free."""

    is_admin: bool
    grants: tuple[tuple[str, str], ...]  # (role, unit path)

    def _paths(self, roles) -> list[str]:
        return [path for role, path in self.grants if role in roles]

    def can_view(self, unit: AdminUnit) -> bool:
        return self.is_admin or any(unit.path.startswith(path) for _role, path in self.grants)

    def can_edit(self, unit: AdminUnit) -> bool:
        if self.is_admin:
            return True
        return any(unit.path.startswith(p) for p in self._paths(EDIT_SUBTREE_ROLES)) or unit.path in self._paths(
            EDIT_OWN_UNIT_ROLES
        )

    def can_review(self, unit: AdminUnit) -> bool:
        """Reviewers judge the units below their own, never their own data."""
        if self.is_admin:
            return True
        return any(unit.path.startswith(p) and unit.path != p for p in self._paths(REVIEW_ROLES))

    def can_coordinate(self, unit: AdminUnit) -> bool:
        """Memberships within the province are managed by its coordination office."""
        return self.is_admin or any(unit.path.startswith(p) for p in self._paths(COORDINATOR_ROLES))

    @property
    def can_lock_periods(self) -> bool:
        return self.is_admin or bool(self._paths(COORDINATOR_ROLES))

    @property
    def enters_data(self) -> bool:
        """Whether the user enters data anywhere (viewers never do)."""
        return self.is_admin or bool(self._paths(EDIT_SUBTREE_ROLES | EDIT_OWN_UNIT_ROLES))

    @property
    def review_paths(self) -> tuple[str, ...]:
        return tuple(self._paths(REVIEW_ROLES))

    @property
    def coordinator_paths(self) -> tuple[str, ...]:
        return tuple(self._paths(COORDINATOR_ROLES))


def rights_for(user) -> Rights:
    """At most one query per request: superusers need none."""
    if not getattr(user, "is_authenticated", False):
        return Rights(is_admin=False, grants=())
    if user.is_superuser:
        return Rights(is_admin=True, grants=())
    rows = _grants(user)
    return Rights(is_admin=any(role in NATIONWIDE_ROLES for role, _p in rows), grants=rows)


def can_edit(user, unit: AdminUnit) -> bool:
    return rights_for(user).can_edit(unit)


def can_review(user, unit: AdminUnit) -> bool:
    return rights_for(user).can_review(unit)
