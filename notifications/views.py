from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .models import Notification
from .services import notifications_mark_read


@login_required
def notification_list(request):
    """The user's own notifications only: nobody reads another's."""
    notes = list(Notification.objects.filter(user=request.user).select_related("unit", "period", "actor")[:100])
    return render(request, "notifications/list.html", {"notes": notes})


@login_required
@require_POST
def notification_read(request):
    ids = [int(pk) for pk in request.POST.getlist("id") if pk.isdigit()] or None
    notifications_mark_read(user=request.user, ids=ids)
    return redirect("notifications")


@login_required
@require_GET
@never_cache
def notification_unread(request):
    """The number shown on the badge of every page."""
    return JsonResponse({"unread": Notification.objects.filter(user=request.user, read_at__isnull=True).count()})
