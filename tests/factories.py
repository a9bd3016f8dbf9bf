"""Factories shared by the whole test suite (append new ones; keep existing signatures)."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from communes.models import KIND_LEVEL, AdminUnit, Kind, Membership, Region, Role
from criteria.models import (
    Attainment,
    Criterion,
    Indicator,
    IndicatorValue,
    ReportingPeriod,
    RuleSet,
    Tier,
    ValueKind,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-test-123")


class AdminUnitFactory(factory.django.DjangoModelFactory):
    """Build a unit under `parent`; code and path follow the GSO pattern of its level."""

    class Meta:
        model = AdminUnit

    kind = Kind.XA
    level = factory.LazyAttribute(lambda o: KIND_LEVEL[o.kind])
    parent = None
    code = factory.Sequence(lambda n: f"{90000 + n}")
    name = factory.LazyAttribute(lambda o: f"{Kind(o.kind).label} {o.code}")
    region = Region.DBSH
    path = factory.LazyAttribute(lambda o: (o.parent.path if o.parent else "") + o.code + "/")


def make_tree(*, region=Region.DBSH, communes=2, prefix="9"):
    """A province → district → communes tree for tests: returns (province, district, [communes])."""
    province = AdminUnitFactory(kind=Kind.TINH, code=f"{prefix}1", region=region)
    district = AdminUnitFactory(kind=Kind.HUYEN, code=f"{prefix}11", parent=province, region=region)
    xs = [
        AdminUnitFactory(kind=Kind.XA, code=f"{prefix}{i:04d}", parent=district, region=region)
        for i in range(1, communes + 1)
    ]
    return province, district, xs


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(AdminUnitFactory)
    role = Role.COMMUNE_OFFICIAL


class RuleSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RuleSet

    code = factory.Sequence(lambda n: f"test-set-{n}")
    version = 1
    name = factory.LazyAttribute(lambda o: f"Bộ tiêu chí {o.code}")
    level = 3
    tier = Tier.NANG_CAO
    programme_period = "2021-2025"
    legal_basis = "test"
    status = RuleSet.Status.DRAFT
    applies_to = factory.LazyFunction(lambda: {"kinds": ["xa"]})


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    rule_set = factory.SubFactory(RuleSetFactory)
    code = factory.Sequence(lambda n: str(n + 1))
    name = factory.LazyAttribute(lambda o: f"Tiêu chí {o.code}")
    position = factory.Sequence(lambda n: n)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    criterion = factory.SubFactory(CriterionFactory)
    rule_set = factory.LazyAttribute(lambda o: o.criterion.rule_set)
    code = factory.Sequence(lambda n: f"i{n}")
    text = factory.LazyAttribute(lambda o: f"Chỉ tiêu {o.code}")
    kind = ValueKind.PERCENT
    target = factory.LazyFunction(lambda: {"op": ">=", "value": 80})
    target_text = "≥ 80%"
    position = factory.Sequence(lambda n: n)


class ReportingPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportingPeriod
        django_get_or_create = ("code",)

    code = "2023"
    year = 2023
    kind = "Y"
    start = dt.date(2023, 1, 1)
    end = dt.date(2023, 12, 31)


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    unit = factory.SubFactory(AdminUnitFactory)
    indicator = factory.SubFactory(IndicatorFactory)
    period = factory.SubFactory(ReportingPeriodFactory)
    number = 90


class AttainmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attainment

    unit = factory.SubFactory(AdminUnitFactory)
    rule_set = factory.SubFactory(RuleSetFactory)
    period = factory.SubFactory(ReportingPeriodFactory)
    criteria_met = 0
    criteria_total = 19
    indicators_met = 0
    indicators_total = 75
    attained = False
    computed_at = factory.LazyFunction(timezone.now)
