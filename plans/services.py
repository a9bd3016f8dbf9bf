"""Writes of plans: yearly targets with their expected units, the agency answering for an unmet indicator, capital
by source, essential works. Each checks who may write, validates everything first and writes in one transaction,
so a refused request saves nothing. Refusals raise `PlanError` with the form field (or row and column) it is about.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.access import COORDINATOR_ROLES, rights_for
from communes.models import AdminUnit, Level
from criteria.models import Attainment, Criterion, Indicator, RuleSet, province_code
from criteria.values import InvalidValue, parse_number
from reports.models import YearTarget

from .models import Assignment, Capital, CapitalSource, ExpectedUnit, Work


class PlanError(Exception):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(PlanError):
    pass


# --- who may write --------------------------------------------------------------------------------------------


def may_set_targets(user, unit: AdminUnit) -> bool:
    """Yearly targets are the province's: its coordination office, for the province and (old map) its districts."""
    rights = rights_for(user)
    if rights.is_admin:
        return True
    province = province_code(unit) + "/"
    return any(role in COORDINATOR_ROLES and path == province for role, path in rights.grants)


def may_assign(user, unit: AdminUnit) -> bool:
    """Agencies and deadlines for a unit's unmet indicators: the levels above it that review it."""
    return rights_for(user).can_review(unit)


def may_enter_capital(user, unit: AdminUnit) -> bool:
    """Capital and works: whoever enters the unit's data, or reviews it from above."""
    rights = rights_for(user)
    return rights.can_edit(unit) or rights.can_review(unit)


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotAllowed(_("Bạn không có quyền thay đổi kế hoạch của đơn vị này."))


def _unit_in(code: str, parent: AdminUnit, *, field: str, day: dt.date) -> AdminUnit:
    """The unit a code names inside `parent`'s subtree on the day; refused naming the code otherwise."""
    code = (code or "").strip()
    candidates = list(AdminUnit.objects.filter(code=code).current(day)) or list(AdminUnit.objects.filter(code=code))
    if not candidates:
        raise PlanError(_("Không có đơn vị mã %(code)s.") % {"code": code}, field=field)
    inside = [u for u in candidates if u.path.startswith(parent.path)]
    if not inside:
        raise PlanError(
            _("Đơn vị %(name)s (%(code)s) không thuộc %(parent)s.")
            % {"name": candidates[0].name, "code": code, "parent": parent.name},
            field=field,
        )
    return inside[0]


# --- yearly targets -------------------------------------------------------------------------------------------


def target_set(
    *,
    user,
    province: AdminUnit,
    unit_code: str,
    year: int,
    rule_set: RuleSet,
    count: int,
    additional: bool = True,
    note: str = "",
    expected_codes: list[str] | tuple[str, ...] = (),
    is_demo: bool = False,
) -> YearTarget:
    """Set (or change) the yearly target of the province or one of its districts, with the units expected to
    reach the tier during the year."""
    _require(may_set_targets(user, province))
    day = dt.date(year, 12, 31) if 2000 <= year <= 2100 else None
    if day is None:
        raise PlanError(_("Năm %(y)s nằm ngoài khoảng cho phép.") % {"y": year}, field="year")
    unit = _unit_in(unit_code, province, field="unit_code", day=day)
    _require(may_set_targets(user, unit))
    if unit.level > Level.DISTRICT:
        raise PlanError(_("Mục tiêu năm đặt cho tỉnh hoặc huyện."), field="unit_code")
    if rule_set.level <= unit.level:
        raise PlanError(_("Bộ tiêu chí phải dành cho cấp dưới của đơn vị đặt mục tiêu."), field="rule_set")
    if count < 0:
        raise PlanError(_("Số đơn vị không được âm."), field="count")
    expected: list[AdminUnit] = []
    for code in dict.fromkeys(c.strip() for c in expected_codes if c.strip()):
        member = _unit_in(code, unit, field="expected", day=day)
        if member.level != rule_set.level:
            raise PlanError(
                _("%(name)s (%(code)s) không thuộc cấp của bộ tiêu chí «%(set)s».")
                % {"name": member.name, "code": code, "set": rule_set.name},
                field="expected",
            )
        expected.append(member)
    with transaction.atomic():
        target, _created = YearTarget.objects.update_or_create(
            unit=unit,
            year=year,
            rule_set=rule_set,
            defaults={"count": count, "additional": additional, "note": (note or "")[:300], "is_demo": is_demo},
        )
        ExpectedUnit.objects.filter(target=target).exclude(unit__in=expected).delete()
        have = set(ExpectedUnit.objects.filter(target=target).values_list("unit_id", flat=True))
        ExpectedUnit.objects.bulk_create([ExpectedUnit(target=target, unit=u) for u in expected if u.pk not in have])
    return target


def target_delete(*, user, target: YearTarget) -> None:
    _require(may_set_targets(user, target.unit))
    target.delete()


# --- responsible agencies -------------------------------------------------------------------------------------


def latest_result(unit: AdminUnit, rule_set_id: int) -> Attainment | None:
    return (
        Attainment.objects.filter(unit=unit, rule_set_id=rule_set_id)
        .select_related("period")
        .order_by("-period__end", "period__start")
        .first()
    )


