"""Rule sets, reporting periods, indicator values and the attainment computed from them."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import AdminUnit, Level


class Tier(models.TextChoices):
    NTM = "ntm", _("Nông thôn mới")
    NANG_CAO = "nang_cao", _("Nông thôn mới nâng cao")
    KIEU_MAU = "kieu_mau", _("Nông thôn mới kiểu mẫu")
    COMPLETED = "completed", _("Hoàn thành nhiệm vụ xây dựng NTM")
    SMART = "smart", _("Thông minh")


class ValueKind(models.TextChoices):
    BOOL = "bool", _("Có/Không")
    PERCENT = "percent", _("Tỷ lệ (%)")
    COUNT = "count", _("Số lượng")
    AMOUNT = "amount", _("Số tiền (triệu đồng)")


class PublishedRuleSetError(ValidationError):
    pass


class RuleSetQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=RuleSet.Status.PUBLISHED)


class RuleSet(models.Model):
    """An official set of criteria. Published sets never change: a change is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Bản nháp")
        PUBLISHED = "published", _("Đã ban hành")

    code = models.SlugField(_("mã"), max_length=80)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    name = models.CharField(_("tên"), max_length=300)
    name_en = models.CharField(max_length=300, blank=True)
    short_name = models.CharField(_("tên ngắn"), max_length=100, blank=True)
    level = models.PositiveSmallIntegerField(_("cấp"), choices=Level.choices)
    tier = models.CharField(_("hạng"), max_length=20, choices=Tier.choices)
    programme_period = models.CharField(_("giai đoạn"), max_length=20)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=500)
    issuer = models.CharField(_("cơ quan ban hành"), max_length=200, blank=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    prerequisite_code = models.SlugField(
        _("bậc phải đạt trước"), max_length=80, blank=True, help_text=_("Mã bộ tiêu chí phải đạt trước (bậc thang)")
    )
    # Which units the set applies to: {"kinds": [...], "provinces": [...], "districts": [...],
    # "exclude_districts": [...]}; empty means every unit of the level.
    applies_to = models.JSONField(default=dict, blank=True)
    region_substitutions = models.JSONField(default=list, blank=True)
    counts_official = models.JSONField(default=dict, blank=True)
    variant_note = models.TextField(blank=True)
    verified = models.BooleanField(_("đã xác minh"), default=False)
    note = models.TextField(blank=True)
    sources = models.JSONField(default=dict, blank=True)
    source_file = models.CharField(max_length=200, blank=True)
    checksum = models.CharField(max_length=64, blank=True)

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("bộ tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        ordering = ["level", "code", "version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="ruleset_code_version")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def save(self, *args, **kwargs):
        if self.pk:
            stored = RuleSet.objects.filter(pk=self.pk).values("status").first()
            if stored and stored["status"] == self.Status.PUBLISHED:
                raise PublishedRuleSetError(
                    _("Bộ tiêu chí đã ban hành không được sửa; hãy tạo phiên bản mới."), code="published"
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise PublishedRuleSetError(_("Bộ tiêu chí đã ban hành không được xóa."), code="published")
        return super().delete(*args, **kwargs)


class _ImmutableWhenPublished(models.Model):
    class Meta:
        abstract = True

    def _guard(self):
        if self.rule_set_id and RuleSet.objects.filter(pk=self.rule_set_id, status=RuleSet.Status.PUBLISHED).exists():
            raise PublishedRuleSetError(
                _("Bộ tiêu chí đã ban hành không được sửa; hãy tạo phiên bản mới."), code="published"
            )

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)


class Criterion(_ImmutableWhenPublished):
    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("mã"), max_length=20)
    name = models.CharField(_("tên"), max_length=300)
    name_en = models.CharField(max_length=300, blank=True)
    name_verified = models.BooleanField(default=False)
    source = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")
        ordering = ["rule_set", "position"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "code"], name="criterion_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class Indicator(_ImmutableWhenPublished):
    """One indicator (chỉ tiêu) of a criterion, or a condition of the set when it has no criterion."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="indicators")
    criterion = models.ForeignKey(Criterion, null=True, blank=True, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("mã"), max_length=20)
    text = models.TextField(_("nội dung"))
    text_en = models.TextField(blank=True)
    kind = models.CharField(_("kiểu giá trị"), max_length=10, choices=ValueKind.choices)
    unit_label = models.CharField(max_length=40, blank=True)
    target = models.JSONField(_("chỉ tiêu đạt"), help_text=_("Đặc tả mục tiêu: toán tử, giá trị và các ngoại lệ"))
    target_text = models.CharField(_("mức đạt"), max_length=300, blank=True)
    # {"min": ..., "max": ...}: what a value may plausibly be (criteria.values.plausible_range; defaults per kind)
    plausible_range = models.JSONField(_("khoảng hợp lý"), null=True, blank=True)
    derived = models.JSONField(null=True, blank=True)
    verified = models.BooleanField(_("đã xác minh"), default=False)
    source = models.CharField(max_length=300, blank=True)
    legal_basis = models.CharField(max_length=300, blank=True)
    confidence = models.CharField(max_length=40, blank=True)
    agency = models.CharField(_("cơ quan phụ trách"), max_length=200, blank=True)
    note = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")
        ordering = ["rule_set", "position"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "code"], name="indicator_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:60]}"

    @property
    def is_condition(self) -> bool:
        return self.criterion_id is None


# \Z, not $: "2023-Q1\n" must not pass (a code ends up in URLs and file names); ASCII digits only.
PERIOD_RE = re.compile(r"\A(?P<year>[0-9]{4})(?:-(?P<part>Q[1-4]|6M|9M))?\Z")


class PeriodKind(models.TextChoices):
    YEAR = "Y", _("Năm")
    QUARTER = "Q", _("Quý")
    HALF = "6M", _("6 tháng")
    NINE = "9M", _("9 tháng")


def parse_period_code(code: str) -> tuple[int, str, int | None, dt.date, dt.date]:
    """'2023', '2023-Q1'…'2023-Q4', '2023-6M', '2023-9M' → (year, kind, quarter, start, end)."""
    match = PERIOD_RE.match(code or "")
    if not match:
        raise ValueError(
            _("Kỳ báo cáo '%(code)s' không hợp lệ: dùng 2023, 2023-Q1…2023-Q4, 2023-6M hoặc 2023-9M.") % {"code": code}
        )
    year = int(match["year"])
    if not 2000 <= year <= 2100:
        raise ValueError(_("Năm %(year)s nằm ngoài khoảng cho phép.") % {"year": year})
    part = match["part"]
    start = dt.date(year, 1, 1)
    if part is None:
        return year, PeriodKind.YEAR, None, start, dt.date(year, 12, 31)
    if part.startswith("Q"):
        quarter = int(part[1])
        start = dt.date(year, 3 * quarter - 2, 1)
        end_month = 3 * quarter
        end = (dt.date(year + (end_month == 12), end_month % 12 + 1, 1)) - dt.timedelta(days=1)
        return year, PeriodKind.QUARTER, quarter, start, end
    if part == "6M":
        return year, PeriodKind.HALF, None, start, dt.date(year, 6, 30)
    return year, PeriodKind.NINE, None, start, dt.date(year, 9, 30)


class ReportingPeriodQuerySet(models.QuerySet):
    def for_code(self, code: str, *, create: bool = True) -> ReportingPeriod:
        canonical = (code or "").strip()
        year, kind, quarter, start, end = parse_period_code(canonical)
        if not create:
            return self.get(code=canonical)
        period, _created = self.get_or_create(
            code=canonical, defaults={"year": year, "kind": kind, "quarter": quarter, "start": start, "end": end}
        )
        return period

    def with_lock_for(self, *units: AdminUnit) -> ReportingPeriodQuerySet:
        """Read whether the units' provinces locked each period in the same query (then `is_locked_for` reads none)."""
        return self.with_locks_in({province_code(u) for u in units})

    def with_locks_in(self, province_codes) -> ReportingPeriodQuerySet:
        """Annotate `locked_in_<code>` for each province code: whether that province locked the period."""
        codes = sorted(set(province_codes))
        return self.annotate(
            **{
                f"locked_in_{code}": models.Exists(
                    PeriodLock.objects.filter(period=models.OuterRef("pk"), province__code=code)
                )
                for code in codes
            }
        )


