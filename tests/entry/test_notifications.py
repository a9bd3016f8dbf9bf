"""Returns, approvals and locks reach the people concerned: in the application and by e-mail."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from entry import services
from notifications.models import Notification

from .test_views import client_for, post_values

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(world):
    post_values(
        client_for(world["official"]),
        world["commune"],
        {world["pct"]: ("90", ""), world["yes"]: ("có", "")},
        action="submit",
    )


def test_a_return_notifies_the_official_in_the_app_and_by_mail(world):
    world["official"].email = "xa@example.vn"
    world["official"].save()
    _submit(world)
    services.submission_return(
        user=world["reviewer"], unit=world["commune"], period=world["period"], reason="Thiếu biên bản"
    )
    note = Notification.objects.get(user=world["official"])
    assert note.kind == Notification.Kind.RETURNED and note.reason == "Thiếu biên bản"
    assert "Xã Đồng Thử" in note.text and "trả lại" in note.text
    assert not Notification.objects.filter(user=world["reviewer"]).exists()  # not the one who decided
    # the colleague (no address) is told in the app only
    assert Notification.objects.filter(user=world["colleague"]).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["xa@example.vn"] and "Thiếu biên bản" in mail.outbox[0].body
    assert "/entry/71001/2023/?show=returned" in mail.outbox[0].body

    client = client_for(world["official"])
    assert client.get(reverse("notifications-unread")).json() == {"unread": 1}
    page = client.get(reverse("notifications")).content.decode()
    assert "Thiếu biên bản" in page and "mới" in page
    home = client.get(reverse("home")).content.decode()
    assert "1 thông báo chưa đọc" in home and "Thiếu biên bản" in home
    client.post(reverse("notifications-read"))
    assert client.get(reverse("notifications-unread")).json() == {"unread": 0}


def test_an_approval_and_a_lock_are_notified_and_nobody_reads_another_users_list(world):
    _submit(world)
    services.submission_approve(user=world["reviewer"], unit=world["commune"], period=world["period"])
    assert Notification.objects.filter(user=world["official"], kind="approved").count() == 1
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"])
    locked = set(Notification.objects.filter(kind="locked").values_list("user__username", flat=True))
    assert {"xa", "huyen", "huyen2"} <= locked and "dieuphoi" not in locked and "ngoai" not in locked
    outsider = client_for(world["outsider"])
    assert outsider.get(reverse("notifications-unread")).json() == {"unread": 0}
    assert "Xã Đồng Thử" not in outsider.get(reverse("notifications")).content.decode()
    # marking "read" touches only one's own
    outsider.post(reverse("notifications-read"), {"id": [str(n.pk) for n in Notification.objects.all()]})
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_a_decision_that_rolls_back_notifies_nobody(world):
    _submit(world)
    with pytest.raises(services.EntryError):
        services.submission_review(
            user=world["reviewer"],
            unit=world["commune"],
            period=world["period"],
            decisions={999999: services.Decision("approve", 1)},
        )
    assert not Notification.objects.exists() and not mail.outbox


def test_anonymous_users_are_sent_to_login(world):
    for name in ("notifications", "notifications-unread"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]
