"""The review page as a district reviewer works in it: values grouped by rule set and criterion with their units,
a locked period's controls disabled, "Duyệt tất cả" naming its count, the queue listing who has not submitted."""

import pytest
from django.urls import reverse

from criteria.models import IndicatorValue, ValueStatus
from entry import services

from .test_views import client_for, post_values

pytestmark = pytest.mark.django_db


def _submitted(world):
    values = {world["pct"]: ("90", ""), world["yes"]: ("có", ""), world["amount"]: ("55", "")}
    post_values(client_for(world["official"]), world["commune"], values, action="submit")
    return reverse("review-unit", args=["71001", "2023"])


def test_values_are_grouped_by_criterion_with_their_unit_and_target(world):
    url = _submitted(world)
    html = client_for(world["reviewer"]).get(url).content.decode()
    assert 'class="review-set"' in html
    first, second = html.index("Quy hoạch</h4>"), html.index("Thu nhập</h4>")
    assert first < html.index(">1.1<") < html.index(">1.2<") < second < html.index(">2.2<")
    assert '<strong>90</strong> <span class="unit-label">%</span>' in html
    assert '<strong>55</strong> <span class="unit-label">triệu đồng</span>' in html
    assert "≥ 80%" in html
    assert "Duyệt tất cả (3 giá trị)" in html
    assert 'data-confirm="Duyệt tất cả 3 giá trị đang chờ của Xã Đồng Thử?"' in html


def test_approve_all_refuses_when_more_values_arrived_than_the_button_said(world):
    url = _submitted(world)
    reviewer = client_for(world["reviewer"])
    response = reviewer.post(url, {"action": "approve-all", "expected": "2"}, follow=True)
    assert "Số giá trị chờ duyệt đã đổi (2 → 3)" in response.content.decode()
    assert set(IndicatorValue.objects.values_list("status", flat=True)) == {ValueStatus.SUBMITTED}
    response = reviewer.post(url, {"action": "approve-all", "expected": "3"}, follow=True)
    assert "Đã duyệt 3 giá trị" in response.content.decode()
    assert set(IndicatorValue.objects.values_list("status", flat=True)) == {ValueStatus.APPROVED}


def test_a_locked_period_disables_every_control(world):
    url = _submitted(world)
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"])
    html = client_for(world["reviewer"]).get(url).content.decode()
    assert html.count('<fieldset class="plain" disabled>') == 1 and '<fieldset class="plain stack" disabled>' in html
    assert "đã khóa" in html


def test_the_queue_lists_the_communes_that_have_not_submitted(world):
    _submitted(world)
    html = client_for(world["reviewer"]).get(reverse("review-queue") + "?period=2023").content.decode()
    missing = html[html.index('id="not-submitted"') :]
    assert "1 xã chưa gửi số liệu kỳ này" in missing and "Xã Bên Cạnh" in missing
    assert "Xã Đồng Thử" not in missing and "Xã Huyện Khác" not in missing  # submitted / another district
    # a commune official has no queue at all
    assert client_for(world["official"]).get(reverse("review-queue")).status_code == 403
