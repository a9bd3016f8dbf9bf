"""Granting and revoking roles: the provincial coordinator manages the memberships within the province."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from .access import Rights
from .models import AdminUnit, Membership, Role

# Roles a coordinator may hand out; only administrators make administrators.
GRANTABLE = (Role.COMMUNE_OFFICIAL, Role.DISTRICT_REVIEWER, Role.PROVINCIAL_COORDINATOR, Role.PROVINCIAL_VIEWER)


class MembershipError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def grantable_roles(rights: Rights) -> list[tuple[str, str]]:
    roles = [*GRANTABLE, Role.ADMINISTRATOR] if rights.is_admin else list(GRANTABLE)
    return [(r.value, r.label) for r in roles]


def membership_grant(*, rights: Rights, username: str, unit_code: str, role: str, acting_user) -> Membership:
    """Give a user a role on a unit of the coordinator's province.

    Nobody grants himself a role here (four eyes): a coordinator who made himself a commune official could
    enter, submit and approve the same figures."""
    user = get_user_model().objects.filter(username=(username or "").strip()).first()
    if user is None:
        raise MembershipError(_("Không có tài khoản «%(u)s».") % {"u": username}, "username")
    if user.pk == acting_user.pk:
        raise MembershipError(
            _("Không tự giao vai trò cho chính mình: nhờ một người điều phối khác hoặc quản trị hệ thống."),
            "username",
        )
    unit = AdminUnit.objects.filter(code=(unit_code or "").strip()).first()
    if unit is None or not rights.can_coordinate(unit):
        raise MembershipError(_("Không có đơn vị mã «%(c)s» trong tỉnh của bạn.") % {"c": unit_code}, "unit_code")
    if role not in dict(grantable_roles(rights)):
        raise MembershipError(_("Bạn không được giao vai trò này."), "role")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if not created:
        raise MembershipError(_("%(u)s đã có vai trò này tại %(unit)s.") % {"u": user.username, "unit": unit.name})
    return membership


def membership_revoke(*, rights: Rights, membership: Membership, acting_user) -> None:
    if not rights.can_coordinate(membership.unit):
        raise MembershipError(_("Phân công này không thuộc tỉnh của bạn."))
    if membership.role == Role.ADMINISTRATOR and not rights.is_admin:
        raise MembershipError(_("Chỉ quản trị hệ thống được thu hồi vai trò quản trị."))
    if membership.user_id == acting_user.pk and membership.role == Role.PROVINCIAL_COORDINATOR:
        raise MembershipError(_("Bạn không thể tự thu hồi vai trò điều phối của mình."))
    membership.delete()


def account_create(*, rights: Rights, username: str, email: str = "") -> tuple:
    """A new account without a password, for a coordinator or administrator to give a role to: the person sets
    the password through the one-use link returned as (user, uidb64, token)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if not (rights.is_admin or rights.coordinator_paths):
        raise MembershipError(_("Chỉ văn phòng điều phối tỉnh được tạo tài khoản."))
    users = get_user_model()
    username = username.strip()
    if users.objects.filter(username__iexact=username).exists():
        raise MembershipError(_("Đã có tài khoản «%(u)s»: bỏ chọn «Tạo tài khoản mới».") % {"u": username}, "username")
    user = users(username=username, email=email.strip())
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user, urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
