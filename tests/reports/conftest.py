"""Fixtures for the report pages: two districts of one province, users per role, stored attainment."""

import pytest

from communes.models import Kind, Role
from tests.factories import (
    AdminUnitFactory,
    AttainmentFactory,
    CriterionFactory,
    IndicatorFactory,
    MembershipFactory,
    ReportingPeriodFactory,
    RuleSetFactory,
    UserFactory,
)


@pytest.fixture
def tree(db):
    province = AdminUnitFactory(kind=Kind.TINH, code="81", name="Tỉnh Thử")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="811", parent=province, name="Huyện Một")
    other_district = AdminUnitFactory(kind=Kind.HUYEN, code="812", parent=province, name="Huyện Hai")
    commune = AdminUnitFactory(kind=Kind.XA, code="81001", parent=district, name="Xã Đồng Thử")
    sibling = AdminUnitFactory(kind=Kind.XA, code="81002", parent=district, name="Xã Bên Cạnh")
    far = AdminUnitFactory(kind=Kind.XA, code="81201", parent=other_district, name="Xã Huyện Khác")
    village = AdminUnitFactory(kind=Kind.THON, code="8100101", parent=commune, name="Thôn Một")
    other_province = AdminUnitFactory(kind=Kind.TINH, code="82", name="Tỉnh Khác")
    return {
        "province": province,
        "district": district,
        "other_district": other_district,
        "commune": commune,
        "sibling": sibling,
        "far": far,
        "village": village,
        "other_province": other_province,
    }


def _user(name, unit, role):
    user = UserFactory(username=name)
    MembershipFactory(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def commune_official(tree):
    return _user("xa", tree["commune"], Role.COMMUNE_OFFICIAL)


@pytest.fixture
def district_reviewer(tree):
    return _user("huyen", tree["district"], Role.DISTRICT_REVIEWER)


@pytest.fixture
def provincial_viewer(tree):
    return _user("tinh", tree["province"], Role.PROVINCIAL_VIEWER)


@pytest.fixture
def administrator(tree):
    return _user("quantri", tree["village"], Role.ADMINISTRATOR)


@pytest.fixture
def period(db):
    return ReportingPeriodFactory(code="2023")


@pytest.fixture
def rule_set(db):
    """A small commune set: two criteria of two indicators each, one condition, mixed verification."""
    rs = RuleSetFactory(code="xa-nc", name="Xã NTM nâng cao", name_en="Advanced NTM commune", short_name="NC")
    c1 = CriterionFactory(rule_set=rs, code="1", name="Quy hoạch", name_verified=True, position=1)
    c2 = CriterionFactory(rule_set=rs, code="2", name="Giao thông", name_verified=False, position=2)
    IndicatorFactory(criterion=c1, code="1.1", text="Có quy hoạch chung", kind="bool", verified=True, position=1)
    IndicatorFactory(criterion=c1, code="1.2", text="Tỷ lệ đường được cứng hóa", verified=True, position=2)
    IndicatorFactory(criterion=c2, code="2.1", text="Đường xã được nhựa hóa", verified=False, position=3)
    IndicatorFactory(criterion=c2, code="2.2", text="Đường thôn sạch đẹp", verified=True, position=4)
    IndicatorFactory(criterion=None, rule_set=rs, code="DK1", text="Đã đạt chuẩn NTM", kind="bool", position=5)
    return rs


def attainment_for(unit, rule_set, period, **kwargs):
    statuses = {
        "1.1": {"status": "met", "target": {"op": "yes", "value": None}},
        "1.2": {"status": "met", "target": {"op": ">=", "value": 80}},
        "2.1": {"status": "not_met", "target": {"op": ">=", "value": 90, "when": {"region": "TDMNPB"}}},
        "DK1": {"status": "met", "target": {"op": "yes", "value": None}},
    }
    defaults = {
        "criteria_met": 1,
        "criteria_total": 2,
        "indicators_met": 2,
        "indicators_total": 4,
        "conditions_met": 1,
        "conditions_total": 1,
        "no_data": 1,
        "attained": False,
        "criteria_status": {"1": "met", "2": "not_met"},
        "indicator_status": statuses,
    }
    defaults.update(kwargs)
    return AttainmentFactory(unit=unit, rule_set=rule_set, period=period, **defaults)