def assignment_set(
    *,
    user,
    unit: AdminUnit,
    indicator: Indicator,
    agency: str,
    deadline: dt.date,
    note: str = "",
    today: dt.date | None = None,
    is_demo: bool = False,
) -> Assignment:
    """Name the agency responsible for an unmet indicator of the unit and the deadline. A new assignment (or a
    changed deadline) cannot be dated in the past."""
    _require(may_assign(user, unit))
    today = today or timezone.localdate()
    agency = (agency or "").strip()
    if not agency:
        raise PlanError(_("Hãy nhập cơ quan phụ trách."), field="agency")
    row = latest_result(unit, indicator.rule_set_id)
    status = ((row.indicator_status or {}).get(indicator.code) or {}).get("status") if row else None
    if status == "met":
        raise PlanError(
            _("Chỉ tiêu %(code)s của %(unit)s đã đạt (kỳ %(p)s): không cần giao.")
            % {"code": indicator.code, "unit": unit.name, "p": row.period.code},
            field="indicator",
        )
    with transaction.atomic():
        existing = Assignment.objects.select_for_update().filter(unit=unit, indicator=indicator).first()
        if deadline < today and (existing is None or existing.deadline != deadline):
            raise PlanError(
                _("Hạn %(d)s đã qua: hạn của việc giao mới phải từ hôm nay (%(t)s) trở đi.")
                % {"d": deadline.strftime("%d/%m/%Y"), "t": today.strftime("%d/%m/%Y")},
                field="deadline",
            )
        assignment = existing or Assignment(unit=unit, indicator=indicator, assigned_on=today, assigned_by=user)
        assignment.agency = agency[:200]
        assignment.deadline = deadline
        assignment.note = (note or "").strip()[:300]
        assignment.is_demo = is_demo
        assignment.save()
    return assignment


# --- capital and works ----------------------------------------------------------------------------------------


def _amount(raw, *, field: str) -> Decimal:
    if raw in (None, ""):
        return Decimal(0)
    try:
        value = parse_number(raw)
    except InvalidValue as exc:
        raise PlanError(str(exc), field=field) from exc
    if value < 0:
        raise PlanError(_("Số tiền không được âm, nhận được %(v)s.") % {"v": raw}, field=field)
    if value >= Decimal("1e12"):
        raise PlanError(_("Số tiền %(v)s quá lớn (đơn vị: triệu đồng).") % {"v": raw}, field=field)
    return value.quantize(Decimal("0.01"))


def capital_set(
    *, user, unit: AdminUnit, year: int, source: str, planned, disbursed, note: str = "", is_demo: bool = False
) -> Capital:
    """Capital planned and disbursed for a unit, a year and a source (million VND)."""
    _require(may_enter_capital(user, unit))
    if source not in CapitalSource.values:
        raise PlanError(_("Nguồn vốn «%(s)s» không có trong danh mục.") % {"s": source}, field="source")
    if not 2000 <= int(year) <= 2100:
        raise PlanError(_("Năm %(y)s nằm ngoài khoảng cho phép.") % {"y": year}, field="year")
    planned_value = _amount(planned, field="planned")
    disbursed_value = _amount(disbursed, field="disbursed")
    with transaction.atomic():
        capital, _created = Capital.objects.update_or_create(
            unit=unit,
            year=year,
            source=source,
            defaults={
                "planned": planned_value,
                "disbursed": disbursed_value,
                "note": (note or "").strip()[:300],
                "updated_by": user,
                "is_demo": is_demo,
            },
        )
    return capital


def work_set(
    *,
    user,
    unit: AdminUnit,
    year: int,
    name: str,
    criterion: Criterion | None,
    progress,
    planned_end: dt.date,
    planned_cost=None,
    finished_on: dt.date | None = None,
    note: str = "",
    is_demo: bool = False,
) -> Work:
    """An essential work of the unit: created, or updated by its name and year."""
    _require(may_enter_capital(user, unit))
    name = (name or "").strip()
    if not name:
        raise PlanError(_("Hãy nhập tên công trình."), field="name")
    try:
        percent = parse_number(progress if progress not in (None, "") else 0)
    except InvalidValue as exc:
        raise PlanError(str(exc), field="progress") from exc
    if not 0 <= percent <= 100 or percent != percent.to_integral_value():
        raise PlanError(_("Tiến độ là số nguyên từ 0 đến 100%%, nhận được %(v)s.") % {"v": progress}, field="progress")
    if finished_on is not None and percent < 100:
        raise PlanError(_("Công trình đã hoàn thành thì tiến độ phải là 100%."), field="progress")
    cost = _amount(planned_cost, field="planned_cost") if planned_cost not in (None, "") else None
    with transaction.atomic():
        work, _created = Work.objects.update_or_create(
            unit=unit,
            year=year,
            name=name[:300],
            defaults={
                "criterion": criterion,
                "progress": int(percent),
                "planned_end": planned_end,
                "planned_cost": cost,
                "finished_on": finished_on,
                "note": (note or "").strip()[:300],
                "updated_by": user,
                "is_demo": is_demo,
            },
        )
    return work
