"""Entering, submitting and reviewing indicator values, and locking periods.

Every change of a value or of its status writes a ValueChange (who, when, old and new, why) and bumps the value's
version; a save carries the version the official saw, so a save from a stale page is refused, never applied over
someone else's. Saving queues the recompute of the unit and its ancestors once the transaction has committed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
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
    province_code,
)
from criteria.tasks import queue_recompute
from criteria.values import VI, InvalidValue, format_number, value_parse

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


def display_value(kind: str, number, boolean) -> str:
    if kind == ValueKind.BOOL:
        return "" if boolean is None else (_("có") if boolean else _("không"))
    return format_number(number)


def _record(value: IndicatorValue, *, action: str, user, old: tuple, reason: str = "", source: str = "") -> ValueChange:
    old_number, old_boolean, old_note, old_status = old
    return ValueChange.objects.create(
        value=value,
        action=action,
        source=source,
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


@dataclass(frozen=True)
class ValueInput:
    """One value to save: as typed in the form, read from a file, or given by a program."""

    unit: AdminUnit
    indicator: Indicator
    raw: Any
    note: str | None = None  # None keeps the stored note
    expected_version: int | None = None  # the version the writer saw (0: none); None: whatever is stored
    reason: str = ""  # required to change an approved value


@dataclass
class ValueRefused:
    index: int  # position in the items given
    item: ValueInput
    error: Exception  # EntryError (StaleValue carries the current value) or InvalidValue

    @property
    def message(self) -> str:
        return getattr(self.error, "message", None) or str(self.error)


class ValuesRefused(EntryError):
    """Values refused; with `partial=False` nothing at all was written."""

    def __init__(self, refused: list[ValueRefused]):
        super().__init__("\n".join(r.message for r in refused))
        self.refused = refused


@dataclass
class ValuesSaved:
    saved: list[IndicatorValue] = field(default_factory=list)
    unchanged: int = 0
    refused: list[ValueRefused] = field(default_factory=list)  # only with partial=True
    units: list[AdminUnit] = field(default_factory=list)


class PeriodClash(EntryError):
    """The unit already reports for another period ending the same day."""


# PostgreSQL advisory locks serialising a period lock with the writes it must stop: writers hold the
# (period, province) and (period, everywhere) keys shared, so they never wait for one another; locking a
# period takes the key exclusively, so it waits for the writes in flight and the next writes wait for it,
# then read the lock and refuse.
_WRITE_GUARD = 0x4E544D  # "NTM"
_EVERYWHERE = "*"


def _guard_key(period_id: int, province: str) -> int:
    return zlib.crc32(f"{period_id}:{province}".encode()) - 2**31


def _guard(period: ReportingPeriod, provinces: Iterable[str], *, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite lets one writing transaction at a time into the whole database
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    keys = sorted({_guard_key(period.pk, code) for code in provinces})
    with connection.cursor() as cur:
        for key in keys:
            cur.execute(f"SELECT {function}(%s, %s)", [_WRITE_GUARD, key])  # noqa: S608 (a fixed name)


def _locked_provinces(period: ReportingPeriod, provinces: set[str]) -> set[str]:
    """Read inside the transaction, after the guard: the provinces (of those given) where the period is locked."""
    fresh = ReportingPeriod.objects.filter(pk=period.pk).values_list("locked", flat=True).first()
    if fresh:
        return set(provinces)
    return set(
        PeriodLock.objects.filter(period=period, province__code__in=provinces).values_list("province__code", flat=True)
    )


def _clashes(period: ReportingPeriod, unit_ids: set[int]) -> dict[int, ReportingPeriod]:
    """Units that already report for another period ending the same day (one report per unit per end date)."""
    rows = (
        IndicatorValue.objects.filter(unit_id__in=unit_ids, period__end=period.end)
        .exclude(period=period)
        .values_list("unit_id", "period_id")
        .distinct()
    )
    periods = {p.pk: p for p in ReportingPeriod.objects.filter(pk__in={pk for _u, pk in rows})}
    out: dict[int, ReportingPeriod] = {}
    for unit_id, period_id in rows:
        if unit_id not in out or periods[period_id].code < out[unit_id].code:
            out[unit_id] = periods[period_id]
    return out


def period_clash_message(unit: AdminUnit, period: ReportingPeriod, other: ReportingPeriod) -> str:
    return _(
        "%(unit)s đã có báo cáo kỳ %(other)s, kết thúc cùng ngày %(end)s với kỳ %(period)s: mỗi đơn vị chỉ có một "
        "báo cáo cho một ngày kết thúc kỳ. Nhập vào kỳ %(other)s."
    ) % {"unit": unit.name, "other": other.code, "period": period.code, "end": period.end.strftime("%d/%m/%Y")}


_Planned = tuple  # (index, item, number, boolean, note or None, reason)


def _values_read(
    *, period: ReportingPeriod, items: Sequence[ValueInput], catalog: Catalog, convention: str | None
) -> tuple[list[ValueRefused], list[_Planned]]:
    """Read and check every value without writing anything: kind, plausible range, rule sets, note."""
    refused: list[ValueRefused] = []
    planned: list[_Planned] = []
    editable: dict[int, dict[int, Indicator]] = {}
    for index, item in enumerate(items):
        unit, indicator = item.unit, item.indicator
        if unit.pk not in editable:
            editable[unit.pk] = {i.id: i for e in catalog.applicable(unit, period) for i in e.indicators}
        try:
            if indicator.id not in editable[unit.pk]:
                editable_indicator(unit=unit, period=period, indicator=indicator, catalog=catalog)
            if indicator.derived:
                raise NotEditable(_("Chỉ tiêu %(code)s được tính tự động, không nhập tay.") % {"code": indicator.code})
            parsed = value_parse(indicator, item.raw, convention=convention)
            note = None if item.note is None else item.note.strip()
            if note is not None and len(note) > NOTE_MAX:
                raise InvalidValue(_("Ghi chú dài quá %(n)d ký tự.") % {"n": NOTE_MAX})
        except (EntryError, InvalidValue) as exc:
            refused.append(ValueRefused(index, item, exc))
            continue
        number = None if indicator.kind == ValueKind.BOOL else parsed
        boolean = parsed if indicator.kind == ValueKind.BOOL else None
        planned.append((index, item, number, boolean, note, (item.reason or "").strip()[:REASON_MAX]))
    return refused, planned


def values_check(
    *,
    period: ReportingPeriod,
    items: Sequence[ValueInput],
    catalog: Catalog | None = None,
    convention: str | None = VI,
) -> list[ValueRefused]:
    """What `values_save` would refuse before touching the database (to report every bad cell of a file at once)."""
    refused, _planned = _values_read(period=period, items=items, catalog=catalog or Catalog(), convention=convention)
    return refused


def values_save(
    *,
    user,
    period: ReportingPeriod,
    items: Sequence[ValueInput],
    source: str,
    action: str = ValueChange.Action.SAVE,
    catalog: Catalog | None = None,
    convention: str | None = VI,
    partial: bool = False,
) -> ValuesSaved:
    """The one way values are written: the entry form, the Excel upload, `import_values` and any API.

    Every value is read and checked first (kind, plausible range, rule sets of the unit, note length), then,
    in one transaction that holds the period against a lock taken meanwhile: the lock is read, a unit that
    already reports for another period ending the same day is refused, each value is compared with the
    stored one (its version when the writer says which it saw; an approved value needs a reason and goes
    back to review), written with its history (`source`: form / excel / command / api), and the recompute of
    the units is queued once. With `partial` the good values are saved and the refused ones returned;
    otherwise any refusal raises `ValuesRefused` and nothing is written. A locked period raises
    `PeriodLocked` either way.
    """
    catalog = catalog or Catalog()
    refused, planned = _values_read(period=period, items=items, catalog=catalog, convention=convention)
    if refused and not partial:
        raise ValuesRefused(refused)
    result = ValuesSaved(refused=refused)
    if not planned:
        return result
    if not period.pk:
        period = ReportingPeriod.objects.for_code(period.code)
    units = {item.unit.pk: item.unit for _i, item, *_rest in planned}
    provinces = {province_code(u) for u in units.values()}
    with transaction.atomic():
        _guard(period, provinces | {_EVERYWHERE}, exclusive=False)
        locked = _locked_provinces(period, provinces)
        if locked:
            names = sorted(u.name for u in units.values() if province_code(u) in locked)
            raise PeriodLocked(
                _(
                    "Kỳ báo cáo %(p)s đã khóa: không nhận thay đổi (%(units)s). Liên hệ văn phòng điều phối tỉnh nếu "
                    "cần mở lại."
                )
                % {"p": period.code, "units": ", ".join(names[:5]) + ("…" if len(names) > 5 else "")}
            )
        clashes = _clashes(period, set(units))
        current = {
            (v.unit_id, v.indicator_id): v
            for v in IndicatorValue.objects.select_for_update(of=("self",))
            .select_related("indicator", "updated_by")
            .filter(period=period, unit_id__in=list(units), indicator_id__in={i.indicator.id for _x, i, *_r in planned})
        }
        late: list[ValueRefused] = []
        writes: list[tuple[int, ValueInput, Decimal | None, bool | None, str | None, str, IndicatorValue | None]] = []
        for index, item, number, boolean, note, reason in planned:
            try:
                if item.unit.pk in clashes:
                    raise PeriodClash(period_clash_message(item.unit, period, clashes[item.unit.pk]))
                stored = current.get((item.unit.pk, item.indicator.id))
                if stored is None:
                    if item.expected_version not in (None, 0):
                        raise _stale(None)
                elif (stored.number, stored.boolean, stored.note) == (
                    number,
                    boolean,
                    stored.note if note is None else note,
                ):
                    result.unchanged += 1  # nothing to change, whoever saved last: the two agree
                    continue
                elif item.expected_version is not None and stored.version != item.expected_version:
                    raise _stale(stored)
                elif stored.status == ValueStatus.APPROVED and not reason:
                    raise ReasonRequired(_("Giá trị đã được duyệt: ghi lý do thay đổi. Giá trị sẽ được gửi duyệt lại."))
            except EntryError as exc:
                late.append(ValueRefused(index, item, exc))
                continue
            writes.append((index, item, number, boolean, note, reason, stored))
        if late and not partial:
            raise ValuesRefused(late)
        result.refused.extend(late)
        reopened: set[int] = set()
        for index, item, number, boolean, note, reason, stored in writes:
            if stored is None:
                value = IndicatorValue(
                    unit=item.unit,
                    indicator=item.indicator,
                    period=period,
                    number=number,
                    boolean=boolean,
                    note=note or "",
                    status=ValueStatus.DRAFT,
                    version=1,
                    updated_by=user if getattr(user, "is_authenticated", False) else None,
                )
                try:
                    with transaction.atomic():
                        value.save()
                except IntegrityError:  # someone created it in the meantime
                    error = _stale(
                        IndicatorValue.objects.select_related("indicator", "updated_by")
                        .filter(unit=item.unit, indicator=item.indicator, period=period)
                        .first()
                    )
                    if not partial:
                        raise ValuesRefused([ValueRefused(index, item, error)])
                    result.refused.append(ValueRefused(index, item, error))
                    continue
                _record(value, action=action, user=user, old=(None, None, "", ""), reason=reason, source=source)
                result.saved.append(value)
                continue
            old = _state(stored)
            stored.number, stored.boolean = number, boolean
            if note is not None:
                stored.note = note
            if stored.status == ValueStatus.APPROVED:
                stored.status = ValueStatus.SUBMITTED  # changed after approval: back to review
                if item.unit.pk not in reopened:
                    _reopen_submission(unit=item.unit, period=period, user=user)
                    reopened.add(item.unit.pk)
            elif stored.status == ValueStatus.RETURNED:
                stored.status = ValueStatus.DRAFT  # the reason stays visible until it is sent again
            stored.version += 1
            stored.updated_by = user if getattr(user, "is_authenticated", False) else None
            stored.is_demo = False
            stored.save()
            _record(stored, action=action, user=user, old=old, reason=reason, source=source)
            result.saved.append(stored)
        changed_units = {v.unit_id for v in result.saved}
        result.units = [units[pk] for pk in sorted(changed_units)]
        if result.units:
            queue_recompute(period=period, units=result.units)
    return result


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
    source: str = ValueChange.Source.FORM,
) -> IndicatorValue | None:
    """Save one typed value (a draft) through `values_save`. Returns the value, or None when nothing differs.

    `expected_version` is the version the official saw (0: there was no value): anything else is refused with the
    current value. An approved value changes only with a reason, and goes back to review. Raises the refusal
    itself (InvalidValue, StaleValue, ReasonRequired, NotEditable, PeriodLocked, PeriodClash).
    """
    try:
        result = values_save(
            user=user,
            period=period,
            items=[ValueInput(unit, indicator, raw, note or "", expected_version, reason)],
            source=source,
            action=action,
            catalog=catalog,
        )
    except ValuesRefused as exc:
        raise exc.refused[0].error
    return result.saved[0] if result.saved else None


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
    source = ValueChange.Source.FORM if action == ValueChange.Action.SUBMIT else ValueChange.Source.REVIEW
    _record(value, action=action, user=user, old=old, reason=reason, source=source)


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
        # Waits for the writes in flight in this province (or anywhere, for a nationwide lock); the writes
        # that come next wait for this transaction and then find the lock.
        _guard(period, [province.code if province is not None else _EVERYWHERE], exclusive=True)
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
