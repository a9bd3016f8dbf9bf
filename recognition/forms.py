from django import forms
from django.utils.translation import gettext_lazy as _

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def date_field(label):
    return forms.DateField(
        label=label,
        input_formats=DATE_FORMATS,
        widget=DateInput(),
        error_messages={"invalid": _("Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm.")},
    )


class OpenForm(forms.Form):
    rule_set = forms.IntegerField(widget=forms.HiddenInput)


class PrepareForm(forms.Form):
    self_assessment = forms.CharField(
        label=_("Báo cáo tự đánh giá"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    # Parsed by the service, so that "92,5" and "92.5" are read the same way and "1.234,5" is refused.
    survey_satisfaction = forms.CharField(label=_("Tỷ lệ người dân hài lòng (%)"), max_length=20, required=False)
    survey_note = forms.CharField(label=_("Ghi chú về khảo sát"), max_length=300, required=False)


class AttachForm(forms.Form):
    title = forms.CharField(label=_("Tên tài liệu"), max_length=200, required=False)
    file = forms.FileField(label=_("Tệp"))


class StepForm(forms.Form):
    """Thẩm tra or thẩm định: the day and the result."""

    on = date_field(_("Ngày"))
    note = forms.CharField(label=_("Kết quả"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class SubmitForm(forms.Form):
    on = date_field(_("Ngày gửi"))


class ReturnForm(forms.Form):
    on = date_field(_("Ngày trả lại"))
    reason = forms.CharField(label=_("Lý do trả lại"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class DecideForm(forms.Form):
    number = forms.CharField(label=_("Số quyết định"), max_length=100, required=False)
    decided_on = date_field(_("Ngày quyết định"))
    signer = forms.CharField(label=_("Người ký"), max_length=200, required=False)
    authority = forms.CharField(label=_("Cơ quan ra quyết định"), max_length=200, required=False)


class RevokeForm(forms.Form):
    revoked_on = date_field(_("Ngày thu hồi"))
    number = forms.CharField(label=_("Số quyết định thu hồi"), max_length=100, required=False)
    reason = forms.CharField(
        label=_("Lý do thu hồi (theo Quyết định 18/2022/QĐ-TTg)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class AcknowledgeForm(forms.Form):
    rule_set = forms.IntegerField(label=_("Bậc"))
    number = forms.CharField(label=_("Số quyết định"), max_length=100, required=False)
    decided_on = date_field(_("Ngày quyết định"))
    signer = forms.CharField(label=_("Người ký"), max_length=200, required=False)
    authority = forms.CharField(label=_("Cơ quan ra quyết định"), max_length=200, required=False)
    note = forms.CharField(
        label=_("Căn cứ thừa nhận (đơn vị trước sắp xếp và bậc của chúng)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, rule_sets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule_set"] = forms.TypedChoiceField(
            label=_("Bậc"), coerce=int, choices=[(rs.pk, str(rs)) for rs in rule_sets]
        )
