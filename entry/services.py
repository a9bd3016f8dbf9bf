"""Entering, submitting and reviewing indicator values, and locking periods.

Every change of a value or of its status writes a ValueChange (who, when, old and new, why) and bumps the value's
version; a save carries the version the official saw, so a save from a stale page is refused, never applied over
someone else's. Saving queues the recompute of the unit and its ancestors once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.access import rights_for
from communes.models import AdminUnit, Level
from criteria.catalog import Catalog
from criteria.models import (
    Indicator,
    IndicatorValue,
    PeriodLock,
    ReportingPeriod,
    Submission,
    ValueChange,
    ValueKind,
    ValueStatus,
)
from criteria.tasks import queue_recompute
from criteria.values import InvalidValue, parse_value

NOTE_MAX = 2000
REASON_MAX = 2000


class EntryError(Exception):
    """A change the service refuses; the message is for the person who asked for it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PeriodLocked(EntryError):
    pass


class NotEditable(EntryError):
    """The indicator does not take a typed value for this unit (not in its rule sets, or derived)."""


class ReasonRequired(EntryError):
    pass


class StaleValue(EntryError):
    """Someone changed the value after the page was loaded: their value is in `current`."""

    def __init__(self, message: str, current: IndicatorValue | None):
        super().__init__(message)
        self.current = current


