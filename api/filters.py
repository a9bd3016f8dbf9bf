"""Query filters of the API. A malformed value answers 400 naming the parameter; a well-formed one that matches
nothing (or names a unit outside the token's subtree) gives an empty page."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError

from communes.models import AdminUnit, Level
from criteria.models import Attainment, Recognition, RuleSet, Tier, parse_period_code

SUBTREE_HELP = _("mã đơn vị: đơn vị đó và mọi đơn vị bên dưới")


def _period(queryset, name, value):
    try:
        parse_period_code(value)
    except ValueError as error:
        raise ValidationError({"period": [str(error)]}) from error
    return queryset.filter(**{f"{name}__code": value.strip()})


def _subtree(field: str):
    """`under=198`: the unit and everything below it (`field` is the path of the row's unit)."""

    def apply(queryset, name, value):
        paths = list(AdminUnit.objects.filter(code=value.strip()).values_list("path", flat=True))
        if not paths:
            return queryset.none()
        condition = Q()
        for path in paths:
            condition |= Q(**{f"{field}__startswith": path})
        return queryset.filter(condition)

    return apply


class UnitFilter(filters.FilterSet):
    level = filters.TypedChoiceFilter(choices=Level.choices, coerce=int, help_text="1 tỉnh, 2 huyện, 3 xã, 4 thôn")
    kind = filters.CharFilter()
    parent = filters.CharFilter(field_name="parent__code", help_text=_("mã đơn vị cha"))
    under = filters.CharFilter(method=_subtree("path"), help_text=SUBTREE_HELP)
    valid_on = filters.DateFilter(method="filter_valid_on", help_text=_("chỉ các đơn vị còn hiệu lực vào ngày này"))

    class Meta:
        model = AdminUnit
        fields = ["code", "level", "kind", "parent", "under", "valid_on"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.current(on=value)


class RuleSetFilter(filters.FilterSet):
    level = filters.TypedChoiceFilter(choices=Level.choices, coerce=int)
    tier = filters.ChoiceFilter(choices=Tier.choices)
    status = filters.ChoiceFilter(choices=RuleSet.Status.choices)

    class Meta:
        model = RuleSet
        fields = ["code", "version", "level", "tier", "status", "programme_period"]


class AttainmentFilter(filters.FilterSet):
    period = filters.CharFilter(method=_period, help_text="2023, 2023-Q1…2023-Q4, 2023-6M, 2023-9M")
    rule_set = filters.CharFilter(field_name="rule_set__code", help_text=_("mã bộ tiêu chí"))
    rule_set_version = filters.NumberFilter(field_name="rule_set__version")
    unit = filters.CharFilter(field_name="unit__code", help_text=_("mã đơn vị"))
    under = filters.CharFilter(
        method=_subtree("unit__path"), help_text=_("mã đơn vị: đơn vị đó và mọi đơn vị bên dưới")
    )
    level = filters.TypedChoiceFilter(field_name="unit__level", choices=Level.choices, coerce=int)
    attained = filters.BooleanFilter()

    class Meta:
        model = Attainment
        fields = ["period", "rule_set", "rule_set_version", "unit", "under", "level", "attained"]


class RecognitionFilter(filters.FilterSet):
    rule_set = filters.CharFilter(field_name="rule_set__code")
    unit = filters.CharFilter(field_name="unit__code")
    under = filters.CharFilter(method=_subtree("unit__path"))
    kind = filters.ChoiceFilter(choices=Recognition.Kind.choices)
    held_on = filters.DateFilter(method="filter_held_on", help_text=_("chỉ các công nhận còn hiệu lực vào ngày này"))

    class Meta:
        model = Recognition
        fields = ["rule_set", "unit", "under", "kind", "held_on"]

    def filter_held_on(self, queryset, name, value):
        return queryset.filter(decision_date__lte=value).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=value))
