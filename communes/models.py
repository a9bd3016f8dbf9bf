"""The administrative tree (province → district → commune → village) and who works where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    PROVINCE = 1, _("Tỉnh")
    DISTRICT = 2, _("Huyện")
    COMMUNE = 3, _("Xã")
    VILLAGE = 4, _("Thôn")


class Kind(models.TextChoices):
    TINH = "tinh", _("Tỉnh")
    THANH_PHO_TW = "thanh_pho_tw", _("Thành phố trực thuộc trung ương")
    HUYEN = "huyen", _("Huyện")
    THI_XA = "thi_xa", _("Thị xã")
    THANH_PHO = "thanh_pho", _("Thành phố thuộc tỉnh")
    QUAN = "quan", _("Quận")
    XA = "xa", _("Xã")
    PHUONG = "phuong", _("Phường")
    THI_TRAN = "thi_tran", _("Thị trấn")
    THON = "thon", _("Thôn")
    BAN = "ban", _("Bản")
    KHU = "khu", _("Khu")


KIND_LEVEL = {
    Kind.TINH: Level.PROVINCE,
    Kind.THANH_PHO_TW: Level.PROVINCE,
    Kind.HUYEN: Level.DISTRICT,
    Kind.THI_XA: Level.DISTRICT,
    Kind.THANH_PHO: Level.DISTRICT,
    Kind.QUAN: Level.DISTRICT,
    Kind.XA: Level.COMMUNE,
    Kind.PHUONG: Level.COMMUNE,
    Kind.THI_TRAN: Level.COMMUNE,
    Kind.THON: Level.VILLAGE,
    Kind.BAN: Level.VILLAGE,
    Kind.KHU: Level.VILLAGE,
}


class Region(models.TextChoices):
    """The seven socio-economic regions the national rule sets give thresholds for."""

    TDMNPB = "TDMNPB", _("Trung du và miền núi phía Bắc")
    DBSH = "DBSH", _("Đồng bằng sông Hồng")
    BTB = "BTB", _("Bắc Trung Bộ")
    DHNTB = "DHNTB", _("Duyên hải Nam Trung Bộ")
    TN = "TN", _("Tây Nguyên")
    DNB = "DNB", _("Đông Nam Bộ")
    DBSCL = "DBSCL", _("Đồng bằng sông Cửu Long")


# Unit attributes that targets may depend on (the names used in rule-set files).
ATTRIBUTES = ("mountainous", "border", "island", "ethnic_minority", "especially_difficult")


class AdminUnitQuerySet(models.QuerySet):
    def subtree_of(self, unit: AdminUnit, *, include_self: bool = True) -> AdminUnitQuerySet:
        """The unit and everything under it: one indexed prefix query on the materialised path."""
        qs = self.filter(path__startswith=unit.path)
        return qs if include_self else qs.exclude(pk=unit.pk)

    def current(self, on=None) -> AdminUnitQuerySet:
        """Units valid on a date (today when not given)."""
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day)
        )

    def ancestors_of(self, unit: AdminUnit) -> AdminUnitQuerySet:
        return self.filter(path__in=unit.ancestor_paths())


class AdminUnit(models.Model):
    code = models.CharField(_("mã"), max_length=20, unique=True, help_text=_("Mã GSO (tỉnh 2 số, huyện 3, xã 5)"))
    name = models.CharField(_("tên"), max_length=200)
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("cấp"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("đơn vị cha")
    )
    # Materialised path of codes, e.g. "22/198/06844/": a subtree is one prefix query.
    path = models.CharField(max_length=255, unique=True)
    region = models.CharField(_("vùng"), max_length=10, choices=Region.choices, blank=True)
    mountainous = models.BooleanField(_("miền núi"), default=False)
    border = models.BooleanField(_("biên giới"), default=False)
    island = models.BooleanField(_("hải đảo"), default=False)
    ethnic_minority = models.BooleanField(_("vùng đồng bào dân tộc thiểu số"), default=False)
    especially_difficult = models.BooleanField(_("đặc biệt khó khăn"), default=False)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hết hiệu lực"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        verbose_name=_("đơn vị kế thừa"),
        help_text=_("Đơn vị nhận lại địa bàn khi đơn vị này bị sáp nhập hoặc đổi tên"),
    )
    source = models.CharField(_("nguồn"), max_length=100, blank=True)
    is_demo = models.BooleanField(_("dữ liệu mẫu"), default=False)

    objects = AdminUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="adminunit_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "level"], name="adminunit_parent_level"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def ancestor_paths(self) -> list[str]:
        parts = self.path.strip("/").split("/")
        return ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset(name for name in ATTRIBUTES if getattr(self, name))

    @property
    def is_rural_commune(self) -> bool:
        """Phường and thị trấn are urban: the commune rule sets do not assess them."""
        return self.kind == Kind.XA

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("unit-detail", args=[self.code])


class UnitChange(models.Model):
    """A merge, split, rename or reclassification, so history survives changes of the tree."""

    class ChangeKind(models.TextChoices):
        RENAME = "rename", _("Đổi tên")
        MERGE = "merge", _("Sáp nhập")
        RECLASSIFY = "reclassify", _("Chuyển loại (xã lên phường…)")
        ABOLISH = "abolish", _("Giải thể")

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    effective = models.DateField()
    old_name = models.CharField(max_length=200, blank=True)
    new_name = models.CharField(max_length=200, blank=True)
    successor = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    legal_basis = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["effective"]


class Role(models.TextChoices):
    COMMUNE_OFFICIAL = "commune_official", _("Cán bộ xã")
    DISTRICT_REVIEWER = "district_reviewer", _("Cán bộ huyện (thẩm tra)")
    PROVINCIAL_COORDINATOR = "provincial_coordinator", _("Văn phòng điều phối tỉnh")
    PROVINCIAL_VIEWER = "provincial_viewer", _("Lãnh đạo tỉnh (xem)")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")


class Membership(models.Model):
    """A role on a unit, and thereby on its whole subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"