def province_code(unit: AdminUnit) -> str:
    """The code of the unit's province: the first segment of its path."""
    return unit.path.split("/", 1)[0]


class ReportingPeriod(models.Model):
    code = models.CharField(_("mã kỳ"), max_length=10, unique=True)
    year = models.PositiveSmallIntegerField(_("năm"), db_index=True)
    kind = models.CharField(max_length=2, choices=PeriodKind.choices)
    quarter = models.PositiveSmallIntegerField(null=True, blank=True)
    start = models.DateField()
    end = models.DateField()
    locked = models.BooleanField(_("đã khóa"), default=False)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    objects = ReportingPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("kỳ báo cáo")
        verbose_name_plural = _("kỳ báo cáo")
        # By end day; of two reports ending the same day the longer one last: the year report is the
        # official one, after Q4 (criteria.tiers.PERIOD_ORDER, the rule the pages and the recompute share).
        ordering = ["end", "-start"]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.YEAR:
            return _("Năm %(y)s") % {"y": self.year}
        if self.kind == PeriodKind.QUARTER:
            return _("Quý %(q)s/%(y)s") % {"q": self.quarter, "y": self.year}
        if self.kind == PeriodKind.HALF:
            return _("6 tháng đầu năm %(y)s") % {"y": self.year}
        return _("9 tháng đầu năm %(y)s") % {"y": self.year}

    def is_locked_for(self, unit: AdminUnit, *, fresh: bool = False) -> bool:
        """Whether the period refuses changes to the unit: locked nationwide, or for the unit's province.

        One query at most; none when the period was read `with_lock_for(unit)` or is locked nationwide. `fresh`
        reads both the nationwide flag and the province lock again (inside a transaction, before a write)."""
        if not self.pk:
            return False
        code = province_code(unit)
        if fresh:
            return (
                ReportingPeriod.objects.filter(pk=self.pk)
                .filter(models.Q(locked=True) | models.Q(province_locks__province__code=code))
                .exists()
            )
        if self.locked:
            return True
        annotated = getattr(self, f"locked_in_{code}", None)
        if annotated is not None:
            return annotated
        return PeriodLock.objects.filter(period_id=self.pk, province__code=code).exists()


