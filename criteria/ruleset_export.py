"""A stored rule set written back in the file format of docs/rule-set-format.md (YAML) or as a workbook (XLSX).

The YAML is the same format `load_rule_sets` reads: loading an exported file gives the same content (same
checksum), so an office can take a set out of the tracker, correct it and load it as a new version.
"""

from __future__ import annotations

import io
from typing import Any

import yaml
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from communes.models import Region
from entry.excel import neutralise

from .loader import FORMAT, LEVELS, format_number, target_text
from .models import Criterion, Indicator, RuleSet

LEVEL_NAMES = {int(level): name for name, level in LEVELS.items()}


class RuleSetNotFound(LookupError):
    """No rule set with that code (and version)."""


def rule_set_get(*, code: str, version: int | None = None) -> RuleSet:
    """The set of that code and version; without a version, the newest published one (else the newest)."""
    rule_sets = RuleSet.objects.filter(code=code)
    if version is not None:
        rule_set = rule_sets.filter(version=version).first()
    else:
        rule_set = (
            rule_sets.filter(status=RuleSet.Status.PUBLISHED).order_by("-version").first()
            or rule_sets.order_by("-version").first()
        )
    if rule_set is None:
        versions = list(rule_sets.order_by("version").values_list("version", flat=True))
        if versions:
            message = _("Bộ tiêu chí '%(code)s' không có phiên bản %(v)s; các phiên bản có: %(known)s") % {
                "code": code,
                "v": version,
                "known": ", ".join(str(v) for v in versions),
            }
        else:
            known = ", ".join(sorted(set(RuleSet.objects.values_list("code", flat=True))))
            message = _("Không có bộ tiêu chí mã '%(code)s'. Các mã có: %(known)s") % {"code": code, "known": known}
        raise RuleSetNotFound(message)
    return rule_set


def rule_set_contents(rule_set: RuleSet) -> tuple[list[Criterion], list[Indicator]]:
    """Criteria (each with `.ordered_indicators`) and the conditions, in file order, in two queries."""
    indicators = Indicator.objects.filter(rule_set=rule_set).order_by("position", "code")
    criteria = list(
        Criterion.objects.filter(rule_set=rule_set)
        .order_by("position", "code")
        .prefetch_related(Prefetch("indicators", queryset=indicators, to_attr="ordered_indicators"))
    )
    conditions = list(indicators.filter(criterion__isnull=True))
    return criteria, conditions


def _put(data: dict, key: str, value: Any) -> None:
    """Optional keys are written only when they hold something: absent and empty load the same."""
    if value not in (None, "", [], {}):
        data[key] = value


def _indicator_document(indicator: Indicator) -> dict[str, Any]:
    data: dict[str, Any] = {"code": indicator.code, "text": indicator.text}
    _put(data, "text_en", indicator.text_en)
    data["kind"] = indicator.kind
    _put(data, "unit", indicator.unit_label)
    data["target"] = indicator.target
    _put(data, "range", indicator.plausible_range)
    _put(data, "derived", indicator.derived)
    data["verified"] = indicator.verified
    for key in ("source", "confidence", "legal_basis", "agency", "note"):
        _put(data, key, getattr(indicator, key))
    return data


def rule_set_document(*, rule_set: RuleSet) -> dict[str, Any]:
    """The set as the mapping a rule-set file holds, keys in the documented order."""
    criteria, conditions = rule_set_contents(rule_set)
    doc: dict[str, Any] = {"format": FORMAT, "code": rule_set.code, "version": rule_set.version, "name": rule_set.name}
    _put(doc, "name_en", rule_set.name_en)
    _put(doc, "short_name", rule_set.short_name)
    doc["level"] = LEVEL_NAMES[rule_set.level]
    doc["tier"] = rule_set.tier
    doc["programme_period"] = rule_set.programme_period
    doc["legal_basis"] = rule_set.legal_basis
    _put(doc, "issuer", rule_set.issuer)
    _put(doc, "valid_from", rule_set.valid_from)
    _put(doc, "valid_to", rule_set.valid_to)
    doc["status"] = rule_set.status
    _put(doc, "prerequisite", rule_set.prerequisite_code)
    _put(doc, "applies_to", rule_set.applies_to)
    _put(doc, "variant_note", rule_set.variant_note)
    _put(doc, "region_substitutions", rule_set.region_substitutions)
    # `counts` is required; a set made outside a file has no official numbers: its own, marked unverified.
    doc["counts"] = rule_set.counts_official or {
        "criteria": len(criteria),
        "indicators": sum(len(c.ordered_indicators) for c in criteria),
        "verified": False,
    }
    _put(doc, "sources", rule_set.sources)
    _put(doc, "note", rule_set.note)
    doc["criteria"] = []
    for criterion in criteria:
        item: dict[str, Any] = {"code": criterion.code, "name": criterion.name}
        _put(item, "name_en", criterion.name_en)
        item["verified"] = criterion.name_verified
        _put(item, "source", criterion.source)
        item["indicators"] = [_indicator_document(i) for i in criterion.ordered_indicators]
        doc["criteria"].append(item)
    _put(doc, "conditions", [_indicator_document(i) for i in conditions])
    return doc


class _Dumper(yaml.SafeDumper):
    """Block style, and long Vietnamese texts kept on one line."""


