"""Demo yearly targets for Quảng Ninh, marked demo: the shape of the provincial plans
("tỉnh đặt mục tiêu có thêm 2 huyện, 2 xã đạt chuẩn NTM nâng cao"), not the province's real figures."""

from __future__ import annotations

from communes.models import AdminUnit
from criteria.models import RuleSet

from .models import YearTarget

DEMO_TARGETS = (
    # province, year, rule set, count (additional units in the year), note
    ("22", 2023, "xa-ntm-nang-cao-2021-2025", 2, "Mục tiêu mẫu: thêm 2 xã đạt chuẩn NTM nâng cao trong năm"),
    ("22", 2023, "huyen-ntm-nang-cao-2021-2025", 2, "Mục tiêu mẫu: thêm 2 huyện đạt chuẩn NTM nâng cao trong năm"),
)


def demo_targets() -> int:
    """Write the demo targets (idempotent); returns how many there are."""
    written = 0
    for code, year, rule_set_code, count, note in DEMO_TARGETS:
        unit = AdminUnit.objects.filter(code=code).first()
        rule_set = RuleSet.objects.filter(code=rule_set_code).order_by("-version").first()
        if unit is None or rule_set is None:
            continue
        YearTarget.objects.update_or_create(
            unit=unit,
            year=year,
            rule_set=rule_set,
            defaults={"count": count, "additional": True, "note": note, "is_demo": True},
        )
        written += 1
    return written
