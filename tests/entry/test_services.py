"""Entry and review services: history, versions, status changes, locks and refusals."""

from decimal import Decimal

import pytest

from criteria.catalog import Catalog
from criteria.models import Attainment, IndicatorValue, Submission, ValueChange, ValueStatus
from criteria.values import InvalidValue
from entry import services
from entry.services import Decision, format_number

pytestmark = pytest.mark.django_db


def save(w, indicator, raw, *, version=0, user=None, unit=None, note="", reason=""):
    return services.value_save(
        user=user or w["official"],
        unit=unit or w["commune"],
        indicator=indicator,
        period=w["period"],
        raw=raw,
        note=note,
        expected_version=version,
        reason=reason,
    )


def test_a_save_is_a_draft_with_its_history(world):
    value = save(world, world["pct"], "76,5", note="theo báo cáo")
    assert value.status == ValueStatus.DRAFT and value.version == 1
    assert value.number == Decimal("76.5")
    again = save(world, world["pct"], "81", version=1)
    assert again.version == 2
    changes = list(ValueChange.objects.filter(value=value).values_list("old_number", "new_number", "user__username"))
    assert changes == [(None, Decimal("76.5"), "xa"), (Decimal("76.5"), Decimal("81"), "xa")]


def test_an_unchanged_value_writes_nothing(world):
    save(world, world["count"], "4")
    assert save(world, world["count"], "4,0", version=1) is None
    assert ValueChange.objects.count() == 1


@pytest.mark.parametrize(
    ("key", "raw", "stored"),
    [
        ("pct", "12,5", Decimal("12.5")),
        ("amount", "76,6", Decimal("76.6")),
        ("count", "1.200", Decimal("1200")),
        ("yes", "có", True),
        ("yes", "không", False),
    ],
)
def test_values_are_read_in_vietnamese_notation(world, key, raw, stored):
    value = save(world, world[key], raw)
    assert value.value == stored


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("pct", "101", "Tỷ lệ phải từ 0 đến 100"),
        ("count", "2,5", "số nguyên không âm"),
        ("count", "-1", "số nguyên không âm"),
        ("amount", "-3", "không được âm"),
        ("yes", "có lẽ", "Có/Không"),
        ("pct", "", "Chưa nhập giá trị"),
    ],
)
def test_bad_values_are_refused_with_a_vietnamese_message(world, key, raw, message):
    with pytest.raises(InvalidValue, match=message):
        save(world, world[key], raw)
    assert not IndicatorValue.objects.exists()


def test_format_number_writes_vietnamese_notation():
    assert format_number(Decimal("76611")) == "76.611"
    assert format_number(Decimal("12.5000")) == "12,5"
    assert format_number(Decimal("1234567.25")) == "1.234.567,25"
    assert format_number(Decimal("-0.5")) == "-0,5"


def test_a_stale_save_is_refused_with_the_other_persons_value(world):
    save(world, world["pct"], "70")  # both officials load the page at version 1
    save(world, world["pct"], "85", version=1, user=world["colleague"])
    with pytest.raises(services.StaleValue) as caught:
        save(world, world["pct"], "90", version=1)
    assert "xa2" in caught.value.message and "85" in caught.value.message
    assert IndicatorValue.objects.get().number == Decimal("85")


def test_a_first_save_racing_another_first_save_is_refused(world):
    save(world, world["pct"], "70", user=world["colleague"])
    with pytest.raises(services.StaleValue):
        save(world, world["pct"], "75", version=0)


def test_indicators_outside_the_units_sets_and_derived_ones_are_refused(world):
    with pytest.raises(services.NotEditable, match="không thuộc"):
        save(world, world["foreign"], "50")
    with pytest.raises(services.NotEditable, match="không thuộc"):
        save(world, world["district_ind"], "có")  # a district indicator on a commune
    with pytest.raises(services.NotEditable, match="tự động"):
        save(world, world["derived"], "có")
    assert save(world, world["village_ind"], "có", unit=world["village"]).unit == world["village"]
    assert IndicatorValue.objects.count() == 1


