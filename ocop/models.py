"""OCOP (Mỗi xã một sản phẩm): producers, their products, evaluation rounds scored under a versioned scheme,
and the provincial certificates that follow from the stars.

The stars of an evaluation are computed from its points by the scheme's bands (`services.stars_for`), never typed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from communes.models import AdminUnit


class ProducerKind(models.TextChoices):
    ENTERPRISE = "doanh_nghiep", _("Doanh nghiệp")
    COOPERATIVE = "hop_tac_xa", _("Hợp tác xã")
    COOPERATIVE_GROUP = "to_hop_tac", _("Tổ hợp tác")
    HOUSEHOLD = "ho_san_xuat", _("Hộ sản xuất kinh doanh")


class ProductGroup(models.TextChoices):
    """The six product groups of 148/QĐ-TTg."""

    FOOD = "thuc_pham", _("Thực phẩm")
    DRINK = "do_uong", _("Đồ uống")
    HERBAL = "duoc_lieu", _("Dược liệu và sản phẩm từ dược liệu")
    CRAFT = "thu_cong_my_nghe", _("Hàng thủ công mỹ nghệ")
    ORNAMENTAL = "sinh_vat_canh", _("Sinh vật cảnh")
    TOURISM = "du_lich", _("Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch")


class ScoringScheme(models.Model):
    """The parts' maxima and the star bands of one decision, as data: a correction is a new version."""

    code = models.SlugField(_("mã"), max_length=40)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    name = models.CharField(_("tên"), max_length=200)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=500)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực"), null=True, blank=True)
    min_certified_stars = models.PositiveSmallIntegerField(_("số sao tối thiểu được chứng nhận"), default=3)
    certificate_months = models.PositiveSmallIntegerField(_("hiệu lực giấy chứng nhận (tháng)"), default=36)
    parts_verified = models.BooleanField(_("điểm tối đa các phần đã xác minh"), default=False)
    parts_note = models.TextField(blank=True)
    bands_verified = models.BooleanField(_("mức sao đã xác minh"), default=False)
    bands_note = models.TextField(blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bộ tiêu chí chấm điểm OCOP")
        verbose_name_plural = _("bộ tiêu chí chấm điểm OCOP")
        ordering = ["valid_from", "version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="ocop_scheme_code_version")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def max_points(self) -> int:
        return sum(part.max_points for part in self.parts.all())


class ScoringPart(models.Model):
    scheme = models.ForeignKey(ScoringScheme, on_delete=models.CASCADE, related_name="parts")
    code = models.CharField(_("phần"), max_length=5)
    name = models.CharField(_("tên"), max_length=300)
    max_points = models.PositiveSmallIntegerField(_("điểm tối đa"))

    class Meta:
        ordering = ["scheme", "code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="ocop_part_unique")]

    def __str__(self) -> str:
        return f"{self.code} ({self.max_points})"


class StarBand(models.Model):
    scheme = models.ForeignKey(ScoringScheme, on_delete=models.CASCADE, related_name="bands")
    stars = models.PositiveSmallIntegerField(_("số sao"))
    points_min = models.PositiveSmallIntegerField(_("từ điểm"))
    points_max = models.PositiveSmallIntegerField(_("đến điểm"))
    verified = models.BooleanField(_("đã xác minh"), default=False)

    class Meta:
        ordering = ["scheme", "stars"]
        constraints = [models.UniqueConstraint(fields=["scheme", "stars"], name="ocop_band_unique")]


class Producer(models.Model):
    """A chủ thể OCOP: the enterprise, cooperative, group or household that makes the products."""

    name = models.CharField(_("tên chủ thể"), max_length=300)
    kind = models.CharField(_("loại chủ thể"), max_length=20, choices=ProducerKind.choices)
    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="ocop_producers", verbose_name=_("xã"))
    contact_person = models.CharField(_("người đại diện"), max_length=200, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=40, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    # Case- and accent-form-insensitive name, so "HTX Chè Bình Liêu" is not registered twice in one commune.
    name_key = models.CharField(max_length=300, editable=False)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chủ thể OCOP")
        verbose_name_plural = _("chủ thể OCOP")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name_key"], name="ocop_producer_unique_in_unit")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    name = models.CharField(_("tên sản phẩm"), max_length=300)
    group = models.CharField(_("nhóm sản phẩm"), max_length=20, choices=ProductGroup.choices)
    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="products")
    name_key = models.CharField(max_length=300, editable=False)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sản phẩm OCOP")
        verbose_name_plural = _("sản phẩm OCOP")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["producer", "name_key"], name="ocop_product_unique_per_producer")
        ]

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    """One evaluation round of a product by a council: the points per part, and the stars they give."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="evaluations")
    scheme = models.ForeignKey(ScoringScheme, on_delete=models.PROTECT, related_name="evaluations")
    evaluated_on = models.DateField(_("ngày đánh giá"))
    council = models.CharField(_("hội đồng đánh giá"), max_length=200, blank=True)
    total_points = models.PositiveSmallIntegerField(_("tổng điểm"))
    stars = models.PositiveSmallIntegerField(_("số sao"))
    note = models.TextField(_("ghi chú"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)

    class Meta:
        ordering = ["product", "-evaluated_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["product", "evaluated_on"], name="ocop_one_round_a_day")]


class PartScore(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="part_scores")
    part = models.ForeignKey(ScoringPart, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField(_("điểm"))

    class Meta:
        ordering = ["evaluation", "part__code"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "part"], name="ocop_part_score_unique")]


class ItemScore(models.Model):
    """A scoring item of a part, where the council enters them; the part's points are then their sum."""

    part_score = models.ForeignKey(PartScore, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("mục"), max_length=20)
    label = models.CharField(_("nội dung"), max_length=300, blank=True)
    points = models.PositiveSmallIntegerField(_("điểm"))

    class Meta:
        ordering = ["part_score", "code"]
        constraints = [models.UniqueConstraint(fields=["part_score", "code"], name="ocop_item_score_unique")]


