"""The Quảng Ninh demo: real units, invented villages and values chosen so that the engine reproduces
the figures the provincial reports give (../shared/DOMAIN.md, "What the seed articles report").

Only the counts come from the reports. Which indicators are missing, and every value, is invented and
marked as demo data (IndicatorValue.is_demo, AdminUnit.is_demo, Recognition.is_demo, Membership.is_demo).
The values are derived from each indicator's own target, so the engine, not stored numbers, yields the counts.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import string
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from communes.models import AdminUnit, Kind, Level, Membership, Role
from ocop.demo import ocop_demo_load
from plans.demo import demo_plans
from recognition.demo import demo_dossiers

from . import engine
from .catalog import Catalog, RuleSetEntry
from .models import IndicatorValue, Recognition, ReportingPeriod, ValueKind
from .selectors import unit_context
from .services import attainment_recompute

NC = "xa-ntm-nang-cao-2021-2025"
NTM = "xa-ntm-2021-2025"
KM_QN = "xa-ntm-kieu-mau-qn-2021-2025"
KM_QN9 = "xa-ntm-kieu-mau-qn-9ct-2021-2025"
HUYEN_NC = "huyen-ntm-nang-cao-2021-2025"
THON_NC = "thon-ntm-nang-cao-qn-2021-2025"

PROVINCE = "22"


@dataclass(frozen=True)
class Figure:
    """A reported count: `criteria`/`indicators` met in `period`, optionally with the start-of-year counts."""

    unit: str
    rule_set: str
    period: str
    criteria: int
    indicators: int
    start: tuple[int, int] | None = None  # (criteria, indicators) at the first period of the year
    source: str = ""


START = "2023-Q1"
# The figures of the seed reports, by GSO code. Codes are those of vietnam-provinces 0.6.0.
FIGURES: tuple[Figure, ...] = (
    # 002 (Quảng Ninh, mid-2023). The reports give no start-of-year counts for the communes: the earlier
    # period of the demo is invented (marked demo), the districts' changes are the reported ones.
    Figure("07144", NC, "2023-6M", 11, 57, start=(10, 54), source="002"),  # xã Sông Khoai, TX Quảng Yên
    Figure("07054", NC, "2023-6M", 10, 56, start=(9, 53), source="002"),  # xã Quảng La, TP Hạ Long
    Figure("07108", KM_QN, "2023-6M", 5, 14, start=(4, 12), source="002"),  # xã Hồng Thái Tây, TP Đông Triều
    Figure("06940", NC, "2023-6M", 11, 61, start=(10, 58), source="002"),  # xã Quảng Minh, huyện Hải Hà
    Figure("203", HUYEN_NC, "2023-6M", 8, 36, start=(3, 30), source="002"),  # huyện Vân Đồn: +5, +6
    Figure("201", HUYEN_NC, "2023-6M", 6, 32, start=(4, 26), source="002"),  # huyện Hải Hà: +2, +6
    # 003 (Bình Liêu, 9 months of 2023).
    Figure("198", HUYEN_NC, "2023-9M", 3, 27, start=(3, 25), source="003"),  # huyện Bình Liêu: +2 indicators
    Figure("06847", NC, "2023-9M", 10, 58, source="003"),  # xã Đồng Văn
    Figure("06844", NC, "2023-9M", 12, 61, source="003"),  # xã Đồng Tâm
    Figure("06856", NC, "2023-9M", 9, 57, start=(9, 56), source="003"),  # xã Lục Hồn: +1 indicator
    Figure("06853", NC, "2023-9M", 11, 59, source="003"),  # xã Vô Ngại
    Figure("06841", NC, "2023-9M", 19, 75, source="003"),  # xã Hoành Mô
    Figure("06859", NC, "2023-9M", 19, 75, source="003"),  # xã Húc Động
    Figure("06841", KM_QN9, "2023-9M", 0, 2, source="003"),  # xã Hoành Mô, model-commune set (9 indicators)
    Figure("06859", KM_QN9, "2023-9M", 0, 2, source="003"),  # xã Húc Động, model-commune set (9 indicators)
    # 000 (Móng Cái, July 2022): xã Hải Xuân met all 19 criteria of the advanced set.
    Figure("06745", NC, "2022", 19, 75, source="000"),
)
HAI_XUAN = "06745"
HAI_XUAN_VILLAGES = 13
HAI_XUAN_VILLAGES_MET = 4  # "4/13 thôn trong xã đã đạt chuẩn thôn NTM nâng cao" (000)

# Criteria that the reports name as the hard ones (income, environment, living environment, transport…):
# the demo makes these the missing ones first, so the picture looks like the offices' own.
HARD_FIRST = ("10", "17", "18", "2", "13", "14", "3", "5", "6", "9", "12", "8", "15", "16", "11", "1", "4", "7", "19")

DEMO_USERS = (
    ("demo-xa-dongtam", "06844", Role.COMMUNE_OFFICIAL, "Cán bộ xã Đồng Tâm (mẫu)"),
    ("demo-huyen-binhlieu", "198", Role.DISTRICT_REVIEWER, "Cán bộ huyện Bình Liêu (mẫu)"),
    ("demo-tinh-quangninh", PROVINCE, Role.PROVINCIAL_VIEWER, "Lãnh đạo tỉnh Quảng Ninh (mẫu)"),
    ("demo-tinh-dieuphoi", PROVINCE, Role.PROVINCIAL_COORDINATOR, "Văn phòng điều phối NTM tỉnh Quảng Ninh (mẫu)"),
    ("demo-admin", None, Role.ADMINISTRATOR, "Quản trị hệ thống (mẫu)"),
)


# Letters and digits only, so a printed password copies cleanly from any terminal.
PASSWORD_ALPHABET = string.ascii_letters + string.digits


class DemoError(RuntimeError):
    pass


def plan_failures(
    sizes: dict[str, int], *, criteria_met: int, indicators_met: int, keep: dict[str, int] | None = None
) -> dict[str, int]:
    """How many indicators fail in each criterion so that exactly `criteria_met` criteria and `indicators_met`
    indicators are met. `keep` (criterion → failures) are failures that must stay (a later period's, since
    values only improved); criteria are chosen in HARD_FIRST order."""
    keep = dict(keep or {})
    total_c, total_i = len(sizes), sum(sizes.values())
    unmet_needed, fails_needed = total_c - criteria_met, total_i - indicators_met
    if not (0 <= unmet_needed <= fails_needed) or fails_needed > total_i:
        raise DemoError(f"impossible counts {criteria_met}/{total_c}, {indicators_met}/{total_i}")
    order = sorted(sizes, key=lambda c: (HARD_FIRST.index(c) if c in HARD_FIRST else len(HARD_FIRST), c))
    unmet = [c for c in order if keep.get(c)]
    for code in order:
        if len(unmet) >= unmet_needed:
            break
        if code not in unmet:
            unmet.append(code)
    if len(unmet) != unmet_needed:
        raise DemoError("the kept failures leave too many criteria unmet")
    # make room: swap in larger criteria while the chosen ones cannot hold all failures
    while sum(sizes[c] for c in unmet) < fails_needed:
        spare = [c for c in order if c not in unmet]
        small = min((c for c in unmet if not keep.get(c)), key=lambda c: sizes[c], default=None)
        big = max(spare, key=lambda c: sizes[c], default=None)
        if small is None or big is None or sizes[big] <= sizes[small]:
            raise DemoError("not enough indicators in the unmet criteria")
        unmet[unmet.index(small)] = big
    fails = {c: max(1, keep.get(c, 0)) for c in unmet}
    extra = fails_needed - sum(fails.values())
    if extra < 0:
        raise DemoError("the kept failures exceed the reported missing indicators")
    while extra:
        for code in unmet:
            if extra and fails[code] < sizes[code]:
                fails[code] += 1
                extra -= 1
    return fails


def _demo_value(target: dict, kind: str, *, met: bool, rng: random.Random):
    """A plausible value on the right side of a resolved target."""
    value = engine.value_meeting(target, met=met)
    if isinstance(value, bool) or target["op"] not in (">=", "<=", ">", "<"):
        return value
    ceiling = Decimal(100) if kind == ValueKind.PERCENT else value * 2 + 10
    if target["op"] in (">=", ">") and met:
        value = min(ceiling, value + Decimal(rng.randint(0, 120)) / 10)
    elif target["op"] in (">=", ">"):
        value = max(Decimal(0), value - Decimal(rng.randint(0, 150)) / 10)
    elif met:
        value = max(Decimal(0), value - Decimal(rng.randint(0, 30)) / 10)
    else:
        value = min(ceiling, value + Decimal(rng.randint(0, 80)) / 10)
    if kind == ValueKind.COUNT:
        value = value.to_integral_value()
    if engine.compare(target["op"], value, target.get("value")) is not met:
        value = engine.value_meeting(target, met=met)
    return value


def _values_for(entry: RuleSetEntry, unit: AdminUnit, period: ReportingPeriod, failures: dict[str, int], seed: str):
    """Values for every entered indicator: the first `failures[c]` indicators of criterion c miss their target."""
    rng = random.Random(seed)  # noqa: S311 - demo values, not security
    context = unit_context(unit, period)
    region = engine.effective_region(entry.spec, context)
    out = {}
    for criterion in entry.spec.criteria:
        failing = set(criterion.indicators[: failures.get(criterion.code, 0)])
        for code in criterion.indicators:
            indicator = entry.indicator_by_code[code]
            if indicator.derived:
                continue
            target = engine.resolve_target(indicator.target, context, region)
            out[indicator] = _demo_value(target, indicator.kind, met=code not in failing, rng=rng)
    for condition in entry.spec.conditions:
        indicator = entry.indicator_by_code[condition.code]
        if not indicator.derived:
            target = engine.resolve_target(indicator.target, context, region)
            out[indicator] = _demo_value(target, indicator.kind, met=True, rng=rng)
    return out


def _store(unit: AdminUnit, period: ReportingPeriod, values: dict) -> int:
    rows = [
        IndicatorValue(
            unit=unit,
            indicator=indicator,
            period=period,
            number=None if indicator.kind == ValueKind.BOOL else value,
            boolean=value if indicator.kind == ValueKind.BOOL else None,
            status=IndicatorValue._meta.get_field("status").default,
            note="Dữ liệu mẫu",
            is_demo=True,
        )
        for indicator, value in values.items()
    ]
    IndicatorValue.objects.filter(unit=unit, period=period, indicator__in=list(values)).delete()
    IndicatorValue.objects.bulk_create(rows)
    return len(rows)


def _villages(commune: AdminUnit) -> list[AdminUnit]:
    villages = []
    for n in range(1, HAI_XUAN_VILLAGES + 1):
        code = f"{commune.code}-{n:02d}"
        village, _ = AdminUnit.objects.update_or_create(
            code=code,
            defaults={
                "name": f"Thôn {n} (tên mẫu)",
                "kind": Kind.THON,
                "level": Level.VILLAGE,
                "parent": commune,
                "path": f"{commune.path}{code}/",
                "region": commune.region,
                "source": "demo",
                "is_demo": True,
            },
        )
        villages.append(village)
    return villages


def _users(password: str | None) -> dict[str, str]:
    User = get_user_model()
    out = {}
    for username, unit_code, role, full_name in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        user.first_name = full_name
        chosen = password or "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
        user.set_password(chosen)
        user.is_staff = role == Role.ADMINISTRATOR
        user.is_superuser = role == Role.ADMINISTRATOR
        user.save()
        unit = AdminUnit.objects.get(code=unit_code) if unit_code else AdminUnit.objects.get(code=PROVINCE)
        Membership.objects.get_or_create(user=user, unit=unit, role=role, defaults={"is_demo": True})
        out[username] = chosen
    return out


def demo_load(*, password: str | None = None) -> dict:
    """Build the demo (idempotent: running it again rewrites the same values) and recompute its periods."""
    if not AdminUnit.objects.filter(code=PROVINCE).exists():
        raise DemoError("Chưa có đơn vị hành chính: chạy `python manage.py import_units` trước.")
    catalog = Catalog()
    missing = [c for c in (NC, NTM, KM_QN, KM_QN9, HUYEN_NC, THON_NC) if catalog.get(c) is None]
    if missing:
        raise DemoError(f"Chưa nạp bộ tiêu chí {', '.join(missing)}: chạy `python manage.py load_rule_sets` trước.")
    units = {u.code: u for u in AdminUnit.objects.filter(code__in={f.unit for f in FIGURES} | {HAI_XUAN})}
    periods: dict[str, ReportingPeriod] = {}
    written = 0
    with transaction.atomic():
        for figure in FIGURES:
            unit = units[figure.unit]
            entry = catalog.get(figure.rule_set)
            sizes = {c.code: len(c.indicators) for c in entry.spec.criteria}
            final = plan_failures(sizes, criteria_met=figure.criteria, indicators_met=figure.indicators)
            period = periods.setdefault(figure.period, ReportingPeriod.objects.for_code(figure.period))
            values = _values_for(entry, unit, period, final, seed=f"{figure.unit}-{figure.rule_set}-{figure.period}")
            written += _store(unit, period, values)
            if figure.start:
                first = plan_failures(sizes, criteria_met=figure.start[0], indicators_met=figure.start[1], keep=final)
                start = periods.setdefault(START, ReportingPeriod.objects.for_code(START))
                values = _values_for(entry, unit, start, first, seed=f"{figure.unit}-{figure.rule_set}-{START}")
                written += _store(unit, start, values)
        # Quảng Ninh completed the NTM task in 2022, so every xã held the NTM standard: the tier ladder's first
        # rung. The individual decisions are not in the demo; these recognitions are marked demo.
        ntm = catalog.get(NTM).rule_set
        communes = AdminUnit.objects.filter(path__startswith=f"{PROVINCE}/", kind=Kind.XA)
        for commune in communes:
            Recognition.objects.get_or_create(
                unit=commune,
                rule_set=ntm,
                defaults={
                    "decision_number": "(mẫu) chưa nhập số quyết định",
                    "decision_date": dt.date(2022, 6, 30),
                    "authority": "UBND tỉnh Quảng Ninh",
                    "note": "Dữ liệu mẫu: tỉnh hoàn thành nhiệm vụ xây dựng NTM năm 2022 (100% xã đạt chuẩn NTM).",
                    "is_demo": True,
                },
            )
        # Hải Xuân's nâng cao recognition (July 2022, article 000) goes through its dossier once results are stored.
        hai_xuan = units[HAI_XUAN]
        villages = _villages(hai_xuan)
        thon = catalog.get(THON_NC)
        year = periods.setdefault("2022", ReportingPeriod.objects.for_code("2022"))
        thon_sizes = {c.code: len(c.indicators) for c in thon.spec.criteria}
        for n, village in enumerate(villages):
            met = n < HAI_XUAN_VILLAGES_MET
            total_i = sum(thon_sizes.values())
            fails = (
                {} if met else plan_failures(thon_sizes, criteria_met=len(thon_sizes) - 1, indicators_met=total_i - 1)
            )
            written += _store(village, year, _values_for(thon, village, year, fails, seed=village.code))
        logins = _users(password)
        ocop_demo_load()  # the province's OCOP products and producers, marked demo
    for period in sorted(periods.values(), key=lambda p: (p.end, p.start)):
        attainment_recompute(period=period, catalog=catalog)
    # Through the services the pages use, on the stored results: the dossier, the targets, the agencies (demo).
    demo_dossiers()
    demo_plans()
    return {"values": written, "periods": sorted(periods), "logins": logins}
