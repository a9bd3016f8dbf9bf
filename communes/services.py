"""Changes of the administrative tree that must keep history: merges, renames, reclassifications."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .importers import KIND_PREFIX
from .models import KIND_LEVEL, AdminUnit, Kind, UnitChange


def _require_current(unit: AdminUnit, on: dt.date) -> None:
    if unit.valid_to is not None and unit.valid_to <= on:
        raise ValidationError(
            _("«%(unit)s» đã hết hiệu lực từ %(date)s") % {"unit": unit.name, "date": unit.valid_to.isoformat()}
        )


@transaction.atomic
def unit_merge(*, absorbed: AdminUnit, into: AdminUnit, effective: dt.date, legal_basis: str = "") -> UnitChange:
    """`absorbed` stops being valid on `effective`; `into` takes over its area.

    The absorbed unit, its children and its recorded values stay in place, so past results keep the unit
    they were computed for; `successor` tells where the area went.
    """
    if absorbed.pk == into.pk:
        raise ValidationError(_("Không thể sáp nhập một đơn vị vào chính nó"))
    # Judge validity on the stored rows: the caller's objects may predate another merge.
    locked = AdminUnit.objects.select_for_update().in_bulk([absorbed.pk, into.pk])
    stored_absorbed, stored_into = locked[absorbed.pk], locked[into.pk]
    if stored_absorbed.level != stored_into.level:
        raise ValidationError(_("Chỉ sáp nhập được các đơn vị cùng cấp"))
    _require_current(stored_absorbed, effective)
    _require_current(stored_into, effective)
    AdminUnit.objects.filter(pk=absorbed.pk).update(valid_to=effective, successor=into)
    absorbed.valid_to, absorbed.successor = effective, into
    return UnitChange.objects.create(
        unit=absorbed,
        kind=UnitChange.ChangeKind.MERGE,
        effective=effective,
        old_name=absorbed.name,
        new_name=into.name,
        successor=into,
        legal_basis=legal_basis,
    )


@transaction.atomic
def unit_rename(*, unit: AdminUnit, new_name: str, effective: dt.date, legal_basis: str = "") -> UnitChange:
    new_name = new_name.strip()
    if not new_name:
        raise ValidationError(_("Tên mới không được để trống"))
    if new_name == unit.name:
        raise ValidationError(_("Tên mới trùng với tên hiện tại"))
    old_name = unit.name
    unit.name = new_name
    unit.save(update_fields=["name"])
    return UnitChange.objects.create(
        unit=unit,
        kind=UnitChange.ChangeKind.RENAME,
        effective=effective,
        old_name=old_name,
        new_name=new_name,
        legal_basis=legal_basis,
    )


@transaction.atomic
def unit_reclassify(
    *,
    unit: AdminUnit,
    new_kind: str,
    effective: dt.date,
    new_name: str | None = None,
    legal_basis: str = "",
) -> UnitChange:
    """E.g. a xã becoming a phường: same level, new kind, and the name takes the new prefix.

    The old name (with its old prefix) is kept on the change record, so "was it a xã in 2023?" stays answerable.
    """
    new_kind = Kind(new_kind)
    if new_kind == unit.kind:
        raise ValidationError(_("Đơn vị đã thuộc loại này"))
    if KIND_LEVEL[new_kind] != unit.level:
        raise ValidationError(_("Chuyển loại chỉ trong cùng một cấp (ví dụ xã lên phường)"))
    old_name = unit.name
    if new_name is None:
        old_prefix, prefix = KIND_PREFIX.get(unit.kind, ""), KIND_PREFIX.get(new_kind, "")
        new_name = old_name
        if old_prefix and prefix and old_name.casefold().startswith(old_prefix.casefold() + " "):
            new_name = prefix + old_name[len(old_prefix) :]
    unit.kind = new_kind
    unit.name = new_name.strip()
    unit.save(update_fields=["kind", "name"])
    return UnitChange.objects.create(
        unit=unit,
        kind=UnitChange.ChangeKind.RECLASSIFY,
        effective=effective,
        old_name=old_name,
        new_name=unit.name,
        legal_basis=legal_basis,
    )
