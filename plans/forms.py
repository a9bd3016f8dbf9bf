import re

from django import forms
from django.utils.translation import gettext_lazy as _

from recognition.forms import date_field

from .models import CapitalSource


class TargetForm(forms.Form):
    unit_code = forms.CharField(label=_("Mã đơn vị (tỉnh hoặc huyện)"), max_length=20)
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100)
    rule_set = forms.TypedChoiceField(label=_("Bậc (bộ tiêu chí)"), coerce=int, choices=())
    count = forms.IntegerField(label=_("Số đơn vị"), min_value=0, max_value=10000)
    additional = forms.BooleanField(label=_("Tính số đơn vị tăng thêm trong năm"), required=False, initial=True)
    note = forms.CharField(label=_("Ghi chú"), max_length=300, required=False)
    expected = forms.CharField(
        label=_("Đơn vị dự kiến đạt trong năm (mã, cách nhau bởi dấu phẩy hoặc xuống dòng)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, rule_sets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule_set"].choices = [(rs.pk, rs.name) for rs in rule_sets]

    def expected_codes(self) -> list[str]:
        return [c for c in re.split(r"[\s,;]+", self.cleaned_data.get("expected") or "") if c]


class AssignForm(forms.Form):
    indicator = forms.IntegerField(widget=forms.HiddenInput)
    agency = forms.CharField(label=_("Cơ quan phụ trách"), max_length=200, required=False)
    deadline = date_field(_("Hạn hoàn thành"))
    note = forms.CharField(label=_("Ghi chú"), max_length=300, required=False)


class CapitalForm(forms.Form):
    year = forms.IntegerField(label=_("Năm"), min_value=2000, max_value=2100)
    source = forms.ChoiceField(label=_("Nguồn vốn"), choices=CapitalSource.choices)
    # Read by the service as officials write amounts ("1.234,5").
    planned = forms.CharField(label=_("Kế hoạch (triệu đồng)"), max_length=30)
    disbursed = forms.CharField(label=_("Đã giải ngân (triệu đồng)"), max_length=30, required=False)
    note = forms.CharField(label=_("Ghi chú"), max_length=300, required=False)


class WorkForm(forms.Form):
    year = forms.IntegerField(label=_("Năm kế hoạch"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Tên công trình"), max_length=300, required=False)
    criterion = forms.TypedChoiceField(label=_("Phục vụ tiêu chí"), coerce=int, required=False, empty_value=None)
    planned_cost = forms.CharField(label=_("Tổng mức đầu tư (triệu đồng)"), max_length=30, required=False)
    progress = forms.CharField(label=_("Tiến độ (%)"), max_length=10, required=False)
    planned_end = date_field(_("Hạn hoàn thành"))
    finished_on = date_field(_("Ngày hoàn thành"))
    note = forms.CharField(label=_("Ghi chú"), max_length=300, required=False)

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [("", "—")] + [(c.pk, f"{c.code}. {c.name}") for c in criteria]
        self.fields["finished_on"].required = False


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Tệp Excel (.xlsx)"))
