"""The read-only API for the monitoring systems above the province (Decision 25/2025/QĐ-TTg): units with their
validity and lineage, rule sets and their versions, stored attainment per unit and period, recognitions.

Thin views: the scope comes from the token's user (api.scope), the figures are the stored rows the pages show."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, viewsets
from rest_framework.exceptions import ValidationError

from communes.models import AdminUnit
from criteria.models import Attainment, Recognition, RuleSet

from . import filters, serializers
from .scope import within_scope

ON = OpenApiParameter(
    "on",
    OpenApiTypes.DATE,
    description=gettext_lazy(
        "ngày: chọn đơn vị mang mã này vào ngày đó khi một mã gọi tên hai đơn vị (mặc định: hôm nay)"
    ),
)


def _on(request) -> dt.date:
    raw = request.query_params.get("on")
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise ValidationError({"on": [_("Ngày '%(v)s' không hợp lệ: dùng YYYY-MM-DD.") % {"v": raw}]}) from error


def unit_in_scope(request, code: str) -> AdminUnit:
    """The unit a code names for this user: 404 when unknown or outside the subtree. Where a code names two units
    (before and after a reorganisation), the one valid on `?on=` (default today), else the most recent."""
    units = list(within_scope(AdminUnit.objects.filter(code=code), request.user))
    if not units:
        raise Http404(_("Không tìm thấy đơn vị."))
    if len(units) == 1:
        return units[0]
    day = _on(request)
    valid = [
        u for u in units if (u.valid_from is None or u.valid_from <= day) and (u.valid_to is None or u.valid_to > day)
    ]
    pool = valid or units
    return max(pool, key=lambda u: u.valid_from or dt.date.min)


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative units the token may see, with their validity dates, successor, predecessors and changes."""

    serializer_class = serializers.UnitSerializer
    filterset_class = filters.UnitFilter
    lookup_field = "code"

    def get_queryset(self):
        units = AdminUnit.objects.select_related("parent", "successor").prefetch_related(
            "predecessors", "changes__successor"
        )
        return within_scope(units, self.request.user).order_by("path")

    @extend_schema(parameters=[ON])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def get_object(self):
        unit = unit_in_scope(self.request, self.kwargs["code"])
        return self.get_queryset().get(pk=unit.pk)


def _attainment():
    return Attainment.objects.select_related("unit", "rule_set", "period").order_by(
        "unit__path", "period__end", "-period__start", "rule_set__level", "rule_set__code", "rule_set__version"
    )


class UnitAttainmentView(generics.ListAPIView):
    """One unit's stored attainment, per rule set and period (filter with `period` and `rule_set`): the figures
    of the unit's page ("12/19 tiêu chí, 61/75 chỉ tiêu")."""

    serializer_class = serializers.AttainmentSerializer
    filterset_class = filters.AttainmentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no unit
            return Attainment.objects.none()
        return _attainment().filter(unit=unit_in_scope(self.request, self.kwargs["code"]))

    @extend_schema(parameters=[ON])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RuleSetViewSet(viewsets.ReadOnlyModelViewSet):
    """Rule sets, every version side by side; a version's detail lists its criteria and indicators."""

    filterset_class = filters.RuleSetFilter

    def get_queryset(self):
        rule_sets = RuleSet.objects.order_by("level", "code", "version")
        if self.action == "retrieve":
            rule_sets = rule_sets.prefetch_related("criteria", "indicators__criterion")
        return rule_sets

    def get_serializer_class(self):
        return serializers.RuleSetDetailSerializer if self.action == "retrieve" else serializers.RuleSetSerializer


class AttainmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored attainment of the units the token may see: the figures the dashboards show."""

    serializer_class = serializers.AttainmentSerializer
    filterset_class = filters.AttainmentFilter

    def get_queryset(self):
        return within_scope(_attainment(), self.request.user, path_field="unit__path")


class RecognitionViewSet(viewsets.ReadOnlyModelViewSet):
    """Recognition decisions (and acknowledgements) of the units the token may see, revoked ones included."""

    serializer_class = serializers.RecognitionSerializer
    filterset_class = filters.RecognitionFilter

    def get_queryset(self):
        recognitions = Recognition.objects.select_related("unit", "rule_set").order_by("decision_date", "id")
        return within_scope(recognitions, self.request.user, path_field="unit__path")
