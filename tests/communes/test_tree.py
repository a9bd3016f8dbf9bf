"""The unit tree: subtree queries, validity dates and the services that change the tree with history."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from communes.models import AdminUnit, Kind, UnitChange
from communes.services import unit_merge, unit_reclassify, unit_rename
from tests.factories import AdminUnitFactory, IndicatorValueFactory, make_tree

pytestmark = pytest.mark.django_db

D = dt.date(2025, 7, 1)


def test_subtree_is_one_query_and_exact(django_assert_num_queries):
    province, district, (x1, x2) = make_tree(communes=2, prefix="7")
    village = AdminUnitFactory(kind=Kind.THON, code="T1", parent=x1)
    # A neighbouring district whose code shares the prefix "711" must not leak in.
    other = AdminUnitFactory(kind=Kind.HUYEN, code="7111", parent=province)
    AdminUnitFactory(kind=Kind.XA, code="79999", parent=other)

    with django_assert_num_queries(1):
        units = list(AdminUnit.objects.subtree_of(district))
    assert units == [district, x1, village, x2]
    with django_assert_num_queries(1):
        assert list(AdminUnit.objects.subtree_of(district, include_self=False)) == [x1, village, x2]
    assert list(AdminUnit.objects.ancestors_of(village)) == [province, district, x1]


def test_merge_keeps_the_absorbed_unit_and_its_data_and_dates_validity():
    _province, district, (absorbed, into) = make_tree(communes=2, prefix="7")
    village = AdminUnitFactory(kind=Kind.THON, code="T1", parent=absorbed)
    value = IndicatorValueFactory(unit=absorbed)

    change = unit_merge(absorbed=absorbed, into=into, effective=D, legal_basis="Nghị quyết 1234/NQ-UBTVQH15")

    absorbed.refresh_from_db()
    assert (absorbed.valid_to, absorbed.successor) == (D, into)
    assert (change.unit, change.kind, change.effective, change.successor) == (absorbed, "merge", D, into)
    assert (change.old_name, change.new_name, change.legal_basis) == (
        absorbed.name,
        into.name,
        "Nghị quyết 1234/NQ-UBTVQH15",
    )
    assert list(into.predecessors.all()) == [absorbed]
    # Past data and the subtree stay attached to the absorbed unit.
    value.refresh_from_db()
    assert value.unit == absorbed
    assert AdminUnit.objects.get(pk=village.pk).parent == absorbed

    subtree = AdminUnit.objects.subtree_of(district)
    assert absorbed in subtree.current(on=D - dt.timedelta(days=1))
    assert absorbed not in subtree.current(on=D)
    assert absorbed not in subtree.current(on=D + dt.timedelta(days=365))
    assert into in subtree.current(on=D) and into in subtree.current(on=D - dt.timedelta(days=1))


def test_merge_refuses_nonsense():
    province, district, (x1, x2) = make_tree(communes=2, prefix="7")
    with pytest.raises(ValidationError):
        unit_merge(absorbed=x1, into=x1, effective=D)
    with pytest.raises(ValidationError):
        unit_merge(absorbed=x1, into=district, effective=D)
    unit_merge(absorbed=x1, into=x2, effective=D)
    with pytest.raises(ValidationError):  # already merged
        unit_merge(absorbed=x1, into=x2, effective=D + dt.timedelta(days=10))
    x3 = AdminUnitFactory(kind=Kind.XA, code="70003", parent=district)
    with pytest.raises(ValidationError):  # nothing can be merged into a unit that no longer exists
        unit_merge(absorbed=x3, into=x1, effective=D + dt.timedelta(days=10))
    assert UnitChange.objects.count() == 1


def test_rename_records_old_and_new_name():
    _province, _district, (x1, _x2) = make_tree(communes=2, prefix="7")
    old = x1.name
    change = unit_rename(unit=x1, new_name="  Xã Đồng Tâm  ", effective=D, legal_basis="NQ 5")
    x1.refresh_from_db()
    assert x1.name == "Xã Đồng Tâm"
    assert (change.kind, change.old_name, change.new_name, change.effective, change.legal_basis) == (
        "rename",
        old,
        "Xã Đồng Tâm",
        D,
        "NQ 5",
    )
    with pytest.raises(ValidationError):
        unit_rename(unit=x1, new_name="Xã Đồng Tâm", effective=D)
    with pytest.raises(ValidationError):
        unit_rename(unit=x1, new_name=" ", effective=D)
    assert x1.changes.count() == 1


def test_reclassify_xa_to_phuong_swaps_the_prefix():
    _province, _district, (x1, _x2) = make_tree(communes=2, prefix="7")
    AdminUnit.objects.filter(pk=x1.pk).update(name="Xã Hải Yên")
    x1.refresh_from_db()

    change = unit_reclassify(unit=x1, new_kind=Kind.PHUONG, effective=D, legal_basis="NQ 7")
    x1.refresh_from_db()
    assert (x1.kind, x1.name, x1.is_rural_commune) == (Kind.PHUONG, "Phường Hải Yên", False)
    assert (change.kind, change.old_name, change.new_name) == ("reclassify", "Xã Hải Yên", "Phường Hải Yên")

    unit_reclassify(unit=x1, new_kind="thi_tran", effective=D, new_name="Thị trấn Cái Rồng")
    x1.refresh_from_db()
    assert (x1.kind, x1.name) == (Kind.THI_TRAN, "Thị trấn Cái Rồng")


def test_reclassify_stays_within_the_level():
    _province, district, (x1, _x2) = make_tree(communes=2, prefix="7")
    with pytest.raises(ValidationError):
        unit_reclassify(unit=x1, new_kind=Kind.HUYEN, effective=D)
    with pytest.raises(ValidationError):
        unit_reclassify(unit=x1, new_kind=Kind.XA, effective=D)
    unit_reclassify(unit=district, new_kind=Kind.THI_XA, effective=D)
    district.refresh_from_db()
    assert district.kind == Kind.THI_XA
    assert not UnitChange.objects.filter(unit=x1).exists()
