"""A small tree for the OCOP registry: two communes of one district, a commune of another province, and a user per
role; the scoring schemes of ocop/data/scoring.yaml."""

import datetime as dt

import pytest

from communes.access import rights_for
from communes.models import Kind, Role
from ocop.models import ProducerKind, ProductGroup
from ocop.services import certificate_issue, evaluation_record, producer_save, product_create, schemes_load
from tests.factories import AdminUnitFactory, MembershipFactory, UserFactory


@pytest.fixture
def tree(db):
    province = AdminUnitFactory(kind=Kind.TINH, code="81", name="Tỉnh Thử")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="811", parent=province, name="Huyện Một")
    commune = AdminUnitFactory(kind=Kind.XA, code="81001", parent=district, name="Xã Đồng Thử")
    sibling = AdminUnitFactory(kind=Kind.XA, code="81002", parent=district, name="Xã Bên Cạnh")
    other_province = AdminUnitFactory(kind=Kind.TINH, code="82", name="Tỉnh Khác")
    other_district = AdminUnitFactory(kind=Kind.HUYEN, code="821", parent=other_province)
    far = AdminUnitFactory(kind=Kind.XA, code="82001", parent=other_district, name="Xã Tỉnh Khác")
    schemes_load()
    return {
        "province": province,
        "district": district,
        "commune": commune,
        "sibling": sibling,
        "other_province": other_province,
        "far": far,
    }


def _user(name, unit, role):
    user = UserFactory(username=name)
    MembershipFactory(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def people(tree):
    return {
        "official": _user("xa", tree["commune"], Role.COMMUNE_OFFICIAL),
        "reviewer": _user("huyen", tree["district"], Role.DISTRICT_REVIEWER),
        "coordinator": _user("dieuphoi", tree["province"], Role.PROVINCIAL_COORDINATOR),
        "viewer": _user("xem", tree["province"], Role.PROVINCIAL_VIEWER),
        "outsider": _user("ngoai", tree["other_province"], Role.PROVINCIAL_COORDINATOR),
    }


@pytest.fixture
def registry(tree, people):
    """One producer with one product evaluated at 72 points (4 stars) and certified on 01/03/2024."""
    rights = rights_for(people["coordinator"])
    producer = producer_save(
        rights=rights, unit=tree["commune"], name="HTX Chè Đồng Thử", kind=ProducerKind.COOPERATIVE, phone="0203"
    )
    product = product_create(rights=rights, producer=producer, name="Chè xanh", group=ProductGroup.DRINK)
    evaluation = evaluation_record(
        rights=rights, product=product, evaluated_on=dt.date(2024, 2, 1), parts={"A": 30, "B": 17, "C": 25}
    )
    certificate = certificate_issue(
        rights=rights, evaluation=evaluation, decision_number="12/QĐ-UBND", decision_date=dt.date(2024, 3, 1)
    )
    return {"producer": producer, "product": product, "evaluation": evaluation, "certificate": certificate}
