"""The admin cannot corrupt the tree, and recognition decisions are entered there within the outsider rules."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from communes.models import AdminUnit, Role
from criteria.models import Recognition
from tests.entry.conftest import world  # noqa: F401 - the entry tests' province, rule sets and users
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def superuser_client():
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def staff_client(name, unit=None, role=None):
    user = UserFactory(username=name, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__model="recognition"))
    if unit is not None:
        MembershipFactory(user=user, unit=unit, role=role)
    client = Client()
    client.force_login(user)
    return client


def test_parent_code_and_path_cannot_be_changed_in_the_admin(world):  # noqa: F811
    commune = world["commune"]
    client = superuser_client()
    url = reverse("admin:communes_adminunit_change", args=[commune.pk])
    page = client.get(url).content.decode()
    assert 'name="parent"' not in page and 'name="code"' not in page and 'name="path"' not in page
    data = {
        "name": "Xã Đổi Tên",
        "kind": commune.kind,
        "level": commune.level,
        "region": commune.region or "",
        "code": "99999",
        "parent": world["other_district"].pk,
        "path": "x/y",
    }
    client.post(url, data)
    commune.refresh_from_db()
    assert (commune.code, commune.parent_id, commune.path) == ("71001", world["district"].pk, "71/711/71001/")
    assert commune.name == "Xã Đổi Tên"  # the rest of the form was saved


def _recognition_data(world, unit):  # noqa: F811
    return {
        "unit": unit.pk,
        "rule_set": world["pct"].rule_set_id,
        "kind": "decision",
        "decision_number": "123/QĐ-UBND",
        "decision_date": "2023-05-01",
        "authority": "UBND tỉnh",
        "note": "",
    }


def test_a_coordinator_enters_recognitions_of_his_province_only(world):  # noqa: F811
    client = staff_client("dieuphoi-staff", world["province"], Role.PROVINCIAL_COORDINATOR)
    add = reverse("admin:criteria_recognition_add")
    response = client.post(add, _recognition_data(world, world["commune"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    recognition = Recognition.objects.get()
    assert recognition.decision_date == dt.date(2023, 5, 1)
    refused = client.post(add, _recognition_data(world, world["outside"]))
    assert refused.status_code == 200
    assert "Bạn chỉ được nhập quyết định công nhận cho đơn vị trong tỉnh mình." in refused.content.decode()
    assert Recognition.objects.count() == 1


def test_outsiders_neither_see_nor_change_recognitions(world):  # noqa: F811
    recognition = Recognition.objects.create(
        unit=world["commune"],
        rule_set=world["pct"].rule_set,
        decision_number="1/QĐ",
        decision_date=dt.date(2023, 5, 1),
    )
    other = staff_client("dieuphoi-khac", AdminUnit.objects.get(code="72"), Role.PROVINCIAL_COORDINATOR)
    listing = other.get(reverse("admin:criteria_recognition_changelist")).content.decode()
    assert "1/QĐ" not in listing
    change = reverse("admin:criteria_recognition_change", args=[recognition.pk])
    assert other.get(change).status_code in (302, 403, 404)
    assert other.post(
        reverse("admin:criteria_recognition_delete", args=[recognition.pk]), {"post": "yes"}
    ).status_code in (
        302,
        403,
        404,
    )
    assert Recognition.objects.filter(pk=recognition.pk).exists()
    nobody = staff_client("staff-only")  # staff with the model permissions but no role
    assert nobody.get(reverse("admin:criteria_recognition_changelist")).status_code == 403
    assert (
        nobody.post(reverse("admin:criteria_recognition_add"), _recognition_data(world, world["commune"])).status_code
        == 403
    )
    assert Recognition.objects.count() == 1
