"""Membership management in the interface, for the provincial coordinator (and administrators)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .access import Rights, rights_for
from .lockouts import account_unlock, lockouts_for
from .memberships import MembershipError, grantable_roles, membership_grant, membership_revoke
from .models import Membership


class MembershipForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Tên đăng nhập"), max_length=150)
    unit_code = forms.CharField(label=gettext_lazy("Mã đơn vị"), max_length=20)
    role = forms.ChoiceField(label=gettext_lazy("Vai trò"), choices=())

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles


def _coordinator(request) -> Rights:
    rights = rights_for(request.user)
    if not (rights.is_admin or rights.coordinator_paths):
        raise PermissionDenied(_("Chỉ văn phòng điều phối tỉnh được quản lý phân công."))
    return rights


def _in_scope(rights: Rights):
    memberships = Membership.objects.select_related("user", "unit").order_by("unit__path", "role", "user__username")
    if rights.is_admin:
        return memberships
    condition = Q()
    for path in rights.coordinator_paths:
        condition |= Q(unit__path__startswith=path)
    return memberships.filter(condition)


@login_required
def memberships(request):
    rights = _coordinator(request)
    roles = grantable_roles(rights)
    form = MembershipForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            membership = membership_grant(rights=rights, acting_user=request.user, **form.cleaned_data)
        except MembershipError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(
                request,
                _("Đã giao vai trò %(role)s tại %(unit)s cho %(user)s.")
                % {"role": membership.get_role_display(), "unit": membership.unit.name, "user": membership.user},
            )
            return redirect("memberships")
    rows = list(_in_scope(rights))
    return render(
        request,
        "communes/memberships.html",
        {"rows": rows, "form": form, "rights": rights},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def membership_delete(request, pk):
    rights = _coordinator(request)
    membership = _in_scope(rights).filter(pk=pk).first()
    if membership is None:
        raise Http404(_("Không tìm thấy phân công."))
    try:
        membership_revoke(rights=rights, membership=membership, acting_user=request.user)
    except MembershipError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Đã thu hồi phân công."))
    return redirect("memberships")


@login_required
def lockouts(request):
    """Accounts locked by too many failed logins; POST username=… unlocks one."""
    rights = _coordinator(request)
    if request.method == "POST":
        username = request.POST.get("username", "")
        if account_unlock(rights=rights, username=username):
            messages.success(request, _("Đã mở khoá tài khoản %(user)s.") % {"user": username})
        else:
            messages.error(
                request, _("Không có tài khoản bị khoá tên «%(user)s» trong phạm vi của bạn.") % {"user": username}
            )
        return redirect("lockouts")
    return render(request, "communes/lockouts.html", {"rows": lockouts_for(rights=rights), "rights": rights})
