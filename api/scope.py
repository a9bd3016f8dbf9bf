"""The API sees what the pages see: a token belongs to a user, and the user's memberships decide the subtree
(communes.access). A unit outside it answers 404, like a code that does not exist."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from rest_framework.permissions import BasePermission

from communes.access import scope_for


def within_scope(queryset: QuerySet, user, *, path_field: str = "path") -> QuerySet:
    """The rows whose unit lies in the user's subtree (one query for the memberships, then a filter)."""
    scope = scope_for(user)
    if scope.sees_all:
        return queryset
    if not scope.paths:
        return queryset.none()
    condition = Q()
    for path in scope.paths:
        condition |= Q(**{f"{path_field}__startswith": path})
    return queryset.filter(condition)


class HasScope(BasePermission):
    """Signed in (by token or session) and holding a role somewhere: a user without a membership sees nothing."""

    message = "Tài khoản chưa được giao vai trò ở đơn vị nào. / The account holds no role on any unit."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        scope = scope_for(user)
        return scope.sees_all or bool(scope.paths)
