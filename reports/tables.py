"""django-tables2 tables of the dashboards. Rows are dicts built from the dashboard selectors, so sorting and
export never go back to the database. The numeric columns hidden on the page are what the CSV / XLSX get,
so a spreadsheet holds numbers, not "12/19" strings."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from criteria.models import RuleSet, Submission

from .dashboards import NO_SUBMISSION, Cell, UnitRow, tier_label, tier_rank


def submission_label(status: str) -> str:
    if status == NO_SUBMISSION:
        return _("chưa gửi")
    return str(Submission.Status(status).label)


def _change(value: int | None) -> str:
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else str(value)


class UnitColumn(tables.Column):
    def render(self, value, record, table=None):
        unit = record["unit"]
        note = record.get("period_note")
        extra = format_html(' <span class="muted small">({})</span>', note.label) if note else ""
        demo = format_html(' <span class="badge badge-demo">{}</span>', _("mẫu")) if unit.is_demo else ""
        url = reverse("unit-detail", args=[unit.code])
        # the drill-down keeps the period chosen on the district page
        period = getattr(getattr(table, "request", None), "GET", {}).get("period")
        if period:
            url += "?" + urlencode({"period": period})
        return format_html('<a href="{}">{}</a>{}{}', url, unit.name, extra, demo)

    def value(self, value, record):
        return record["unit"].name


class CellColumn(tables.Column):
    """ "12/19 · 61/75" with a status mark; sorted by indicators met."""

    def render(self, value: Cell | None, record):
        if value is None:
            return format_html('<span class="muted">—</span>')
        if value.has_criteria:
            counts = f"{value.criteria_met}/{value.criteria_total} · {value.indicators_met}/{value.indicators_total}"
        else:
            counts = _("%(m)s/%(t)s điều kiện") % {"m": value.conditions_met, "t": value.conditions_total}
        css, label = ("status-met", _("Đạt chuẩn")) if value.attained else ("status-not-met", _("Chưa đạt"))
        return format_html('<span class="counts">{}</span> <span class="status {}">{}</span>', counts, css, label)


class TierColumn(tables.Column):
    """A tier, or "no result" for a unit with neither a stored result nor a recognition."""

    def _label(self, value, record):
        if not value and not record.get("has_data"):
            return _("chưa có kết quả")
        return tier_label(value)

    def render(self, value, record):
        return self._label(value, record)

    def value(self, value, record):
        return self._label(value, record)


class ChangeColumn(tables.Column):
    def render(self, value):
        return _change(value)

    def value(self, value):
        return value


class SubmissionColumn(tables.Column):
    def render(self, value):
        css = "status-no-data" if value in (NO_SUBMISSION, Submission.Status.DRAFT) else "status-met"
        if value == Submission.Status.RETURNED:
            css = "status-not-met"
        return format_html('<span class="status {}">{}</span>', css, submission_label(value))

    def value(self, value):
        return submission_label(value)


def _number(name: str, verbose: str) -> tables.Column:
    return tables.Column(verbose_name=verbose, accessor=name, visible=False, default="")


class CommuneTable(tables.Table):
    """The district's communes. Extra columns per rule set are added by `for_sets`."""

    code = tables.Column(
        verbose_name=gettext_lazy("Mã"), accessor="code", attrs={"td": {"class": "code"}, "th": {"class": "code"}}
    )
    unit = UnitColumn(verbose_name=gettext_lazy("Xã"), accessor="name", order_by=("name",))
    tier = TierColumn(verbose_name=gettext_lazy("Bậc đạt"), order_by=("tier_rank", "name"))
    recognised = TierColumn(verbose_name=gettext_lazy("Công nhận"), order_by=("recognised_rank", "name"))
    change = ChangeColumn(verbose_name=gettext_lazy("Tăng từ đầu năm"), order_by=("change_sort", "name"), default=None)
    submission = SubmissionColumn(verbose_name=gettext_lazy("Duyệt kỳ này"), order_by=("submission", "name"))
    next_gap = tables.Column(verbose_name=gettext_lazy("Thiếu để lên bậc"), order_by=("next_sort", "name"), default="—")
    period = tables.Column(verbose_name=gettext_lazy("Kỳ số liệu"), visible=False, default="")

    class Meta:
        template_name = "django_tables2/table.html"
        attrs = {"class": "data-table"}
        order_by = ("code",)
        orderable = True
        empty_text = gettext_lazy("Không có xã nào khớp bộ lọc.")

    @classmethod
    def for_sets(cls, rows: list[dict], rule_sets: list[RuleSet], **kwargs) -> CommuneTable:
        extra = []
        for rs in rule_sets:
            name = rs.short_name or rs.name
            extra.append(
                (
                    f"rs_{rs.pk}",
                    CellColumn(
                        verbose_name=name,
                        accessor=f"rs_{rs.pk}",
                        order_by=(f"rs_{rs.pk}_sort", "name"),
                        exclude_from_export=True,
                        default=None,
                    ),
                )
            )
            for key, label in (
                ("criteria_met", _("tiêu chí đạt")),
                ("criteria_total", _("tổng số tiêu chí")),
                ("indicators_met", _("chỉ tiêu đạt")),
                ("indicators_total", _("tổng số chỉ tiêu")),
                ("change_indicators", _("chỉ tiêu tăng từ đầu năm")),
                ("attained", _("đạt chuẩn (1/0)")),
            ):
                extra.append((f"rs_{rs.pk}_{key}", _number(f"rs_{rs.pk}_{key}", f"{name}: {label}")))
        return cls(rows, extra_columns=extra, **kwargs)