def test_submit_review_and_a_later_change_needs_a_reason(world):
    a = save(world, world["pct"], "90")
    b = save(world, world["yes"], "không")
    submission = services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    assert submission.status == Submission.Status.SUBMITTED
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == ValueStatus.SUBMITTED

    with pytest.raises(services.ReasonRequired):
        services.submission_review(
            user=world["reviewer"],
            unit=world["commune"],
            period=world["period"],
            decisions={b.pk: Decision("return", b.version, "  ")},
        )
    submission = services.submission_review(
        user=world["reviewer"],
        unit=world["commune"],
        period=world["period"],
        decisions={a.pk: Decision("approve", a.version), b.pk: Decision("return", b.version, "Thiếu biên bản")},
    )
    assert submission.status == Submission.Status.RETURNED
    b.refresh_from_db()
    assert b.status == ValueStatus.RETURNED and b.return_reason == "Thiếu biên bản"

    a.refresh_from_db()
    with pytest.raises(services.ReasonRequired):
        save(world, world["pct"], "95", version=a.version)
    changed = save(world, world["pct"], "95", version=a.version, reason="Số liệu mới của phòng Thống kê")
    assert changed.status == ValueStatus.SUBMITTED  # back to review
    assert Submission.objects.get().status == Submission.Status.SUBMITTED
    last = ValueChange.objects.filter(value=a).last()
    assert (last.old_status, last.new_status, last.reason) == (
        ValueStatus.APPROVED,
        ValueStatus.SUBMITTED,
        "Số liệu mới của phòng Thống kê",
    )

    fixed = save(world, world["yes"], "có", version=b.version)
    assert fixed.status == ValueStatus.DRAFT and fixed.return_reason == "Thiếu biên bản"  # shown until sent again
    services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    services.submission_approve(user=world["reviewer"], unit=world["commune"], period=world["period"])
    assert set(IndicatorValue.objects.values_list("status", flat=True)) == {ValueStatus.APPROVED}
    assert Submission.objects.get().status == Submission.Status.APPROVED


def test_review_of_a_value_changed_since_the_page_was_loaded_is_refused(world):
    value = save(world, world["pct"], "90")
    services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    value.refresh_from_db()
    seen = value.version
    save(world, world["pct"], "60", version=seen)  # the official corrects it while it waits
    with pytest.raises(services.StaleValue):
        services.value_approve(user=world["reviewer"], value=value, expected_version=seen)
    value.refresh_from_db()
    assert value.status == ValueStatus.SUBMITTED and value.number == Decimal("60")


def test_return_all_needs_a_reason(world):
    save(world, world["pct"], "90")
    services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    with pytest.raises(services.ReasonRequired):
        services.submission_return(user=world["reviewer"], unit=world["commune"], period=world["period"], reason="")
    services.submission_return(user=world["reviewer"], unit=world["commune"], period=world["period"], reason="Sai")
    assert IndicatorValue.objects.get().return_reason == "Sai"


def test_a_locked_period_refuses_every_change(world):
    value = save(world, world["pct"], "90")
    services.value_submit(user=world["official"], value=value)
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"])
    value.refresh_from_db()
    with pytest.raises(services.PeriodLocked, match="đã khóa"):
        save(world, world["pct"], "95", version=value.version)
    with pytest.raises(services.PeriodLocked):
        save(world, world["count"], "5")
    with pytest.raises(services.PeriodLocked):
        services.value_approve(user=world["reviewer"], value=value, expected_version=value.version)
    with pytest.raises(services.PeriodLocked):
        services.submission_submit(user=world["official"], unit=world["commune"], period=world["period"])
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"], locked=False)
    assert save(world, world["count"], "5").number == 5


def test_saving_recomputes_the_unit_and_its_ancestors_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        save(world, world["pct"], "90")
    assert len(callbacks) == 1
    assert not Attainment.objects.exists()  # nothing ran before the commit
    for callback in callbacks:
        callback()
    row = Attainment.objects.get(unit=world["commune"], rule_set__code="t-nc")
    assert row.indicators_met == 1
    assert row.indicator_status["1.1"]["status"] == "met"


def test_the_target_that_applies_follows_the_units_region(world):
    from communes.models import Region
    from entry.selectors import applied_target

    world["commune"].region = Region.TDMNPB
    entry = Catalog().applicable(world["commune"], world["period"])[0]
    from entry.selectors import unit_context

    applied = applied_target(entry, world["pct"], unit_context(world["commune"], world["period"]))
    assert applied["value"] == 70


def test_approving_a_value_recomputes_the_approved_count(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        value = save(world, world["pct"], "90")
    row = Attainment.objects.get(unit=world["commune"], rule_set__code="t-nc")
    assert (row.indicators_met, row.indicators_met_approved) == (1, 0)
    with django_capture_on_commit_callbacks(execute=True):
        services.value_submit(user=world["official"], value=value)
    value.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.value_approve(user=world["reviewer"], value=value, expected_version=value.version)
    row.refresh_from_db()
    assert (row.indicators_met, row.indicators_met_approved) == (1, 1)
