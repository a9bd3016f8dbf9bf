"""Demo dossier, marked demo: Hải Xuân's recognition as xã NTM nâng cao in July 2022 (article 000) goes through
the dossier's steps as the services take them. The decision's number was not published in the article: the
demo says so instead of inventing one. The actors are demo accounts without a password (records, not logins)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from communes.models import AdminUnit, Membership, Role
from criteria.models import Recognition, RuleSet

from .models import Dossier
from .services import (
    dossier_appraise,
    dossier_decide,
    dossier_open,
    dossier_submit,
    dossier_update,
    dossier_verify,
)

HAI_XUAN = "06745"
NC = "xa-ntm-nang-cao-2021-2025"
PROVINCE = "22"
ACTORS = (
    ("demo-xa-haixuan", "commune", Role.COMMUNE_OFFICIAL, "Cán bộ xã Hải Xuân (mẫu)"),
    ("demo-tp-mongcai", "district", Role.DISTRICT_REVIEWER, "Phòng Kinh tế TP Móng Cái (mẫu)"),
    ("demo-tinh-dieuphoi", "province", Role.PROVINCIAL_COORDINATOR, "Văn phòng điều phối NTM tỉnh Quảng Ninh (mẫu)"),
)


def _actor(username: str, unit: AdminUnit, role: str, full_name: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, unit=unit, role=role, defaults={"is_demo": True})
    return user


def demo_dossiers() -> int:
    """Take Hải Xuân's dossier through its steps (idempotent); returns the number of demo dossiers."""
    commune = AdminUnit.objects.filter(code=HAI_XUAN).first()
    rule_set = RuleSet.objects.filter(code=NC).order_by("-version").first()
    if commune is None or rule_set is None:
        return 0
    if Dossier.objects.filter(unit=commune, rule_set=rule_set, is_demo=True).exists():
        return Dossier.objects.filter(is_demo=True).count()
    # An earlier demo recorded the recognition directly: the dossier now records it.
    Recognition.objects.filter(unit=commune, rule_set__code=NC, is_demo=True, dossier__isnull=True).delete()
    units = {"commune": commune, "district": commune.parent, "province": AdminUnit.objects.get(code=PROVINCE)}
    actors = {key: _actor(name, units[key], role, full) for name, key, role, full in ACTORS}
    dossier = dossier_open(
        user=actors["commune"], unit=commune, rule_set=rule_set, on=dt.date(2022, 7, 4), is_demo=True
    )
    dossier_update(
        user=actors["commune"],
        dossier=dossier,
        self_assessment="(Mẫu) Xã tự đánh giá đạt 19/19 tiêu chí xã NTM nâng cao; 4/13 thôn đạt thôn NTM nâng cao.",
        survey_satisfaction="95",
        survey_note="Số liệu mẫu: bài 000 không nêu tỷ lệ hài lòng.",
        on=dt.date(2022, 7, 4),
    )
    dossier_submit(user=actors["commune"], dossier=dossier, on=dt.date(2022, 7, 5))
    dossier_verify(
        user=actors["district"],
        dossier=dossier,
        note="(Mẫu) Hồ sơ đủ điều kiện, đề nghị tỉnh thẩm định.",
        on=dt.date(2022, 7, 11),
    )
    dossier_appraise(
        user=actors["province"],
        dossier=dossier,
        note="(Mẫu) Đạt chuẩn, trình Chủ tịch UBND tỉnh công nhận.",
        on=dt.date(2022, 7, 18),
    )
    dossier_decide(
        user=actors["province"],
        dossier=dossier,
        number="(mẫu) chưa nhập số quyết định",
        decided_on=dt.date(2022, 7, 25),
        signer="Chủ tịch UBND tỉnh Quảng Ninh",
        authority="UBND tỉnh Quảng Ninh",
    )
    return Dossier.objects.filter(is_demo=True).count()