def _next_text(row: UnitRow) -> str:
    nxt = row.standing.next
    if nxt is None:
        return "—"
    cell = nxt.cell
    parts = []
    if cell.missing_criteria and cell.criteria_total:
        parts.append(_("%(n)s tiêu chí") % {"n": cell.missing_criteria})
    if cell.missing_indicators:
        parts.append(_("%(n)s chỉ tiêu") % {"n": cell.missing_indicators})
    if cell.missing_conditions:
        parts.append(_("%(n)s điều kiện") % {"n": cell.missing_conditions})
    return f"{tier_label(nxt.rule_set.tier)}: " + ", ".join(parts)


def commune_records(rows: list[UnitRow], rule_sets: list[RuleSet], primary: RuleSet | None) -> list[dict]:
    records = []
    for row in rows:
        main = row.cell(primary) or next(iter(row.cells.values()), None)
        change = main.change_indicators if main else None
        record = {
            "unit": row.unit,
            "code": row.unit.code,
            "name": row.unit.name,
            "tier": row.standing.current or "",
            "tier_rank": tier_rank(row.standing.current),
            "has_data": bool(row.cells) or row.standing.recognised is not None,
            "recognised": row.standing.recognised or "",
            "recognised_rank": tier_rank(row.standing.recognised),
            "change": change,
            "change_sort": change if change is not None else -999,
            "submission": row.submission,
            "next_gap": _next_text(row),
            "next_sort": row.standing.next.cell.distance if row.standing.next else 9999,
            "period": (row.period_note or (main.period if main else None) or "").__str__(),
            "period_note": row.period_note,
        }
        for rs in rule_sets:
            cell = row.cells.get(rs.pk)
            record[f"rs_{rs.pk}"] = cell
            record[f"rs_{rs.pk}_sort"] = cell.indicators_met if cell else -1
            record[f"rs_{rs.pk}_criteria_met"] = cell.criteria_met if cell else ""
            record[f"rs_{rs.pk}_criteria_total"] = cell.criteria_total if cell else ""
            record[f"rs_{rs.pk}_indicators_met"] = cell.indicators_met if cell else ""
            record[f"rs_{rs.pk}_indicators_total"] = cell.indicators_total if cell else ""
            record[f"rs_{rs.pk}_change_indicators"] = (
                cell.change_indicators if cell and cell.change_indicators is not None else ""
            )
            record[f"rs_{rs.pk}_attained"] = (1 if cell.attained else 0) if cell else ""
        records.append(record)
    return records