def locked_province_codes(periods) -> dict[int, set[str]]:
    """Period id → codes of the provinces that locked it, for many periods in one query (none if no saved period)."""
    ids = [p.pk for p in periods if p.pk]
    out: dict[int, set[str]] = {pk: set() for pk in ids}
    if ids:
        for period_id, code in PeriodLock.objects.filter(period_id__in=ids).values_list("period_id", "province__code"):
            out[period_id].add(code)
    return out


def locked_in_any(period: ReportingPeriod, province_codes) -> bool:
    """For a period read `with_locks_in(province_codes)`: locked nationwide or in any of those provinces."""
    return bool(period.pk) and (period.locked or any(getattr(period, f"locked_in_{c}", False) for c in province_codes))


def is_locked_in(period: ReportingPeriod, unit: AdminUnit, codes: dict[int, set[str]]) -> bool:
    """`is_locked_for` without a query, from what `locked_province_codes` read."""
    return bool(period.pk) and (period.locked or province_code(unit) in codes.get(period.pk, ()))


class PeriodLock(models.Model):
    """A province's lock on a period: the province has closed its figures; only its units are refused."""

    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="province_locks")
    province = models.ForeignKey(
        AdminUnit,
        on_delete=models.CASCADE,
        related_name="period_locks",
        limit_choices_to={"level": Level.PROVINCE},
    )
    locked_at = models.DateTimeField(default=timezone.now)
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("khóa kỳ của tỉnh")
        verbose_name_plural = _("khóa kỳ của tỉnh")
        constraints = [models.UniqueConstraint(fields=["period", "province"], name="period_lock_once_per_province")]

    def __str__(self) -> str:
        return f"{self.period.code} · {self.province.code}"


