"""Membership management in the interface, for the provincial coordinator (and administrators)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .access import Rights, rights_for
from .lockouts import account_unlock, lockouts_for
from .memberships import MembershipError, account_create, grantable_roles, membership_grant, membership_revoke
from .models import Membership


class MembershipForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Tên đăng nhập"), max_length=150)
    unit_code = forms.CharField(label=gettext_lazy("Mã đơn vị"), max_length=20)
    role = forms.ChoiceField(label=gettext_lazy("Vai trò"), choices=())
    create = forms.BooleanField(label=gettext_lazy("Tạo tài khoản mới"), required=False)
    email = forms.EmailField(label=gettext_lazy("Thư điện tử (để gửi đường dẫn đặt mật khẩu)"), required=False)

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
        data = dict(form.cleaned_data)
        create, email = data.pop("create"), data.pop("email")
        try:
            with transaction.atomic():
                link = None
                if create:
                    new_user, uid, token = account_create(rights=rights, username=data["username"], email=email)
                    link = request.build_absolute_uri(reverse("password-set", args=[uid, token]))
                membership = membership_grant(rights=rights, acting_user=request.user, **data)
        except MembershipError as exc:
            form.add_error(exc.field, exc.message)
        except ValidationError as exc:
            form.add_error("username", " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Đã giao vai trò %(role)s tại %(unit)s cho %(user)s.")
                % {"role": membership.get_role_display(), "unit": membership.unit.name, "user": membership.user},
            )
            if link:
                messages.info(request, _("Đường dẫn đặt mật khẩu (dùng một lần): %(link)s") % {"link": link})
                if email:
                    send_mail(
                        _("Tài khoản theo dõi Nông thôn mới"),
                        _("Đặt mật khẩu cho tài khoản %(u)s tại: %(link)s") % {"u": new_user.username, "link": link},
                        None,
                        [email],
                        fail_silently=True,
                    )
            return redirect("memberships")
    rows = list(_in_scope(rights))
    # The unit is picked from a search among the units the coordinator sees, never typed as a code.
    from reports.worklist import unit_search

    unit_q = (request.GET.get("unit_q") or request.POST.get("unit_q") or "")[:100]
    found = unit_search(user=request.user, query=unit_q).units if unit_q else []
    chosen = request.POST.get("unit_code", "")
    return render(
        request,
        "communes/memberships.html",
        {"rows": rows, "form": form, "rights": rights, "unit_q": unit_q, "found": found, "chosen": chosen},
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
