"""The shared rules of criteria.tiers: the ladder, recognised / valid on a day, the latest report, the baseline."""

import datetime as dt
from types import SimpleNamespace

from criteria.models import ReportingPeriod, Tier, parse_period_code
from criteria.tiers import (
    baseline_period,
    held_tier,
    highest_tier,
    latest_as_of,
    latest_period,
    meets_tier,
    recognised_on,
    tier_bucket,
    valid_on,
)


def period(code: str) -> ReportingPeriod:
    year, kind, quarter, start, end = parse_period_code(code)
    return ReportingPeriod(code=code, year=year, kind=kind, quarter=quarter, start=start, end=end)


def test_the_year_report_is_the_latest_not_q4_of_the_same_year():
    q4, year, nine = period("2023-Q4"), period("2023"), period("2023-9M")
    assert latest_period([year, q4, nine]).code == "2023"
    assert latest_period([q4, year]).code == "2023"
    assert latest_period([period("2023-Q2"), period("2023-6M")]).code == "2023-6M"
    assert latest_period([period("2023-Q3"), period("2023-9M")]).code == "2023-9M"
    assert latest_period([]) is None
    # as of Q4 the year report (same end, longer) is later, so it is not "as of Q4"
    assert latest_as_of([year, nine], q4).code == "2023-9M"
    assert latest_as_of([year, q4], year).code == "2023"


def test_the_database_orders_periods_by_the_same_rule(db):
    for code in ("2023", "2023-Q4", "2023-9M", "2023-Q3", "2022"):
        ReportingPeriod.objects.for_code(code)
    assert [p.code for p in ReportingPeriod.objects.all()] == ["2022", "2023-Q3", "2023-9M", "2023-Q4", "2023"]


def test_so_voi_dau_nam_compares_with_the_first_report_of_the_year_else_the_last_of_the_year_before():
    p = {c: period(c) for c in ("2022-9M", "2022", "2023-Q1", "2023-6M", "2023-9M")}
    assert baseline_period(p.values(), p["2023-9M"]).code == "2023-Q1"
    assert baseline_period([p["2022-9M"], p["2022"], p["2023-9M"]], p["2023-9M"]).code == "2022"
    assert baseline_period([p["2023-9M"]], p["2023-9M"]) is None
    assert baseline_period([p["2022"], p["2023-Q1"]], p["2023-Q1"]).code == "2022"


def test_the_ladder_holds_the_higher_of_reached_and_recognised():
    assert highest_tier([Tier.NTM, Tier.KIEU_MAU, Tier.NANG_CAO]) == Tier.KIEU_MAU
    assert highest_tier([]) is None
    assert held_tier(Tier.NTM, Tier.NANG_CAO) == Tier.NANG_CAO
    assert held_tier(Tier.KIEU_MAU, None) == Tier.KIEU_MAU
    assert held_tier(None, None) is None
    assert meets_tier(Tier.KIEU_MAU, Tier.NTM) and not meets_tier(Tier.NTM, Tier.NANG_CAO)
    assert not meets_tier(None, None)
    assert tier_bucket(Tier.COMPLETED) == Tier.NTM and tier_bucket(None) == ""


def test_recognised_and_valid_on_a_day_include_the_first_day_and_exclude_the_end():
    decision = SimpleNamespace(decision_date=dt.date(2023, 5, 1), revoked_on=dt.date(2024, 1, 1))
    assert not recognised_on(decision, dt.date(2023, 4, 30))
    assert recognised_on(decision, dt.date(2023, 5, 1))
    assert recognised_on(decision, dt.date(2023, 12, 31))
    assert not recognised_on(decision, dt.date(2024, 1, 1))
    unit = SimpleNamespace(valid_from=None, valid_to=dt.date(2025, 7, 1))
    assert valid_on(unit, dt.date(2025, 6, 30)) and not valid_on(unit, dt.date(2025, 7, 1))
