"""Helpers shared by the management commands: names as officials write them, errors as they can act on."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from communes.models import AdminUnit

from .models import ReportingPeriod, RuleSet, parse_period_code


def unit_by_code(code: str) -> AdminUnit:
    unit = AdminUnit.objects.filter(code=str(code).strip()).first()
    if unit is None:
        raise CommandError(
            _("Không có đơn vị mã '%(code)s' (mã GSO: tỉnh 2 số, huyện 3 số, xã 5 số, ví dụ 22, 198, 06844).")
            % {"code": code}
        )
    return unit


def period_by_code(code: str, *, create: bool) -> ReportingPeriod:
    code = (code or "").strip()
    try:
        parse_period_code(code)
    except ValueError as exc:
        raise CommandError(str(exc))
    if create:
        return ReportingPeriod.objects.for_code(code)
    period = ReportingPeriod.objects.filter(code=code.strip()).first()
    if period is None:
        raise CommandError(_("Chưa có số liệu nào cho kỳ %(code)s.") % {"code": code})
    return period


def check_rule_set_code(code: str) -> str:
    if not RuleSet.objects.published().filter(code=code).exists():
        known = ", ".join(sorted(set(RuleSet.objects.published().values_list("code", flat=True))))
        raise CommandError(
            _("Không có bộ tiêu chí mã '%(code)s'. Các mã có: %(known)s") % {"code": code, "known": known}
        )
    return code
