"""Memberships managed in the interface by the provincial coordinator, within the province only."""

import pytest
from django.test import Client
from django.urls import reverse

from communes.models import Kind, Membership, Role
from tests.factories import AdminUnitFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def province(db):
    qn = AdminUnitFactory(kind=Kind.TINH, code="61")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="611", parent=qn)
    commune = AdminUnitFactory(kind=Kind.XA, code="61001", parent=district)
    other = AdminUnitFactory(kind=Kind.TINH, code="62")
    other_commune = AdminUnitFactory(
        kind=Kind.XA, code="62001", parent=AdminUnitFactory(kind=Kind.HUYEN, code="621", parent=other)
    )
    coordinator = UserFactory(username="dieuphoi")
    MembershipFactory(user=coordinator, unit=qn, role=Role.PROVINCIAL_COORDINATOR)
    newcomer = UserFactory(username="canbo-moi")
    foreign = MembershipFactory(
        user=UserFactory(username="o-tinh-khac"), unit=other_commune, role=Role.COMMUNE_OFFICIAL
    )
    return {
        "qn": qn,
        "district": district,
        "commune": commune,
        "other_commune": other_commune,
        "coordinator": coordinator,
        "newcomer": newcomer,
        "foreign": foreign,
    }


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_coordinator_grants_a_role_within_the_province(province):
    client = as_user(province["coordinator"])
    response = client.post(
        reverse("memberships"), {"username": "canbo-moi", "unit_code": "61001", "role": Role.COMMUNE_OFFICIAL}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(
        user=province["newcomer"], unit=province["commune"], role=Role.COMMUNE_OFFICIAL
    ).exists()
    page = client.get(reverse("memberships")).content.decode()
    assert "canbo-moi" in page and "o-tinh-khac" not in page  # the other province's people are not listed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "canbo-moi", "unit_code": "62001", "role": Role.COMMUNE_OFFICIAL}, "trong tỉnh của bạn"),
        ({"username": "khong-co", "unit_code": "61001", "role": Role.COMMUNE_OFFICIAL}, "Không có tài khoản"),
        ({"username": "canbo-moi", "unit_code": "61001", "role": Role.ADMINISTRATOR}, "Select a valid choice"),
    ],
)
def test_grants_outside_the_province_or_above_the_coordinator_are_refused(province, data, message):
    response = as_user(province["coordinator"]).post(reverse("memberships"), data)
    assert response.status_code == 400
    assert message in response.content.decode() or "Hãy chọn" in response.content.decode()
    assert not Membership.objects.filter(user=province["newcomer"]).exists()


def test_the_coordinator_revokes_within_the_province_only(province):
    client = as_user(province["coordinator"])
    granted = MembershipFactory(user=province["newcomer"], unit=province["district"], role=Role.DISTRICT_REVIEWER)
    assert client.post(reverse("membership-delete", args=[granted.pk])).status_code == 302
    assert not Membership.objects.filter(pk=granted.pk).exists()
    assert client.post(reverse("membership-delete", args=[province["foreign"].pk])).status_code == 404
    assert Membership.objects.filter(pk=province["foreign"].pk).exists()
    own = Membership.objects.get(user=province["coordinator"])
    client.post(reverse("membership-delete", args=[own.pk]))
    assert Membership.objects.filter(pk=own.pk).exists()


@pytest.mark.parametrize("role", [Role.COMMUNE_OFFICIAL, Role.DISTRICT_REVIEWER, Role.PROVINCIAL_VIEWER])
def test_other_roles_may_not_manage_memberships(province, role):
    user = UserFactory()
    MembershipFactory(user=user, unit=province["qn"], role=role)
    client = as_user(user)
    assert client.get(reverse("memberships")).status_code == 403
    target = Membership.objects.get(user=province["coordinator"])
    assert client.post(reverse("membership-delete", args=[target.pk])).status_code == 403
    response = client.post(
        reverse("memberships"), {"username": user.username, "unit_code": "61", "role": Role.PROVINCIAL_COORDINATOR}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=user, role=Role.PROVINCIAL_COORDINATOR).exists()


def test_anonymous_users_are_sent_to_login(client, province):
    assert client.get(reverse("memberships")).status_code == 302


def test_the_page_reads_a_fixed_number_of_queries(province, django_assert_num_queries):
    for _n in range(5):
        MembershipFactory(user=UserFactory(), unit=province["commune"], role=Role.COMMUNE_OFFICIAL)
    client = as_user(province["coordinator"])
    client.get(reverse("memberships"))
    with django_assert_num_queries(4):  # session, user, memberships of the user, memberships of the province
        assert client.get(reverse("memberships")).status_code == 200