class OwnValue(EntryError):
    """Four eyes: whoever saved or submitted a value does not approve it."""


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision on one submitted value: approve or return (with a reason), at the version seen."""

    action: str  # "approve" | "return"
    version: int
    reason: str = ""


def _check_open(period: ReportingPeriod, unit: AdminUnit) -> None:
    # Read again inside the transaction: the period may have been locked after the page was loaded.
    if period.is_locked_for(unit, fresh=True):
        raise PeriodLocked(
            _("Kỳ báo cáo %(p)s đã khóa: không nhận thay đổi. Liên hệ văn phòng điều phối tỉnh nếu cần mở lại.")
            % {"p": period.code}
        )


def editable_indicator(*, unit: AdminUnit, period: ReportingPeriod, indicator: Indicator, catalog: Catalog) -> None:
    """Refuse an indicator outside the rule sets that apply to the unit, and any derived indicator."""
    applies = any(indicator.id == i.id for entry in catalog.applicable(unit, period) for i in entry.indicators)
    if not applies:
        raise NotEditable(
            _("Chỉ tiêu %(code)s không thuộc bộ tiêu chí nào áp dụng cho %(unit)s.")
            % {"code": indicator.code, "unit": unit.name}
        )
    if indicator.derived:
        raise NotEditable(_("Chỉ tiêu %(code)s được tính tự động, không nhập tay.") % {"code": indicator.code})


def _stale(current: IndicatorValue | None) -> StaleValue:
    if current is None:
        return StaleValue(_("Giá trị đã thay đổi sau khi bạn mở trang. Hãy tải lại trang."), None)
    who = current.updated_by.get_username() if current.updated_by else _("người khác")
    return StaleValue(
        _(
            "%(who)s đã thay đổi giá trị này lúc %(at)s (giá trị hiện tại: %(value)s). "
            "Giá trị bạn nhập chưa được lưu: kiểm tra rồi lưu lại nếu vẫn muốn thay."
        )
        % {
            "who": who,
            "at": timezone.localtime(current.updated_at).strftime("%H:%M %d/%m/%Y"),
            "value": display_value(current.indicator.kind, current.number, current.boolean) or "—",
        },
        current,
    )


def format_number(number: Decimal | int | float | None) -> str:
    """Vietnamese notation: thousands dots, decimal comma ("76.611", "12,5")."""
    if number is None:
        return ""
    value = Decimal(str(number)) if not isinstance(number, Decimal) else number
    value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    sign = "-" if value < 0 else ""
    text = f"{abs(value):f}"
    whole, _dot, frac = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def display_value(kind: str, number, boolean) -> str:
    if kind == ValueKind.BOOL:
        return "" if boolean is None else (_("có") if boolean else _("không"))
    return format_number(number)


def _record(value: IndicatorValue, *, action: str, user, old: tuple, reason: str = "") -> ValueChange:
    old_number, old_boolean, old_note, old_status = old
    return ValueChange.objects.create(
        value=value,
        action=action,
        user=user if getattr(user, "is_authenticated", False) else None,
        old_number=old_number,
        new_number=value.number,
        old_boolean=old_boolean,
        new_boolean=value.boolean,
        old_note=old_note,
        new_note=value.note,
        old_status=old_status,
        new_status=value.status,
        reason=reason,
        version=value.version,
    )


def _state(value: IndicatorValue) -> tuple:
    return (value.number, value.boolean, value.note, value.status)


def value_save(
    *,
    user,
    unit: AdminUnit,
    indicator: Indicator,
    period: ReportingPeriod,
    raw,
    note: str = "",
    expected_version: int,
    reason: str = "",
    catalog: Catalog | None = None,
    action: str = ValueChange.Action.SAVE,
) -> IndicatorValue | None:
    """Save one typed value (a draft). Returns the value, or None when nothing differs from what is stored.

    `expected_version` is the version the official saw (0: there was no value): anything else is refused with the
    current value. An approved value changes only with a reason, and goes back to review.
    """
    catalog = catalog or Catalog()
    editable_indicator(unit=unit, period=period, indicator=indicator, catalog=catalog)
    parsed = parse_value(indicator.kind, raw)  # InvalidValue carries the message for the field
    number = None if indicator.kind == ValueKind.BOOL else parsed
    boolean = parsed if indicator.kind == ValueKind.BOOL else None
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidValue(_("Ghi chú dài quá %(n)d ký tự.") % {"n": NOTE_MAX})
    reason = (reason or "").strip()[:REASON_MAX]
    with transaction.atomic():
        _check_open(period, unit)
        current = (
            IndicatorValue.objects.select_for_update(of=("self",))
            .select_related("indicator", "updated_by")
            .filter(unit=unit, indicator=indicator, period=period)
            .first()
        )
        if current is None:
            if expected_version != 0:
                raise _stale(None)
            value = IndicatorValue(
                unit=unit,
                indicator=indicator,
                period=period,
                number=number,
                boolean=boolean,
                note=note,
                status=ValueStatus.DRAFT,
                version=1,
                updated_by=user,
            )
            try:
                with transaction.atomic():
                    value.save()
            except IntegrityError:  # someone created it in the meantime
                raise _stale(
                    IndicatorValue.objects.select_related("indicator", "updated_by")
                    .filter(unit=unit, indicator=indicator, period=period)
                    .first()
                )
            _record(value, action=action, user=user, old=(None, None, "", ""), reason=reason)
            queue_recompute(period=period, units=[unit])
            return value
        if current.number == number and current.boolean == boolean and current.note == note:
            return None  # nothing to change, whoever saved last: the two agree
        if current.version != expected_version:
            raise _stale(current)
        if current.status == ValueStatus.APPROVED and not reason:
            raise ReasonRequired(_("Giá trị đã được duyệt: ghi lý do thay đổi. Giá trị sẽ được gửi duyệt lại."))
        old = _state(current)
        current.number, current.boolean, current.note = number, boolean, note
        if current.status == ValueStatus.APPROVED:
            current.status = ValueStatus.SUBMITTED  # changed after approval: back to review
            _reopen_submission(unit=unit, period=period, user=user)
        elif current.status == ValueStatus.RETURNED:
            current.status = ValueStatus.DRAFT  # the reason stays visible until it is sent again
        current.version += 1
        current.updated_by = user
        current.is_demo = False
        current.save()
        _record(current, action=action, user=user, old=old, reason=reason)
        queue_recompute(period=period, units=[unit])
        return current


def _reopen_submission(*, unit: AdminUnit, period: ReportingPeriod, user) -> Submission:
    submission, _created = Submission.objects.select_for_update(of=("self",)).get_or_create(unit=unit, period=period)
    submission.status = Submission.Status.SUBMITTED
    submission.submitted_by = user
    submission.submitted_at = timezone.now()
    submission.version += 1
    submission.save()
    return submission


def _set_status(value: IndicatorValue, *, status: str, action: str, user, reason: str = "") -> None:
    old = _state(value)
    value.status = status
    if status == ValueStatus.RETURNED:
        value.return_reason = reason
    elif status in (ValueStatus.APPROVED, ValueStatus.SUBMITTED):
        value.return_reason = ""
    value.version += 1
    value.updated_by = user
    value.save(update_fields=["status", "return_reason", "version", "updated_by", "updated_at"])
    _record(value, action=action, user=user, old=old, reason=reason)


def value_submit(*, user, value: IndicatorValue) -> IndicatorValue:
    """Send one draft or returned value to review."""
    with transaction.atomic():
        _check_open(value.period, value.unit)
        value = IndicatorValue.objects.select_for_update(of=("self",)).get(pk=value.pk)
        if value.status not in (ValueStatus.DRAFT, ValueStatus.RETURNED):
            raise EntryError(_("Giá trị này đã được gửi hoặc đã duyệt."))
        _set_status(value, status=ValueStatus.SUBMITTED, action=ValueChange.Action.SUBMIT, user=user)
        return value


def submission_submit(*, user, unit: AdminUnit, period: ReportingPeriod) -> Submission:
    """Send the unit's draft and returned values for the period to review, all at once."""
    with transaction.atomic():
        _check_open(period, unit)
        values = list(
            IndicatorValue.objects.select_for_update(of=("self",)).filter(
                unit=unit, period=period, status__in=[ValueStatus.DRAFT, ValueStatus.RETURNED]
            )
        )
        if not values:
            raise EntryError(_("Không có giá trị nháp hoặc bị trả lại nào để gửi duyệt."))
        for value in values:
            _set_status(value, status=ValueStatus.SUBMITTED, action=ValueChange.Action.SUBMIT, user=user)
        return _reopen_submission(unit=unit, period=period, user=user)


