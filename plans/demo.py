"""Demo plans, marked demo: Quảng Ninh's 2023 targets set through the same service as the targets page, the units
the plan expects, agencies and deadlines for Đồng Tâm's unmet indicators, and some capital and works of Đồng Tâm.
Only the shape comes from the articles ("tỉnh đặt mục tiêu có thêm 2 huyện, 2 xã đạt chuẩn NTM nâng cao", "chỉ tiêu
chưa đạt và đơn vị phụ trách"); every figure, agency and date is invented."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from communes.models import AdminUnit
from criteria.models import Attainment, Criterion, Indicator, RuleSet
from reports.demo import DEMO_TARGETS

from .models import Assignment
from .services import assignment_set, capital_set, target_set, work_set

PROVINCE = "22"
DONG_TAM = "06844"
# The units the demo plan expects to reach each tier in 2023: the two xã of Bình Liêu that reached nâng cao in 2023
# (report 003) and the two districts closest to it in mid-2023 (report 002).
EXPECTED = {
    "xa-ntm-nang-cao-2021-2025": ["06841", "06859"],
    "huyen-ntm-nang-cao-2021-2025": ["203", "201"],
}
# Which office of the district answers for a criterion, by words of the criterion's name (demo).
AGENCIES = (
    (("giao thông", "thủy lợi", "điện", "hạ tầng", "nhà ở", "quy hoạch"), "Phòng Kinh tế và Hạ tầng huyện Bình Liêu"),
    (("thu nhập", "nghèo", "lao động"), "Phòng Lao động - Thương binh và Xã hội huyện Bình Liêu"),
    (("giáo dục",), "Phòng Giáo dục và Đào tạo huyện Bình Liêu"),
    (("y tế",), "Phòng Y tế huyện Bình Liêu"),
    (("văn hóa", "thông tin"), "Phòng Văn hóa và Thông tin huyện Bình Liêu"),
    (("môi trường",), "Phòng Tài nguyên và Môi trường huyện Bình Liêu"),
    (("hành chính", "pháp luật", "chính trị"), "Phòng Tư pháp huyện Bình Liêu"),
    (("quốc phòng", "an ninh"), "Công an huyện Bình Liêu"),
)
DEFAULT_AGENCY = "Phòng Nông nghiệp và Phát triển nông thôn huyện Bình Liêu"


def _agency(indicator: Indicator) -> str:
    name = (indicator.criterion.name if indicator.criterion_id else indicator.text).lower()
    return next((agency for words, agency in AGENCIES if any(w in name for w in words)), DEFAULT_AGENCY)


def demo_plans() -> dict:
    """Write the demo plans (idempotent). Needs the demo's users and stored results."""
    User = get_user_model()
    coordinator = User.objects.filter(username="demo-tinh-dieuphoi").first()
    reviewer = User.objects.filter(username="demo-huyen-binhlieu").first()
    province = AdminUnit.objects.filter(code=PROVINCE).first()
    if coordinator is None or reviewer is None or province is None:
        return {"targets": 0, "assignments": 0}
    targets = 0
    for code, year, rule_set_code, count, note in DEMO_TARGETS:
        rule_set = RuleSet.objects.filter(code=rule_set_code).order_by("-version").first()
        if rule_set is None or code != PROVINCE:
            continue
        target_set(
            user=coordinator,
            province=province,
            unit_code=code,
            year=year,
            rule_set=rule_set,
            count=count,
            note=note,
            expected_codes=EXPECTED.get(rule_set_code, []),
            is_demo=True,
        )
        targets += 1
    dong_tam = AdminUnit.objects.filter(code=DONG_TAM).first()
    assignments = 0
    if dong_tam is not None:
        assignments = _dong_tam(reviewer, dong_tam)
    return {"targets": targets, "assignments": assignments}


def _dong_tam(reviewer, commune: AdminUnit) -> int:
    row = (
        Attainment.objects.filter(unit=commune, rule_set__code="xa-ntm-nang-cao-2021-2025")
        .order_by("-period__end", "period__start")
        .first()
    )
    if row is None:
        return 0
    status = row.indicator_status or {}
    unmet = [
        i
        for i in Indicator.objects.filter(rule_set_id=row.rule_set_id).select_related("criterion").order_by("position")
        if (status.get(i.code) or {}).get("status") not in ("met", None) and not i.derived
    ]
    today = timezone.localdate()
    done = set(Assignment.objects.filter(unit=commune).values_list("indicator_id", flat=True))
    for n, indicator in enumerate(unmet):
        if indicator.pk in done:
            continue
        if n % 3 == 0:
            # assigned after the 9-month review of 2023, due at the end of that year: overdue by now
            assigned, deadline = dt.date(2023, 10, 15), dt.date(2023, 12, 31)
        else:
            assigned, deadline = today, today + dt.timedelta(days=60 * (n % 3 + 1))
        assignment_set(
            user=reviewer,
            unit=commune,
            indicator=indicator,
            agency=_agency(indicator),
            deadline=deadline,
            note="Phân công mẫu",
            today=assigned,
            is_demo=True,
        )
    year = 2023
    for source, planned, disbursed in (
        ("central", "3.500", "2.100"),
        ("local", "1.200", "950"),
        ("mobilised", "400", "380"),
    ):
        capital_set(
            user=reviewer,
            unit=commune,
            year=year,
            source=source,
            planned=planned,
            disbursed=disbursed,
            note="Số liệu mẫu",
            is_demo=True,
        )
    criteria = list(Criterion.objects.filter(rule_set_id=row.rule_set_id))
    for name, words, progress, end in (
        ("(Mẫu) Đường liên thôn", "giao thông", 70, dt.date(2023, 9, 30)),
        ("(Mẫu) Nhà văn hóa thôn", "văn hóa", 100, dt.date(2023, 6, 30)),
    ):
        work_set(
            user=reviewer,
            unit=commune,
            year=year,
            name=name,
            criterion=next((c for c in criteria if words in c.name.lower()), None),
            progress=progress,
            planned_end=end,
            finished_on=end if progress == 100 else None,
            note="Số liệu mẫu",
            is_demo=True,
        )
    return Assignment.objects.filter(unit=commune, is_demo=True).count()
