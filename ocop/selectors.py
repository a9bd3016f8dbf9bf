"""Reads of the OCOP registry that pages, exports and the rule sets share.

An "OCOP product" on a day is a product with a certificate in force that day (decided, not expired, not revoked),
counted once at the stars of its latest certificate. Every count here is one query over the certificates of a
subtree, whatever the number of units in it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from communes.models import AdminUnit

from .models import EXPIRING_MONTHS, Certificate, Evaluation, PartScore, ProducerKind, Product, ProductGroup
from .services import add_months

STARS = (3, 4, 5)


@dataclass
class OcopSummary:
    unit: AdminUnit
    on: dt.date
    by_stars: dict[int, int] = field(default_factory=dict)
    by_group: dict[str, int] = field(default_factory=dict)
    producers_by_kind: dict[str, int] = field(default_factory=dict)
    products_by_kind: dict[str, int] = field(default_factory=dict)
    is_demo: bool = False

    @property
    def products(self) -> int:
        return sum(self.by_stars.values())

    @property
    def producers(self) -> int:
        return sum(self.producers_by_kind.values())

    @property
    def star_rows(self) -> list[tuple[int, int]]:
        return [(stars, self.by_stars.get(stars, 0)) for stars in sorted(set(STARS) | set(self.by_stars))]

    @property
    def group_rows(self) -> list[tuple[str, int]]:
        return [(label, self.by_group.get(value, 0)) for value, label in ProductGroup.choices]

    @property
    def kind_rows(self) -> list[tuple[str, int, int]]:
        """(type, producers, their products) for every producer type."""
        return [
            (label, self.producers_by_kind.get(value, 0), self.products_by_kind.get(value, 0))
            for value, label in ProducerKind.choices
        ]

    def figures(self) -> dict:
        """Plotly figures of the tables (bars), drawn by static/js/ocop.js from the page's json_script."""
        from django.utils.translation import gettext as _

        def bars(labels, values, title, color):
            return {
                "data": [{"type": "bar", "x": labels, "y": values, "marker": {"color": color}, "text": values}],
                "layout": {
                    "title": {"text": title},
                    "height": 280,
                    "margin": {"l": 40, "r": 10, "t": 40, "b": 90},
                    "yaxis": {"rangemode": "tozero", "tickformat": "d"},
                },
            }

        return {
            "stars": bars(
                [_("%(n)d sao") % {"n": s} for s, _n in self.star_rows],
                [n for _s, n in self.star_rows],
                _("Sản phẩm theo số sao"),
                "#b7791f",
            ),
            "groups": bars(
                [str(label) for label, _n in self.group_rows],
                [n for _label, n in self.group_rows],
                _("Sản phẩm theo nhóm"),
                "#2f855a",
            ),
            "kinds": bars(
                [str(label) for label, _p, _n in self.kind_rows],
                [p for _label, p, _n in self.kind_rows],
                _("Chủ thể theo loại hình"),
                "#2b6cb0",
            ),
        }


def _in_force(unit: AdminUnit, on: dt.date) -> QuerySet[Certificate]:
    return Certificate.objects.in_force_on(on).filter(product__producer__unit__path__startswith=unit.path)


def ocop_summary(*, unit: AdminUnit, on: dt.date | None = None) -> OcopSummary:
    """Products certified on the day in the unit's subtree, by stars, group and producer type (one query)."""
    on = on or timezone.localdate()
    rows = _in_force(unit, on).values_list(
        "product_id",
        "stars",
        "decision_date",
        "pk",
        "product__group",
        "product__producer_id",
        "product__producer__kind",
        "is_demo",
    )
    latest: dict[int, tuple] = {}
    for row in rows:
        kept = latest.get(row[0])
        if kept is None or (row[2], row[3]) > (kept[2], kept[3]):
            latest[row[0]] = row
    summary = OcopSummary(unit=unit, on=on)
    summary.by_stars = dict(Counter(r[1] for r in latest.values()))
    summary.by_group = dict(Counter(r[4] for r in latest.values()))
    producers = {r[5]: r[6] for r in latest.values()}
    summary.producers_by_kind = dict(Counter(producers.values()))
    summary.products_by_kind = dict(Counter(r[6] for r in latest.values()))
    summary.is_demo = any(r[7] for r in latest.values())
    return summary


def certified_count(*, unit: AdminUnit, on: dt.date, min_stars: int = 3) -> int:
    """The number of OCOP products of `min_stars` or more certified in the unit's subtree on the day.

    This is the hook for rule sets that count OCOP products (an indicator of the economic criterion, a province
    condition): an entry form can offer it as the value, a recompute can read it for the period's end date
    (`certified_count(unit=unit, on=period.end)`). One query; it never writes anything.
    """
    latest = Certificate.objects.filter(product=OuterRef("product"), decision_date__gt=OuterRef("decision_date"))
    latest = latest.in_force_on(on)
    return (
        _in_force(unit, on).filter(stars__gte=min_stars).exclude(Exists(latest)).values("product_id").distinct().count()
    )


def certificates_expiring(*, unit: AdminUnit, today: dt.date | None = None, months: int = EXPIRING_MONTHS):
    """Certificates in force today that expire within `months` and have not been renewed, soonest first."""
    today = today or timezone.localdate()
    renewed = Certificate.objects.filter(product=OuterRef("product"), decision_date__gt=OuterRef("decision_date"))
    return (
        _in_force(unit, today)
        .filter(expires_on__lte=add_months(today, months))
        .exclude(Exists(renewed))
        .select_related("product__producer__unit")
        .order_by("expires_on", "product__name")
    )


def products_in(*, unit: AdminUnit) -> QuerySet[Product]:
    """The registry of a subtree with each product's rounds and certificates, newest first (four queries)."""
    return (
        Product.objects.filter(producer__unit__path__startswith=unit.path)
        .select_related("producer__unit")
        .prefetch_related(
            Prefetch(
                "evaluations",
                queryset=Evaluation.objects.order_by("-evaluated_on", "-pk").prefetch_related(
                    Prefetch("part_scores", queryset=PartScore.objects.select_related("part"))
                ),
            ),
            Prefetch("certificates", queryset=Certificate.objects.order_by("-decision_date", "-pk")),
        )
        .order_by("producer__unit__path", "producer__name", "name")
    )


def latest_of(product: Product):
    """(latest evaluation, latest certificate) from the prefetched rows of `products_in`."""
    evaluations = list(product.evaluations.all())
    certificates = list(product.certificates.all())
    return (evaluations[0] if evaluations else None), (certificates[0] if certificates else None)
