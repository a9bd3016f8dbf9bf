import pytest

from communes.models import Kind, Membership, Role
from tests.factories import AdminUnitFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_commune_official_logs_in_and_reaches_his_commune_but_not_another(new_page, login, live_server):
    province = AdminUnitFactory(kind=Kind.TINH, code="81")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="811", parent=province)
    own = AdminUnitFactory(kind=Kind.XA, code="81001", name="Xã Một", parent=district)
    AdminUnitFactory(kind=Kind.XA, code="81002", name="Xã Hai", parent=district)
    user = UserFactory(username="can-bo")
    Membership.objects.create(user=user, unit=own, role=Role.COMMUNE_OFFICIAL)

    page = new_page()
    login(page, "can-bo", "pw-test-123")
    page.goto(f"{live_server.url}/units/81001/")
    assert page.locator("h1").inner_text().strip() == "Xã Một"
    response = page.goto(f"{live_server.url}/units/81002/")
    assert response.status == 404