class ValueStatus(models.TextChoices):
    DRAFT = "draft", _("Nháp")
    SUBMITTED = "submitted", _("Đã gửi")
    APPROVED = "approved", _("Đã duyệt")
    RETURNED = "returned", _("Trả lại")


class IndicatorValue(models.Model):
    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="values")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="values")
    number = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    boolean = models.BooleanField(null=True, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    status = models.CharField(max_length=12, choices=ValueStatus.choices, default=ValueStatus.DRAFT)
    version = models.PositiveIntegerField(default=1)
    return_reason = models.TextField(_("lý do trả lại"), blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("giá trị chỉ tiêu")
        verbose_name_plural = _("giá trị chỉ tiêu")
        constraints = [
            models.UniqueConstraint(fields=["unit", "indicator", "period"], name="value_unique_unit_indicator_period")
        ]
        indexes = [models.Index(fields=["period", "unit"], name="value_period_unit")]

    @property
    def value(self):
        return self.boolean if self.indicator.kind == ValueKind.BOOL else self.number


class Attainment(models.Model):
    """What the engine found for one unit, rule set and period. Written only by recompute."""

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="attainments")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="attainments")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="attainments")
    criteria_met = models.PositiveSmallIntegerField()
    criteria_total = models.PositiveSmallIntegerField()
    indicators_met = models.PositiveSmallIntegerField()
    indicators_total = models.PositiveSmallIntegerField()
    conditions_met = models.PositiveSmallIntegerField(default=0)
    conditions_total = models.PositiveSmallIntegerField(default=0)
    no_data = models.PositiveSmallIntegerField(default=0)
    prerequisite_met = models.BooleanField(default=True)
    attained = models.BooleanField(db_index=True)
    criteria_status = models.JSONField(default=dict)
    indicator_status = models.JSONField(default=dict)
    missing = models.JSONField(default=list)
    # The same counts with approved values only (a value awaiting review counts as no data there), so a
    # figure can say how much of it is verified: "61/75 chỉ tiêu (52 đã duyệt)".
    criteria_met_approved = models.PositiveSmallIntegerField(default=0)
    indicators_met_approved = models.PositiveSmallIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("kết quả đạt chuẩn")
        verbose_name_plural = _("kết quả đạt chuẩn")
        constraints = [
            models.UniqueConstraint(fields=["unit", "rule_set", "period"], name="attainment_unique_unit_set_period")
        ]
        indexes = [models.Index(fields=["period", "rule_set"], name="attainment_period_set")]


