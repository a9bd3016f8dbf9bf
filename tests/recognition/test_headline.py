"""Recognised tiers count cumulatively in the headlines, and moving up a tier is never shown as a loss."""

import datetime as dt

from django.urls import reverse

from reports.dashboards import cumulative, province_dashboard
from tests.factories import ReportingPeriodFactory
from tests.recognition.conftest import result


def test_cumulative_counts_include_the_higher_tiers():
    assert cumulative({"": 2, "ntm": 85, "nang_cao": 3, "kieu_mau": 1}) == {
        "": 2,
        "ntm": 89,
        "nang_cao": 4,
        "kieu_mau": 1,
    }


def test_a_commune_moving_up_keeps_the_ntm_count_and_adds_to_nang_cao(client, land):
    start = ReportingPeriodFactory(code="2022", year=2022, start=dt.date(2022, 1, 1), end=dt.date(2022, 12, 31))
    for unit in (land["commune"], land["sibling"], land["far"]):
        result(unit, land["nc"], start, met=2)
    result(land["commune"], land["nc"], land["p9"], met=3)  # reaches nâng cao in 2023
    result(land["sibling"], land["nc"], land["p9"], met=2)
    board = province_dashboard(unit=land["province"], period_code="2023-9M")
    # exclusive buckets would say NTM went from 3 to 2: the headline counts cumulatively
    assert board.tiers["ntm"] == 2 and board.start_tiers["ntm"] == 3
    assert board.held["ntm"] == 3 and board.start_held["ntm"] == 3
    assert board.held["nang_cao"] == 1 and board.start_held["nang_cao"] == 0
    assert board.headline.recognised["ntm"] == 3 and board.headline.recognised["nang_cao"] == 0
    assert [counts["ntm"] for _p, counts in board.trend] == [3, 3]

    client.force_login(land["users"]["viewer"])
    page = client.get(reverse("unit-detail", args=["61"]), {"period": "2023-9M"}).content.decode()
    assert "3/3 xã đạt chuẩn NTM (100%)" in page and "trong đó 1 nâng cao" in page
    assert "Đã có quyết định công nhận: 3 xã NTM, trong đó 0 nâng cao." in page
