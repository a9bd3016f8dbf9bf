"""Forms of the OCOP pages. Choices of units and producers are limited to what the user may change; the services
check again, so a forged POST is refused the same way."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import ProducerKind, ProductGroup

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class ProducerForm(forms.Form):
    unit = forms.ChoiceField(label=_("Xã"))
    name = forms.CharField(label=_("Tên chủ thể"), max_length=300)
    kind = forms.ChoiceField(label=_("Loại chủ thể"), choices=ProducerKind.choices)
    contact_person = forms.CharField(label=_("Người đại diện"), max_length=200, required=False)
    phone = forms.CharField(label=_("Điện thoại"), max_length=40, required=False)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    address = forms.CharField(label=_("Địa chỉ"), max_length=300, required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, f"{u.name} ({u.code})") for u in units]
        self.fields["unit"].error_messages["invalid_choice"] = _(
            "Xã «%(value)s» không có hoặc ngoài phạm vi bạn được cập nhật."
        )


class ProductForm(forms.Form):
    producer = forms.TypedChoiceField(label=_("Chủ thể"), coerce=int)
    name = forms.CharField(label=_("Tên sản phẩm"), max_length=300)
    group = forms.ChoiceField(label=_("Nhóm sản phẩm"), choices=ProductGroup.choices)

    def __init__(self, *args, producers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producer"].choices = [(p.pk, f"{p.name} · {p.unit.name}") for p in producers]
        self.fields["producer"].error_messages["invalid_choice"] = _(
            "Chủ thể không có hoặc ngoài phạm vi bạn được cập nhật."
        )


class EvaluationForm(forms.Form):
    evaluated_on = forms.DateField(label=_("Ngày đánh giá"), widget=DATE_INPUT, input_formats=DATE_FORMATS)
    council = forms.CharField(label=_("Hội đồng đánh giá"), max_length=200, required=False)
    part_a = forms.IntegerField(label=_("Điểm phần A"), min_value=0, max_value=100)
    part_b = forms.IntegerField(label=_("Điểm phần B"), min_value=0, max_value=100)
    part_c = forms.IntegerField(label=_("Điểm phần C"), min_value=0, max_value=100)
    stars = forms.IntegerField(
        label=_("Số sao theo biên bản (để đối chiếu)"),
        min_value=1,
        max_value=5,
        required=False,
        help_text=_("Không bắt buộc. Số sao do hệ thống tính từ tổng điểm; nếu ghi, phải khớp với điểm."),
    )
    note = forms.CharField(label=_("Ghi chú"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    PART_FIELDS = {"A": "part_a", "B": "part_b", "C": "part_c"}


def _round_label(e) -> str:
    return gettext("%(d)s · %(p)d điểm · %(s)d sao") % {
        "d": f"{e.evaluated_on:%d/%m/%Y}",
        "p": e.total_points,
        "s": e.stars,
    }


class CertificateForm(forms.Form):
    evaluation = forms.TypedChoiceField(label=_("Lần đánh giá"), coerce=int)
    decision_number = forms.CharField(label=_("Số quyết định"), max_length=100)
    decision_date = forms.DateField(label=_("Ngày quyết định"), widget=DATE_INPUT, input_formats=DATE_FORMATS)
    expires_on = forms.DateField(
        label=_("Ngày hết hạn"),
        widget=DATE_INPUT,
        input_formats=DATE_FORMATS,
        required=False,
        help_text=_("Để trống: theo thời hạn của bộ tiêu chí (36 tháng kể từ ngày quyết định)."),
    )

    def __init__(self, *args, evaluations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluation"].choices = [(e.pk, _round_label(e)) for e in evaluations]


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(label=_("Ngày thu hồi"), widget=DATE_INPUT, input_formats=DATE_FORMATS)
    reason = forms.CharField(label=_("Lý do thu hồi"), max_length=300)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Tệp danh sách OCOP (.xlsx hoặc .csv)"))
