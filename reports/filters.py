"""The district dashboard's filters (django-filter): by tier, by review status, by a criterion still missing.

The tier and the missing criteria come from stored results already loaded for the page, so each filter
narrows the communes' queryset to the ids whose rows match: one query, whatever the filters chosen.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from communes.models import AdminUnit
from criteria.models import Criterion, Submission

from .dashboards import NO_SUBMISSION, TIER_BUCKETS, UnitRow, tier_label


def _tier_choices():
    return [(tier or "none", tier_label(tier)) for tier in TIER_BUCKETS]


def _status_choices():
    return [(NO_SUBMISSION, _("chưa gửi")), *Submission.Status.choices]


class CommuneFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(label=_("Bậc đạt"), choices=_tier_choices, method="filter_tier")
    status = django_filters.ChoiceFilter(
        label=_("Duyệt số liệu"), choices=_status_choices, method="filter_status", empty_label=_("Tất cả")
    )
    missing = django_filters.ChoiceFilter(
        label=_("Còn thiếu tiêu chí"), method="filter_missing", choices=(), empty_label=_("Tất cả")
    )

    class Meta:
        model = AdminUnit
        fields: list[str] = []

    def __init__(self, data=None, *, rows: list[UnitRow], primary, criteria: list[Criterion], **kwargs):
        super().__init__(data, **kwargs)
        self.rows = {row.unit.pk: row for row in rows}
        self.primary = primary
        self.filters["missing"].extra["choices"] = [(c.code, f"{c.code}. {c.name}") for c in criteria]
        self.filters["tier"].extra["empty_label"] = _("Tất cả")

    def _ids(self, keep) -> list[int]:
        return [pk for pk, row in self.rows.items() if keep(row)]

    def filter_tier(self, queryset, name, value):
        wanted = "" if value == "none" else value
        return queryset.filter(pk__in=self._ids(lambda r: (r.standing.current or "") == wanted))

    def filter_status(self, queryset, name, value):
        return queryset.filter(pk__in=self._ids(lambda r: r.submission == value))

    def filter_missing(self, queryset, name, value):
        def misses(row):
            cell = row.cell(self.primary)
            return cell is not None and cell.criteria_status.get(value) != "met"

        return queryset.filter(pk__in=self._ids(misses))
