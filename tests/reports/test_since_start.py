""" "So với đầu năm" compares with the last report of the previous year when the year has none before, and counts
conditions and the attained flag: a district going from 0/1 to 1/1 conditions and becoming attained says so."""

import pytest
from django.test import Client
from django.urls import reverse

from criteria.models import Indicator, ReportingPeriod
from criteria.services import attainment_recompute
from reports.dashboards import district_dashboard
from tests.criteria.conftest import small_world  # noqa: F401 - a district of three xã with a derived condition
from tests.factories import IndicatorValueFactory, UserFactory

pytestmark = pytest.mark.django_db


def _commune_values(world, commune, period, *, advanced: bool):
    ntm, nc = world["ntm"], world["nc"]
    IndicatorValueFactory(
        unit=commune, period=period, indicator=Indicator.objects.get(rule_set=ntm), number=None, boolean=True
    )
    for code, number, boolean in (("1.1", 90 if advanced else 10, None), ("1.2", None, True), ("2.1", 95, None)):
        indicator = Indicator.objects.get(rule_set=nc, code=code)
        IndicatorValueFactory(unit=commune, period=period, indicator=indicator, number=number, boolean=boolean)


def test_the_district_page_counts_the_condition_and_the_attained_flag_since_the_last_report_of_last_year(
    small_world,  # noqa: F811
):
    w = small_world
    last_year, now = ReportingPeriod.objects.for_code("2022"), ReportingPeriod.objects.for_code("2023-9M")
    district_yes = Indicator.objects.get(rule_set=w["huyen"], code="1.1")
    for period, advanced in ((last_year, False), (now, True)):
        for commune in w["communes"]:
            _commune_values(w, commune, period, advanced=advanced)
        IndicatorValueFactory(unit=w["district"], period=period, indicator=district_yes, number=None, boolean=True)
        attainment_recompute(period=period)
    board = district_dashboard(unit=w["district"], period_code="2023-9M")
    cell = board.own.cells[0]
    assert cell.attained and cell.start.period.code == "2022" and not cell.start.attained
    assert (cell.change_criteria, cell.change_indicators, cell.change_conditions) == (0, 0, 1)
    assert cell.change_attained == "gained"
    condition = board.own.derived[0]
    assert (condition.have, condition.total, condition.share) == (3, 3, 100.0)  # as stored by the recompute

    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    html = client.get(reverse("unit-detail", args=[w["district"].code]) + "?period=2023-9M").content.decode()
    assert "so với đầu năm (Năm 2022)" in html
    assert "+1</span> điều kiện" in html and "mới đạt chuẩn" in html
