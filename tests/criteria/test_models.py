import datetime as dt

import pytest

from criteria.models import PeriodKind, PublishedRuleSetError, ReportingPeriod, parse_period_code
from tests.criteria.conftest import publish
from tests.factories import CriterionFactory, IndicatorFactory, RuleSetFactory


@pytest.mark.parametrize(
    ("code", "kind", "start", "end"),
    [
        ("2023", PeriodKind.YEAR, dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
        ("2023-Q1", PeriodKind.QUARTER, dt.date(2023, 1, 1), dt.date(2023, 3, 31)),
        ("2024-Q1", PeriodKind.QUARTER, dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("2023-Q4", PeriodKind.QUARTER, dt.date(2023, 10, 1), dt.date(2023, 12, 31)),
        ("2023-6M", PeriodKind.HALF, dt.date(2023, 1, 1), dt.date(2023, 6, 30)),
        ("2023-9M", PeriodKind.NINE, dt.date(2023, 1, 1), dt.date(2023, 9, 30)),
    ],
)
def test_period_codes_as_officials_write_them(code, kind, start, end):
    year, parsed_kind, _quarter, parsed_start, parsed_end = parse_period_code(code)
    assert (year, parsed_kind, parsed_start, parsed_end) == (int(code[:4]), kind, start, end)


@pytest.mark.parametrize("code", ["2023-Q5", "2023-7M", "23", "2023Q1", "", "1999"])
def test_periods_that_cannot_exist(code):
    with pytest.raises(ValueError):
        parse_period_code(code)


@pytest.mark.django_db
def test_periods_sort_by_end_so_the_year_closes_after_its_nine_months():
    for code in ["2023", "2023-9M", "2023-Q1", "2023-6M", "2022"]:
        ReportingPeriod.objects.for_code(code)
    assert [p.code for p in ReportingPeriod.objects.all()] == ["2022", "2023-Q1", "2023-6M", "2023-9M", "2023"]


@pytest.mark.django_db
def test_a_published_rule_set_cannot_be_changed_or_deleted():
    indicator = IndicatorFactory()
    rule_set = indicator.rule_set
    criterion = indicator.criterion
    publish(rule_set)
    rule_set.name = "sửa"
    with pytest.raises(PublishedRuleSetError):
        rule_set.save()
    with pytest.raises(PublishedRuleSetError):
        rule_set.delete()
    indicator.target = {"op": ">=", "value": 1}
    with pytest.raises(PublishedRuleSetError):
        indicator.save()
    with pytest.raises(PublishedRuleSetError):
        criterion.delete()
    with pytest.raises(PublishedRuleSetError):
        CriterionFactory(rule_set=rule_set, code="new")
    indicator.refresh_from_db()
    assert indicator.target == {"op": ">=", "value": 80}


@pytest.mark.django_db
def test_a_draft_rule_set_can_be_edited():
    rule_set = RuleSetFactory()
    rule_set.name = "sửa"
    rule_set.save()
    assert CriterionFactory(rule_set=rule_set).pk