def _settle(*, unit: AdminUnit, period: ReportingPeriod, user) -> Submission:
    """After a review: still in review while a value waits; returned if any value was returned; else approved.
    The stored results count approved values apart, so a review queues the unit's recompute too."""
    queue_recompute(period=period, units=[unit])
    submission, _created = Submission.objects.select_for_update(of=("self",)).get_or_create(unit=unit, period=period)
    statuses = set(IndicatorValue.objects.filter(unit=unit, period=period).values_list("status", flat=True))
    if ValueStatus.SUBMITTED in statuses:
        return submission
    submission.status = Submission.Status.RETURNED if ValueStatus.RETURNED in statuses else Submission.Status.APPROVED
    submission.reviewed_by = user
    submission.reviewed_at = timezone.now()
    submission.version += 1
    submission.save()
    return submission


AUTHORING = (ValueChange.Action.SAVE, ValueChange.Action.SUBMIT, ValueChange.Action.IMPORT)


def _authors(value_ids) -> dict[int, set[int]]:
    """Who saved or submitted each value since its last review decision (one query)."""
    authors: dict[int, set[int]] = {}
    rows = ValueChange.objects.filter(value_id__in=list(value_ids)).order_by("at", "id")
    for value_id, user_id, action in rows.values_list("value_id", "user_id", "action"):
        if action in AUTHORING:
            authors.setdefault(value_id, set()).add(user_id)
        else:  # approve / return: the next round of review starts afresh
            authors[value_id] = set()
    return authors


def _review_one(value: IndicatorValue, decision: Decision, *, user, authors: dict[int, set[int]]) -> None:
    if value.version != decision.version:
        raise _stale(value)
    if value.status != ValueStatus.SUBMITTED:
        raise EntryError(_("Chỉ tiêu %(code)s không ở trạng thái chờ duyệt.") % {"code": value.indicator.code})
    if decision.action == "approve" and user.pk in authors.get(value.pk, ()):
        raise OwnValue(
            _("Chỉ tiêu %(code)s do chính bạn nhập hoặc gửi duyệt: người khác phải duyệt (nguyên tắc bốn mắt).")
            % {"code": value.indicator.code}
        )
    if decision.action == "approve":
        _set_status(value, status=ValueStatus.APPROVED, action=ValueChange.Action.APPROVE, user=user)
    elif decision.action == "return":
        reason = (decision.reason or "").strip()[:REASON_MAX]
        if not reason:
            raise ReasonRequired(_("Trả lại cần ghi lý do để cán bộ xã biết cần sửa gì."))
        _set_status(value, status=ValueStatus.RETURNED, action=ValueChange.Action.RETURN, user=user, reason=reason)
    else:
        raise EntryError(_("Quyết định không hợp lệ."))


