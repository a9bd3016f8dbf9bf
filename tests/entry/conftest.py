"""A small province for entry and review: units, rule sets applying to them, and one user per role."""

import pytest

from communes.models import Kind, Role
from criteria.models import RuleSet, Tier, ValueKind
from tests.factories import (
    AdminUnitFactory,
    CriterionFactory,
    IndicatorFactory,
    MembershipFactory,
    ReportingPeriodFactory,
    RuleSetFactory,
    UserFactory,
)


def _publish(*rule_sets):
    RuleSet.objects.filter(pk__in=[rs.pk for rs in rule_sets]).update(status=RuleSet.Status.PUBLISHED)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    province = AdminUnitFactory(kind=Kind.TINH, code="71", name="Tỉnh Thử")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="711", parent=province, name="Huyện Một")
    other_district = AdminUnitFactory(kind=Kind.HUYEN, code="712", parent=province, name="Huyện Hai")
    commune = AdminUnitFactory(kind=Kind.XA, code="71001", parent=district, name="Xã Đồng Thử")
    sibling = AdminUnitFactory(kind=Kind.XA, code="71002", parent=district, name="Xã Bên Cạnh")
    far = AdminUnitFactory(kind=Kind.XA, code="71201", parent=other_district, name="Xã Huyện Khác")
    village = AdminUnitFactory(kind=Kind.THON, code="7100101", parent=commune, name="Thôn Một")
    other_province = AdminUnitFactory(kind=Kind.TINH, code="72", name="Tỉnh Khác")
    outside = AdminUnitFactory(kind=Kind.XA, code="72001", parent=other_province, name="Xã Tỉnh Khác")

    nc = RuleSetFactory(code="t-nc", name="Xã nâng cao thử", tier=Tier.NANG_CAO, applies_to={"kinds": ["xa"]})
    c1 = CriterionFactory(rule_set=nc, code="1", name="Quy hoạch", position=1)
    c2 = CriterionFactory(rule_set=nc, code="2", name="Thu nhập", position=2)
    pct = IndicatorFactory(
        criterion=c1,
        code="1.1",
        kind=ValueKind.PERCENT,
        target={"op": ">=", "value": 80, "overrides": [{"when": {"region": "TDMNPB"}, "op": ">=", "value": 70}]},
        target_text="≥ 80%",
        position=1,
    )
    yes = IndicatorFactory(
        criterion=c1, code="1.2", kind=ValueKind.BOOL, target={"op": "yes"}, target_text="Đạt", position=2
    )
    count = IndicatorFactory(
        criterion=c2, code="2.1", kind=ValueKind.COUNT, target={"op": ">=", "value": 3}, position=3
    )
    amount = IndicatorFactory(
        criterion=c2,
        code="2.2",
        kind=ValueKind.AMOUNT,
        target={"op": ">=", "value": 50},
        unit_label="triệu đồng",
        position=4,
    )
    derived = IndicatorFactory(
        rule_set=nc,
        criterion=None,
        code="DK1",
        kind=ValueKind.BOOL,
        target={"op": "yes"},
        derived={"from": "self", "rule_set": "t-ntm"},
        position=5,
    )
    thon = RuleSetFactory(code="t-thon", level=4, tier=Tier.NANG_CAO, applies_to={"kinds": ["thon"]})
    t1 = CriterionFactory(rule_set=thon, code="1", position=1)
    village_ind = IndicatorFactory(criterion=t1, code="1.1", kind=ValueKind.BOOL, target={"op": "yes"}, position=1)
    huyen = RuleSetFactory(code="t-huyen", level=2, tier=Tier.NANG_CAO, applies_to={"kinds": ["huyen"]})
    h1 = CriterionFactory(rule_set=huyen, code="1", position=1)
    district_ind = IndicatorFactory(criterion=h1, code="1.1", kind=ValueKind.BOOL, target={"op": "yes"}, position=1)
    elsewhere = RuleSetFactory(code="t-khac", tier=Tier.NANG_CAO, applies_to={"kinds": ["xa"], "provinces": ["99"]})
    e1 = CriterionFactory(rule_set=elsewhere, code="1", position=1)
    foreign = IndicatorFactory(criterion=e1, code="9.9", kind=ValueKind.PERCENT, position=1)
    _publish(nc, thon, huyen, elsewhere)

    def user(name, unit, role):
        u = UserFactory(username=name)
        MembershipFactory(user=u, unit=unit, role=role)
        return u

    return {
        "province": province,
        "district": district,
        "other_district": other_district,
        "commune": commune,
        "sibling": sibling,
        "far": far,
        "village": village,
        "outside": outside,
        "period": ReportingPeriodFactory(code="2023"),
        "pct": pct,
        "yes": yes,
        "count": count,
        "amount": amount,
        "derived": derived,
        "village_ind": village_ind,
        "district_ind": district_ind,
        "foreign": foreign,
        "official": user("xa", commune, Role.COMMUNE_OFFICIAL),
        "colleague": user("xa2", commune, Role.COMMUNE_OFFICIAL),
        "reviewer": user("huyen", district, Role.DISTRICT_REVIEWER),
        "other_reviewer": user("huyen2", other_district, Role.DISTRICT_REVIEWER),
        "coordinator": user("dieuphoi", province, Role.PROVINCIAL_COORDINATOR),
        "viewer": user("tinh", province, Role.PROVINCIAL_VIEWER),
        "outsider": user("ngoai", outside, Role.COMMUNE_OFFICIAL),
    }