class CertificateStatus(models.TextChoices):
    CERTIFIED = "certified", _("Còn hiệu lực")
    EXPIRING = "expiring", _("Sắp hết hạn (trong 6 tháng)")
    EXPIRED = "expired", _("Hết hạn")
    REVOKED = "revoked", _("Bị thu hồi")


EXPIRING_MONTHS = 6


class CertificateQuerySet(models.QuerySet):
    def in_force_on(self, day: dt.date) -> CertificateQuerySet:
        return self.filter(decision_date__lte=day, expires_on__gt=day).exclude(revoked_on__lte=day)


class Certificate(models.Model):
    """The province's decision recognising an evaluation of 3 stars or more, valid until `expires_on`."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="certificate")
    # Copied from the evaluation so that counts by stars and unit are one query over this table.
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="certificates")
    stars = models.PositiveSmallIntegerField(_("số sao"))
    decision_number = models.CharField(_("số quyết định"), max_length=100)
    decision_date = models.DateField(_("ngày quyết định"))
    expires_on = models.DateField(_("ngày hết hạn"))
    revoked_on = models.DateField(_("ngày thu hồi"), null=True, blank=True)
    revoke_reason = models.CharField(_("lý do thu hồi"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-decision_date", "-pk"]
        indexes = [models.Index(fields=["decision_date", "expires_on"], name="ocop_cert_dates")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("decision_date")), name="ocop_expiry_after"
            ),
        ]

    def status_on(self, day: dt.date) -> str:
        from .services import add_months

        if self.revoked_on and self.revoked_on <= day:
            return CertificateStatus.REVOKED
        if self.expires_on <= day:
            return CertificateStatus.EXPIRED
        if self.expires_on <= add_months(day, EXPIRING_MONTHS):
            return CertificateStatus.EXPIRING
        return CertificateStatus.CERTIFIED
