"""Four eyes: whoever saved or submitted a value cannot approve it, and nobody grants himself a role."""

import pytest
from django.test import Client
from django.urls import reverse

from communes.models import Membership, Role
from criteria.models import IndicatorValue, ValueStatus
from entry import services
from entry.services import Decision
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _save(w, indicator, raw, *, user, version=0, reason=""):
    return services.value_save(
        user=user,
        unit=w["commune"],
        indicator=indicator,
        period=w["period"],
        raw=raw,
        note="",
        expected_version=version,
        reason=reason,
    )


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_coordinator_cannot_grant_himself_a_commune_role(world):
    client = as_user(world["coordinator"])
    response = client.post(
        reverse("memberships"), {"username": "dieuphoi", "unit_code": "71001", "role": Role.COMMUNE_OFFICIAL}
    )
    assert response.status_code == 400
    assert "Không tự giao vai trò cho chính mình" in response.content.decode()
    assert not Membership.objects.filter(user=world["coordinator"], role=Role.COMMUNE_OFFICIAL).exists()
    # he still grants the same role to somebody else
    ok = client.post(reverse("memberships"), {"username": "xa2", "unit_code": "71002", "role": Role.COMMUNE_OFFICIAL})
    assert ok.status_code == 302


def test_whoever_entered_and_submitted_a_value_cannot_approve_it(world):
    # the coordinator holds a commune role as well (given by someone else) and enters and submits himself
    MembershipFactory(user=world["coordinator"], unit=world["commune"], role=Role.COMMUNE_OFFICIAL)
    value = _save(world, world["pct"], "90", user=world["coordinator"])
    services.submission_submit(user=world["coordinator"], unit=world["commune"], period=world["period"])
    value.refresh_from_db()
    with pytest.raises(services.OwnValue, match="bốn mắt"):
        services.value_approve(user=world["coordinator"], value=value, expected_version=value.version)
    with pytest.raises(services.OwnValue):
        services.submission_approve(user=world["coordinator"], unit=world["commune"], period=world["period"])
    with pytest.raises(services.OwnValue):
        services.submission_review(
            user=world["coordinator"],
            unit=world["commune"],
            period=world["period"],
            decisions={value.pk: Decision("approve", value.version)},
        )
    value.refresh_from_db()
    assert value.status == ValueStatus.SUBMITTED
    # the district reviewer, who had no hand in it, approves
    services.value_approve(user=world["reviewer"], value=value, expected_version=value.version)
    value.refresh_from_db()
    assert value.status == ValueStatus.APPROVED


def test_a_reviewer_who_corrected_a_value_cannot_approve_it_but_may_return_it(world):
    value = _save(world, world["pct"], "90", user=world["official"])
    services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    value.refresh_from_db()
    # the coordinator edits the commune's submitted figure (an administrator-like correction)
    MembershipFactory(user=world["coordinator"], unit=world["commune"], role=Role.COMMUNE_OFFICIAL)
    value = _save(world, world["pct"], "85", user=world["coordinator"], version=value.version)
    value.refresh_from_db()
    with pytest.raises(services.OwnValue):
        services.value_approve(user=world["coordinator"], value=value, expected_version=value.version)
    services.value_return(user=world["coordinator"], value=value, reason="Kiểm tra lại", expected_version=value.version)
    value.refresh_from_db()
    assert value.status == ValueStatus.RETURNED
    # once the commune sends it again, the coordinator's earlier hand no longer counts
    services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    value.refresh_from_db()
    services.value_approve(user=world["coordinator"], value=value, expected_version=value.version)
    assert IndicatorValue.objects.get(pk=value.pk).status == ValueStatus.APPROVED


def test_the_review_page_says_why_approving_ones_own_value_is_refused(world):
    MembershipFactory(user=world["coordinator"], unit=world["commune"], role=Role.COMMUNE_OFFICIAL)
    value = _save(world, world["pct"], "90", user=world["coordinator"])
    services.submission_submit(user=world["coordinator"], unit=world["commune"], period=world["period"])
    client = as_user(world["coordinator"])
    url = reverse("review-unit", args=["71001", "2023"])
    response = client.post(url, {"action": "approve-all"}, follow=True)
    assert "nguyên tắc bốn mắt" in response.content.decode()
    value.refresh_from_db()
    assert value.status == ValueStatus.SUBMITTED


def test_a_malformed_version_on_review_answers_400_with_a_message(world):
    value = _save(world, world["pct"], "90", user=world["official"])
    services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    client = as_user(world["reviewer"])
    url = reverse("review-unit", args=["71001", "2023"])
    response = client.post(url, {"action": "decide", f"d{value.pk}": "approve", f"ver{value.pk}": "abc"})
    assert response.status_code == 400
    assert "Phiên bản «abc» không hợp lệ" in response.content.decode()
    value.refresh_from_db()
    assert value.status == ValueStatus.SUBMITTED
