import pytest

from communes.models import Kind
from criteria.models import RuleSet, Tier, ValueKind
from tests.factories import AdminUnitFactory, CriterionFactory, IndicatorFactory, RuleSetFactory


def publish(*rule_sets):
    RuleSet.objects.filter(pk__in=[rs.pk for rs in rule_sets]).update(status=RuleSet.Status.PUBLISHED)
    for rs in rule_sets:
        rs.refresh_from_db()


@pytest.fixture
def small_world(db):
    """A province with one district of three xã and a thị trấn; a commune ladder (ntm → nâng cao) and a
    district set whose condition is the share of xã meeting nâng cao."""
    province = AdminUnitFactory(kind=Kind.TINH, code="91")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="911", parent=province)
    communes = [AdminUnitFactory(kind=Kind.XA, code=f"9100{i}", parent=district) for i in range(1, 4)]
    town = AdminUnitFactory(kind=Kind.THI_TRAN, code="91009", parent=district)

    ntm = RuleSetFactory(code="t-ntm", tier=Tier.NTM, applies_to={"kinds": ["xa"]})
    c1 = CriterionFactory(rule_set=ntm, code="1", position=1)
    IndicatorFactory(criterion=c1, code="1.1", kind=ValueKind.BOOL, target={"op": "yes"}, position=1)

    nc = RuleSetFactory(code="t-nc", tier=Tier.NANG_CAO, prerequisite_code="t-ntm", applies_to={"kinds": ["xa"]})
    k1 = CriterionFactory(rule_set=nc, code="1", position=1)
    k2 = CriterionFactory(rule_set=nc, code="2", position=2)
    IndicatorFactory(criterion=k1, code="1.1", kind=ValueKind.PERCENT, target={"op": ">=", "value": 80}, position=1)
    IndicatorFactory(criterion=k1, code="1.2", kind=ValueKind.BOOL, target={"op": "yes"}, position=2)
    IndicatorFactory(
        criterion=k2,
        code="2.1",
        kind=ValueKind.PERCENT,
        target={"op": ">=", "value": 90, "overrides": [{"when": {"region": "TDMNPB"}, "op": ">=", "value": 70}]},
        position=3,
    )

    huyen = RuleSetFactory(code="t-huyen", level=2, tier=Tier.NANG_CAO, applies_to={"kinds": ["huyen"]})
    h1 = CriterionFactory(rule_set=huyen, code="1", position=1)
    IndicatorFactory(criterion=h1, code="1.1", kind=ValueKind.BOOL, target={"op": "yes"}, position=1)
    IndicatorFactory(
        rule_set=huyen,
        criterion=None,
        code="DK2",
        kind=ValueKind.PERCENT,
        target={"op": ">=", "value": 40},
        derived={"from": "children", "level": "commune", "kinds": ["xa"], "rule_set": "t-nc", "measure": "share"},
        position=2,
    )
    publish(ntm, nc, huyen)
    return {
        "province": province,
        "district": district,
        "communes": communes,
        "town": town,
        "ntm": ntm,
        "nc": nc,
        "huyen": huyen,
    }
