"""Writes of the OCOP registry: schemes, producers, products, evaluation rounds, certificates.

Every write checks who may make it (`may_manage`), validates everything first and saves in one transaction, so a
refused input leaves nothing half-saved.
"""

from __future__ import annotations

import calendar
import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from communes.access import EDIT_OWN_UNIT_ROLES, EDIT_SUBTREE_ROLES, Rights
from communes.models import AdminUnit, Level

from .models import (
    Certificate,
    Evaluation,
    ItemScore,
    PartScore,
    Producer,
    ProducerKind,
    Product,
    ProductGroup,
    ScoringPart,
    ScoringScheme,
    StarBand,
)
from .scoring import Band, Score, ScoringError, Sheet, score

SCHEMES_FILE = Path(__file__).resolve().parent / "data" / "scoring.yaml"


class OcopError(ValueError):
    """Input the registry refuses; `field` names the form field it belongs beside."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


# --- small helpers ---------------------------------------------------------------------------------------------------


def name_key(text: str) -> str:
    """One spelling for names typed in different Unicode forms, cases and spacing."""
    return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- who may change the registry ------------------------------------------------------------------------------------


def may_manage(rights: Rights, unit: AdminUnit) -> bool:
    """Commune officials keep their commune's producers; district and provincial staff those of every commune under
    their unit (the province runs the programme and issues the certificates). Viewers never change anything."""
    if rights.is_admin:
        return True
    roles = EDIT_SUBTREE_ROLES | EDIT_OWN_UNIT_ROLES
    return any(role in roles and unit.path.startswith(path) for role, path in rights.grants)


def _require(rights: Rights, unit: AdminUnit) -> None:
    if not may_manage(rights, unit):
        raise PermissionDenied(_("Bạn không có quyền cập nhật OCOP của đơn vị này."))


# --- scoring schemes -----------------------------------------------------------------------------------------------


def schemes_load(*, path: Path | str | None = None) -> list[ScoringScheme]:
    """Load the schemes of the data file; a (code, version) already loaded is left as it is (published data is never
    edited in place: a correction is a new version in the file)."""
    data = yaml.safe_load(Path(path or SCHEMES_FILE).read_text(encoding="utf-8"))
    loaded = []
    with transaction.atomic():
        for spec in data["schemes"]:
            scheme = ScoringScheme.objects.filter(code=spec["code"], version=spec["version"]).first()
            if scheme is None:
                parts = {p["code"]: p["points"] for p in spec["parts"]}
                bands = [Band(b["stars"], b["points_min"], b["points_max"]) for b in spec["bands"]]
                _check_sheet(Sheet(parts=parts, bands=bands), spec["code"])
                scheme = ScoringScheme.objects.create(
                    code=spec["code"],
                    version=spec["version"],
                    name=spec["name"],
                    legal_basis=spec["legal_basis"],
                    valid_from=spec["valid_from"],
                    valid_to=spec.get("valid_to"),
                    min_certified_stars=spec.get("min_certified_stars", 3),
                    certificate_months=spec.get("certificate_months", 36),
                    parts_verified=bool(spec.get("parts_verified")),
                    parts_note=spec.get("parts_note", ""),
                    bands_verified=bool(spec.get("bands_verified")),
                    bands_note=spec.get("bands_note", ""),
                )
                ScoringPart.objects.bulk_create(
                    ScoringPart(scheme=scheme, code=p["code"], name=p["name"], max_points=p["points"])
                    for p in spec["parts"]
                )
                StarBand.objects.bulk_create(
                    StarBand(
                        scheme=scheme,
                        stars=b["stars"],
                        points_min=b["points_min"],
                        points_max=b["points_max"],
                        verified=bool(b.get("verified")),
                    )
                    for b in spec["bands"]
                )
            loaded.append(scheme)
    return loaded


def _check_sheet(sheet: Sheet, code: str) -> None:
    """Bands must cover 0..max without gap or overlap, or some totals would have no stars or two."""
    expected = 0
    for band in sorted(sheet.bands, key=lambda b: b.points_min):
        if band.points_min != expected or band.points_max < band.points_min:
            raise ValueError(f"{code}: star bands leave a gap or overlap at {expected} points")
        expected = band.points_max + 1
    if expected != sheet.max_points + 1:
        raise ValueError(f"{code}: star bands end at {expected - 1}, the parts add up to {sheet.max_points}")


def scheme_in_force(*, day: dt.date) -> ScoringScheme:
    """The scheme whose decision was in force on the day; of several versions, the latest loaded."""
    scheme = (
        ScoringScheme.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .order_by("-valid_from", "-version")
        .prefetch_related("parts", "bands")
        .first()
    )
    if scheme is None:
        raise OcopError(
            _("Không có bộ tiêu chí chấm điểm OCOP nào có hiệu lực ngày %(day)s.") % {"day": day.strftime("%d/%m/%Y")},
            field="evaluated_on",
        )
    return scheme


def sheet_of(scheme: ScoringScheme) -> Sheet:
    return Sheet(
        parts={p.code: p.max_points for p in scheme.parts.all()},
        bands=[Band(b.stars, b.points_min, b.points_max) for b in scheme.bands.all()],
    )


# --- producers and products ------------------------------------------------------------------------------------------


def producer_save(
    *,
    rights: Rights,
    unit: AdminUnit,
    name: str,
    kind: str,
    producer: Producer | None = None,
    contact_person: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    is_demo: bool = False,
) -> Producer:
    _require(rights, unit)
    if producer is not None:
        _require(rights, producer.unit)
    if unit.level != Level.COMMUNE:
        raise OcopError(_("Chủ thể OCOP phải thuộc một xã (phường, thị trấn)."), field="unit")
    if kind not in ProducerKind.values:
        raise OcopError(_("Loại chủ thể không hợp lệ."), field="kind")
    name = " ".join((name or "").split())
    if not name:
        raise OcopError(_("Chưa nhập tên chủ thể."), field="name")
    key = name_key(name)
    clash = Producer.objects.filter(unit=unit, name_key=key)
    if producer is not None:
        clash = clash.exclude(pk=producer.pk)
    if clash.exists():
        raise OcopError(_("Xã này đã có chủ thể «%(name)s».") % {"name": name}, field="name")
    producer = producer or Producer()
    producer.unit, producer.name, producer.name_key, producer.kind = unit, name, key, kind
    producer.contact_person, producer.phone, producer.email, producer.address = contact_person, phone, email, address
    producer.is_demo = is_demo
    producer.save()
    return producer


def product_create(*, rights: Rights, producer: Producer, name: str, group: str, is_demo: bool = False) -> Product:
    _require(rights, producer.unit)
    if group not in ProductGroup.values:
        raise OcopError(_("Nhóm sản phẩm không hợp lệ."), field="group")
    name = " ".join((name or "").split())
    if not name:
        raise OcopError(_("Chưa nhập tên sản phẩm."), field="name")
    key = name_key(name)
    if Product.objects.filter(producer=producer, name_key=key).exists():
        raise OcopError(
            _("Chủ thể «%(producer)s» đã có sản phẩm «%(name)s».") % {"producer": producer.name, "name": name},
            field="name",
        )
    return Product.objects.create(producer=producer, name=name, name_key=key, group=group, is_demo=is_demo)


# --- evaluation rounds and certificates ------------------------------------------------------------------------------


def evaluation_record(
    *,
    rights: Rights,
    product: Product,
    evaluated_on: dt.date,
    parts: Mapping[str, int | None],
    items: Mapping[str, Sequence[tuple[str, str, int]]] | None = None,
    typed_stars: int | None = None,
    council: str = "",
    note: str = "",
    user=None,
    is_demo: bool = False,
) -> Evaluation:
    """Score one round under the scheme in force on `evaluated_on`. `items` are (code, label, points) per part."""
    _require(rights, product.producer.unit)
    scheme = scheme_in_force(day=evaluated_on)
    item_points = {code: [p for _c, _l, p in rows] for code, rows in (items or {}).items()}
    result: Score = score(
        sheet_of(scheme),
        {code: p for code, p in parts.items() if p is not None},
        items=item_points,
        typed_stars=typed_stars,
    )
    if Evaluation.objects.filter(product=product, evaluated_on=evaluated_on).exists():
        raise OcopError(
            _("Sản phẩm đã có một lần đánh giá ngày %(day)s.") % {"day": evaluated_on.strftime("%d/%m/%Y")},
            field="evaluated_on",
        )
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            product=product,
            scheme=scheme,
            evaluated_on=evaluated_on,
            council=council,
            note=note,
            total_points=result.total,
            stars=result.stars,
            created_by=user,
            is_demo=is_demo,
        )
        by_code = {p.code: p for p in scheme.parts.all()}
        for code, points in result.parts.items():
            part_score = PartScore.objects.create(evaluation=evaluation, part=by_code[code], points=points)
            rows = (items or {}).get(code) or []
            ItemScore.objects.bulk_create(
                ItemScore(part_score=part_score, code=c, label=label, points=p) for c, label, p in rows
            )
    return evaluation


def certificate_issue(
    *,
    rights: Rights,
    evaluation: Evaluation,
    decision_number: str,
    decision_date: dt.date,
    expires_on: dt.date | None = None,
    is_demo: bool = False,
) -> Certificate:
    """The province's certificate for an evaluation of enough stars; without an expiry, the scheme's validity."""
    _require(rights, evaluation.product.producer.unit)
    scheme = evaluation.scheme
    if evaluation.stars < scheme.min_certified_stars:
        raise OcopError(
            _("Chỉ sản phẩm từ %(min)d sao được cấp giấy chứng nhận (lần đánh giá này: %(stars)d sao).")
            % {"min": scheme.min_certified_stars, "stars": evaluation.stars},
            field="evaluation",
        )
    decision_number = (decision_number or "").strip()
    if not decision_number:
        raise OcopError(_("Chưa nhập số quyết định."), field="decision_number")
    if decision_date < evaluation.evaluated_on:
        raise OcopError(_("Ngày quyết định trước ngày đánh giá."), field="decision_date")
    expires_on = expires_on or add_months(decision_date, scheme.certificate_months)
    if expires_on <= decision_date:
        raise OcopError(_("Ngày hết hạn phải sau ngày quyết định."), field="expires_on")
    if Certificate.objects.filter(evaluation=evaluation).exists():
        raise OcopError(_("Lần đánh giá này đã có giấy chứng nhận."), field="evaluation")
    return Certificate.objects.create(
        evaluation=evaluation,
        product=evaluation.product,
        stars=evaluation.stars,
        decision_number=decision_number,
        decision_date=decision_date,
        expires_on=expires_on,
        is_demo=is_demo,
    )


def certificate_revoke(*, rights: Rights, certificate: Certificate, revoked_on: dt.date, reason: str) -> Certificate:
    _require(rights, certificate.product.producer.unit)
    reason = (reason or "").strip()
    if not reason:
        raise OcopError(_("Cần ghi lý do thu hồi."), field="reason")
    if certificate.revoked_on:
        raise OcopError(_("Giấy chứng nhận này đã bị thu hồi."), field="revoked_on")
    if revoked_on < certificate.decision_date:
        raise OcopError(_("Ngày thu hồi trước ngày quyết định."), field="revoked_on")
    certificate.revoked_on, certificate.revoke_reason = revoked_on, reason
    certificate.save(update_fields=["revoked_on", "revoke_reason"])
    return certificate


__all__ = [
    "OcopError",
    "ScoringError",
    "add_months",
    "certificate_issue",
    "certificate_revoke",
    "evaluation_record",
    "may_manage",
    "name_key",
    "producer_save",
    "product_create",
    "scheme_in_force",
    "schemes_load",
    "sheet_of",
]
