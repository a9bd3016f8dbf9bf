"""The OCOP section draws its charts with the local Plotly bundle, on a page that loads Plotly for its own charts
and on one that does not, without console errors."""

import datetime as dt

import pytest

from communes.access import rights_for
from communes.models import Kind, Role
from ocop.models import ProducerKind, ProductGroup
from ocop.services import certificate_issue, evaluation_record, producer_save, product_create, schemes_load
from tests.factories import AdminUnitFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-ocop-123"


@pytest.fixture
def ocop_world():
    province = AdminUnitFactory(kind=Kind.TINH, code="81", name="Tỉnh Thử")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="811", parent=province)
    commune = AdminUnitFactory(kind=Kind.XA, code="81001", parent=district, name="Xã Đồng Thử")
    user = UserFactory(username="dieuphoi", password=PASSWORD)
    MembershipFactory(user=user, unit=province, role=Role.PROVINCIAL_COORDINATOR)
    schemes_load()
    rights = rights_for(user)
    producer = producer_save(rights=rights, unit=commune, name="HTX Thử", kind=ProducerKind.COOPERATIVE)
    product = product_create(rights=rights, producer=producer, name="Chè", group=ProductGroup.DRINK)
    today = dt.date.today()
    evaluation = evaluation_record(
        rights=rights, product=product, evaluated_on=today - dt.timedelta(days=30), parts={"A": 30, "B": 17, "C": 25}
    )
    certificate_issue(rights=rights, evaluation=evaluation, decision_number="1/QĐ", decision_date=today)
    return {"province": province, "commune": commune}


@pytest.mark.parametrize("code", ["81", "81001"])
def test_the_ocop_charts_are_drawn(new_page, login, live_server, ocop_world, code):
    page = new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, "dieuphoi", PASSWORD)
    page.goto(f"{live_server.url}/units/{code}/")
    page.wait_for_selector("[data-ocop-chart='stars'].is-drawn .main-svg")
    for name in ("groups", "kinds"):
        assert page.locator(f"[data-ocop-chart='{name}'].is-drawn .main-svg").count() >= 1
    assert page.locator("#ocop .ocop-stars td[data-stars='4']").inner_text() == "1"
    assert errors == []