def value_approve(*, user, value: IndicatorValue, expected_version: int) -> IndicatorValue:
    with transaction.atomic():
        _check_open(value.period, value.unit)
        value = (
            IndicatorValue.objects.select_for_update(of=("self",))
            .select_related("indicator", "updated_by")
            .get(pk=value.pk)
        )
        _review_one(value, Decision("approve", expected_version), user=user, authors=_authors([value.pk]))
        _settle(unit=value.unit, period=value.period, user=user)
        return value


def value_return(*, user, value: IndicatorValue, reason: str, expected_version: int) -> IndicatorValue:
    with transaction.atomic():
        _check_open(value.period, value.unit)
        value = (
            IndicatorValue.objects.select_for_update(of=("self",))
            .select_related("indicator", "updated_by")
            .get(pk=value.pk)
        )
        _review_one(value, Decision("return", expected_version, reason), user=user, authors={})
        _settle(unit=value.unit, period=value.period, user=user)
        return value


def submission_review(
    *, user, unit: AdminUnit, period: ReportingPeriod, decisions: Mapping[int, Decision]
) -> Submission:
    """Apply a reviewer's decisions on several values (value id → decision) all together or not at all."""
    with transaction.atomic():
        _check_open(period, unit)
        values = {
            v.pk: v
            for v in IndicatorValue.objects.select_for_update(of=("self",))
            .select_related("indicator", "updated_by")
            .filter(unit=unit, period=period, pk__in=list(decisions))
        }
        if set(decisions) - set(values):
            raise EntryError(_("Có giá trị không thuộc hồ sơ này."))
        authors = _authors(values)
        for pk, decision in decisions.items():
            _review_one(values[pk], decision, user=user, authors=authors)
        return _settle(unit=unit, period=period, user=user)


def _submitted(unit: AdminUnit, period: ReportingPeriod) -> dict[int, Decision]:
    return {
        pk: Decision("approve", version)
        for pk, version in IndicatorValue.objects.filter(
            unit=unit, period=period, status=ValueStatus.SUBMITTED
        ).values_list("pk", "version")
    }


def submission_approve(*, user, unit: AdminUnit, period: ReportingPeriod) -> Submission:
    """Approve every value of the unit that waits for review."""
    with transaction.atomic():
        decisions = _submitted(unit, period)
        if not decisions:
            raise EntryError(_("Không có giá trị nào chờ duyệt."))
        return submission_review(user=user, unit=unit, period=period, decisions=decisions)


def submission_return(*, user, unit: AdminUnit, period: ReportingPeriod, reason: str) -> Submission:
    """Return every value of the unit that waits for review, with one reason."""
    if not (reason or "").strip():
        raise ReasonRequired(_("Trả lại cần ghi lý do để cán bộ xã biết cần sửa gì."))
    with transaction.atomic():
        decisions = {pk: Decision("return", d.version, reason) for pk, d in _submitted(unit, period).items()}
        if not decisions:
            raise EntryError(_("Không có giá trị nào chờ duyệt."))
        return submission_review(user=user, unit=unit, period=period, decisions=decisions)


def period_lock(*, user, period: ReportingPeriod, province: AdminUnit | None, locked: bool = True) -> ReportingPeriod:
    """Lock (or reopen) a period for one province, or nationwide (`province` None, administrators only).

    A locked period refuses every edit, upload and review of the units it is locked for. A provincial
    coordinator locks only his own province(s)."""
    rights = rights_for(user)
    if province is None:
        if not rights.is_admin:
            raise PermissionDenied(_("Chỉ quản trị viên được khóa kỳ báo cáo trên toàn quốc."))
    elif province.level != Level.PROVINCE:
        raise EntryError(_("Chỉ khóa kỳ báo cáo theo tỉnh."))
    elif not rights.can_coordinate(province):
        raise PermissionDenied(_("Bạn chỉ được khóa kỳ báo cáo của tỉnh mình."))
    with transaction.atomic():
        period = ReportingPeriod.objects.select_for_update(of=("self",)).get(pk=period.pk)
        if province is None:
            period.locked = locked
            period.locked_at = timezone.now() if locked else None
            period.locked_by = user if locked else None
            period.save(update_fields=["locked", "locked_at", "locked_by"])
        elif locked:
            PeriodLock.objects.get_or_create(period=period, province=province, defaults={"locked_by": user})
        else:
            PeriodLock.objects.filter(period=period, province=province).delete()
        return period