class Recognition(models.Model):
    """A formal recognition (công nhận) of a unit at a tier, by decision of the competent authority.

    Never deleted: a revocation keeps the row with the day, the reason and who recorded it, so the history of
    a unit's standing can be read back. A province's acknowledgement (thừa nhận) of a merged unit's standing is
    a recognition of its own kind: it holds the tier the same way, without a dossier behind it."""

    class Kind(models.TextChoices):
        DECISION = "decision", _("Quyết định công nhận")
        ACKNOWLEDGEMENT = "acknowledgement", _("Thừa nhận (đơn vị sau sắp xếp)")

    unit = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="recognitions")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="recognitions")
    kind = models.CharField(_("loại"), max_length=20, choices=Kind.choices, default=Kind.DECISION)
    decision_number = models.CharField(_("số quyết định"), max_length=100)
    decision_date = models.DateField(_("ngày quyết định"))
    authority = models.CharField(_("cấp công nhận"), max_length=200, blank=True)
    signer = models.CharField(_("người ký"), max_length=200, blank=True)
    revoked_on = models.DateField(_("ngày thu hồi"), null=True, blank=True)
    revocation_number = models.CharField(_("số quyết định thu hồi"), max_length=100, blank=True)
    revocation_reason = models.TextField(_("lý do thu hồi"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("quyết định công nhận")
        verbose_name_plural = _("quyết định công nhận")
        ordering = ["decision_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked_on__isnull=True) | ~models.Q(revocation_reason=""),
                name="recognition_revoked_with_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_on__isnull=True) | models.Q(revoked_on__gte=models.F("decision_date")),
                name="recognition_revoked_after_decision",
            ),
        ]


class ValueChange(models.Model):
    """Every change of a value or of its review status: who, when, old and new, and why. Never edited."""

    class Action(models.TextChoices):
        SAVE = "save", _("Lưu")
        SUBMIT = "submit", _("Gửi duyệt")
        APPROVE = "approve", _("Duyệt")
        RETURN = "return", _("Trả lại")
        IMPORT = "import", _("Nhập từ tệp")

    class Source(models.TextChoices):
        FORM = "form", _("Biểu mẫu")
        EXCEL = "excel", _("Tệp Excel tải lên")
        COMMAND = "command", _("Lệnh import_values")
        API = "api", _("API")
        REVIEW = "review", _("Thẩm tra")

    value = models.ForeignKey(IndicatorValue, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=10, choices=Action.choices)
    # Where the change came from; empty on rows written before sources were recorded.
    source = models.CharField(_("nguồn"), max_length=10, choices=Source.choices, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    old_number = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    new_number = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    old_boolean = models.BooleanField(null=True, blank=True)
    new_boolean = models.BooleanField(null=True, blank=True)
    old_status = models.CharField(max_length=12, choices=ValueStatus.choices, blank=True)
    new_status = models.CharField(max_length=12, choices=ValueStatus.choices, blank=True)
    old_note = models.TextField(blank=True)
    new_note = models.TextField(blank=True)
    reason = models.TextField(_("lý do"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("lịch sử giá trị")
        verbose_name_plural = _("lịch sử giá trị")
        ordering = ["at", "id"]


class Evidence(models.Model):
    """A file of evidence (minh chứng) attached to a value, stored under a random name outside the static root."""

    value = models.ForeignKey(IndicatorValue, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="evidence/%Y/%m/", max_length=200)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("minh chứng")
        verbose_name_plural = _("minh chứng")
        ordering = ["uploaded_at", "id"]


class Submission(models.Model):
    """A unit's values for a period as sent to review: the district's review queue is made of these."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Đang nhập")
        SUBMITTED = "submitted", _("Chờ duyệt")
        RETURNED = "returned", _("Trả lại")
        APPROVED = "approved", _("Đã duyệt")

    unit = models.ForeignKey(AdminUnit, on_delete=models.CASCADE, related_name="submissions")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="submissions")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("hồ sơ gửi duyệt")
        verbose_name_plural = _("hồ sơ gửi duyệt")
        constraints = [models.UniqueConstraint(fields=["unit", "period"], name="submission_unique_unit_period")]


class RecomputeRun(models.Model):
    """A full recompute (of a period, or of everything): its progress, shown as a progress bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Đang chờ")
        RUNNING = "running", _("Đang chạy")
        DONE = "done", _("Hoàn thành")
        FAILED = "failed", _("Lỗi")

    period = models.ForeignKey(ReportingPeriod, null=True, blank=True, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    trigger = models.CharField(max_length=20, default="manual")
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    units_total = models.PositiveIntegerField(default=0)
    units_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # The subtree recomputed (a provincial coordinator's province); empty: the whole country.
    unit = models.ForeignKey(AdminUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="recompute_runs")
    # The last chunk committed ({"period": id, "level": n, "unit": id}): a retried run carries on after it.
    cursor = models.JSONField(default=dict, blank=True)
    # Touched by every chunk: a running run not touched for long lost its worker.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lần tính lại")
        verbose_name_plural = _("lần tính lại")
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return int(100 * self.units_done / self.units_total) if self.units_total else 0
