"""A province on the three-level map and one on the two-level map, a two-rung commune ladder (NTM → nâng cao),
one user per role, and stored results: the dossier rules read stored attainment only."""

import datetime as dt

import pytest

from communes.models import Kind, Role
from criteria.models import Recognition, Tier
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


def _user(name, unit, role):
    user = UserFactory(username=name)
    MembershipFactory(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def land(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    province = AdminUnitFactory(kind=Kind.TINH, code="61", name="Tỉnh Thử")
    district = AdminUnitFactory(kind=Kind.HUYEN, code="611", parent=province, name="Huyện Một")
    other_district = AdminUnitFactory(kind=Kind.HUYEN, code="612", parent=province, name="Huyện Hai")
    commune = AdminUnitFactory(kind=Kind.XA, code="61001", parent=district, name="Xã Đồng Thử")
    sibling = AdminUnitFactory(kind=Kind.XA, code="61002", parent=district, name="Xã Bên Cạnh")
    far = AdminUnitFactory(kind=Kind.XA, code="61201", parent=other_district, name="Xã Huyện Khác")
    # The two-level map: a commune directly under its province.
    new_province = AdminUnitFactory(kind=Kind.TINH, code="62", name="Tỉnh Mới", valid_from=dt.date(2025, 7, 1))
    new_commune = AdminUnitFactory(
        kind=Kind.XA, code="62001", parent=new_province, name="Xã Mới", valid_from=dt.date(2025, 7, 1)
    )
    ntm = RuleSetFactory(code="x-ntm", name="Xã NTM", tier=Tier.NTM)
    nc = RuleSetFactory(code="x-nc", name="Xã NTM nâng cao", tier=Tier.NANG_CAO, prerequisite_code="x-ntm")
    criterion = CriterionFactory(rule_set=nc, code="1", name="Quy hoạch")
    indicators = [IndicatorFactory(criterion=criterion, code=f"1.{n}", position=n) for n in (1, 2, 3)]
    p6 = ReportingPeriodFactory(
        code="2023-6M", year=2023, kind="6M", start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30)
    )
    p9 = ReportingPeriodFactory(
        code="2023-9M", year=2023, kind="9M", start=dt.date(2023, 1, 1), end=dt.date(2023, 9, 30)
    )
    for unit in (commune, sibling, far):
        Recognition.objects.create(
            unit=unit, rule_set=ntm, decision_number="1/QĐ-UBND", decision_date=dt.date(2021, 12, 1)
        )
    users = {
        "official": _user("xa", commune, Role.COMMUNE_OFFICIAL),
        "sibling_official": _user("xa2", sibling, Role.COMMUNE_OFFICIAL),
        "district": _user("huyen", district, Role.DISTRICT_REVIEWER),
        "other_district": _user("huyen2", other_district, Role.DISTRICT_REVIEWER),
        "coordinator": _user("tinh", province, Role.PROVINCIAL_COORDINATOR),
        "viewer": _user("xem", province, Role.PROVINCIAL_VIEWER),
        "other_coordinator": _user("tinh2", new_province, Role.PROVINCIAL_COORDINATOR),
        "new_official": _user("xamoi", new_commune, Role.COMMUNE_OFFICIAL),
    }
    return {
        "province": province,
        "district": district,
        "other_district": other_district,
        "commune": commune,
        "sibling": sibling,
        "far": far,
        "new_province": new_province,
        "new_commune": new_commune,
        "ntm": ntm,
        "nc": nc,
        "indicators": indicators,
        "p6": p6,
        "p9": p9,
        "users": users,
    }


def result(unit, rule_set, period, *, met, total=3, attained=None, prerequisite_met=True, missing=None):
    codes = [f"1.{n}" for n in range(1, total + 1)]
    missing = codes[met:] if missing is None else missing
    return AttainmentFactory(
        unit=unit,
        rule_set=rule_set,
        period=period,
        criteria_met=1 if met == total else 0,
        criteria_total=1,
        indicators_met=met,
        indicators_total=total,
        attained=(met == total and prerequisite_met) if attained is None else attained,
        prerequisite_met=prerequisite_met,
        missing=missing,
        indicator_status={c: {"status": "not_met" if c in missing else "met"} for c in codes},
    )