def _str_representer(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def rule_set_export_yaml(*, rule_set: RuleSet) -> str:
    header = (
        f"# {rule_set.code} v{rule_set.version} — {rule_set.name}\n"
        "# Định dạng: docs/rule-set-format.md; nạp lại bằng: python manage.py load_rule_sets <tệp>\n"
    )
    body = yaml.dump(
        rule_set_document(rule_set=rule_set),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10_000,
    )
    return header + body


# --------------------------------------------------------------------------- readable targets


def when_text(when: dict[str, Any]) -> str:
    """`{region: TDMNPB, years: [2024, 2025]}` → "vùng Trung du và miền núi phía Bắc, năm 2024, 2025"."""
    parts = []
    if "region" in when:
        parts.append(
            _("vùng %(r)s") % {"r": Region(when["region"]).label if when["region"] in Region.values else when["region"]}
        )
    if "attribute" in when:
        parts.append(_("đơn vị có thuộc tính %(a)s") % {"a": when["attribute"]})
    if "group" in when:
        parts.append(_("xã nhóm %(g)s") % {"g": when["group"]})
    if "groups" in when:
        parts.append(_("xã nhóm %(g)s") % {"g": ", ".join(str(g) for g in when["groups"])})
    if "year" in when:
        parts.append(_("năm %(y)s") % {"y": when["year"]})
    if "years" in when:
        parts.append(_("năm %(y)s") % {"y": ", ".join(str(y) for y in when["years"])})
    return ", ".join(parts)


def override_lines(indicator: Indicator) -> list[tuple[str, str]]:
    """(where, target) for each override of the indicator's target, in file order."""
    return [
        (when_text(o.get("when") or {}), target_text(o, indicator.unit_label))
        for o in (indicator.target or {}).get("overrides") or []
    ]


def range_text(indicator: Indicator) -> str:
    bounds = indicator.plausible_range or {}
    if not bounds:
        return ""
    low = format_number(bounds["min"]) if "min" in bounds else "…"
    high = format_number(bounds["max"]) if "max" in bounds else "…"
    return f"{low} – {high}"


# --------------------------------------------------------------------------- workbook

XLSX_SET_SHEET = "Bộ tiêu chí"
XLSX_INDICATOR_SHEET = "Chỉ tiêu"
XLSX_COLUMNS = [
    ("Mã tiêu chí", 10),
    ("Tên tiêu chí", 30),
    ("Mã chỉ tiêu", 10),
    ("Nội dung chỉ tiêu", 60),
    ("Kiểu giá trị", 10),
    ("Đơn vị", 12),
    ("Toán tử", 8),
    ("Giá trị", 10),
    ("Mức đạt", 24),
    ("Mức đạt riêng (vùng/năm/thuộc tính/nhóm xã)", 50),
    ("Khoảng hợp lý", 14),
    ("Tính từ", 30),
    ("Đã xác minh", 10),
    ("Nguồn", 20),
    ("Mức tin cậy", 12),
    ("Căn cứ pháp lý", 30),
    ("Cơ quan phụ trách", 20),
    ("Ghi chú", 40),
]


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return neutralise(value)


def rule_set_export_xlsx(*, rule_set: RuleSet) -> bytes:
    """Two sheets with Vietnamese headers: the set's own fields, then one row per indicator and condition."""
    criteria, conditions = rule_set_contents(rule_set)
    workbook = Workbook()
    about = workbook.active
    about.title = XLSX_SET_SHEET
    about.append(["Trường", "Giá trị"])
    counts = rule_set.counts_official or {}
    for label, value in [
        ("Định dạng", FORMAT),
        ("Mã", rule_set.code),
        ("Phiên bản", rule_set.version),
        ("Tên", rule_set.name),
        ("Tên tiếng Anh", rule_set.name_en),
        ("Cấp", LEVEL_NAMES[rule_set.level]),
        ("Hạng", rule_set.tier),
        ("Giai đoạn", rule_set.programme_period),
        ("Căn cứ pháp lý", rule_set.legal_basis),
        ("Cơ quan ban hành", rule_set.issuer),
        ("Hiệu lực từ", rule_set.valid_from.isoformat() if rule_set.valid_from else ""),
        ("Hiệu lực đến", rule_set.valid_to.isoformat() if rule_set.valid_to else ""),
        ("Trạng thái", rule_set.status),
        ("Bậc phải đạt trước", rule_set.prerequisite_code),
        ("Số tiêu chí chính thức", counts.get("criteria")),
        ("Số chỉ tiêu chính thức", counts.get("indicators")),
        ("Số điều kiện chính thức", counts.get("conditions")),
        ("Ghi chú", rule_set.note),
    ]:
        about.append([label, _cell(value)])
    about.column_dimensions["A"].width = 26
    about.column_dimensions["B"].width = 80

    sheet = workbook.create_sheet(XLSX_INDICATOR_SHEET)
    sheet.append([label for label, _w in XLSX_COLUMNS])
    for index, (_label, width) in enumerate(XLSX_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    rows = [(c.code, c.name, i) for c in criteria for i in c.ordered_indicators]
    rows += [("", "Điều kiện công nhận", i) for i in conditions]
    for criterion_code, criterion_name, indicator in rows:
        target = indicator.target or {}
        derived = indicator.derived or {}
        sheet.append(
            [
                _cell(v)
                for v in (
                    criterion_code,
                    criterion_name,
                    indicator.code,
                    indicator.text,
                    indicator.kind,
                    indicator.unit_label,
                    target.get("op"),
                    target.get("value"),
                    indicator.target_text,
                    "; ".join(f"{where}: {text}" for where, text in override_lines(indicator)),
                    range_text(indicator),
                    ", ".join(f"{k}={v}" for k, v in derived.items()),
                    "có" if indicator.verified else "chưa xác minh",
                    indicator.source,
                    indicator.confidence,
                    indicator.legal_basis,
                    indicator.agency,
                    indicator.note,
                )
            ]
        )
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
