import io

import pytest
import yaml
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from criteria.loader import _FileChecker, default_paths, load_rule_sets
from criteria.models import Criterion, Indicator, RuleSet
from criteria.ruleset_export import XLSX_COLUMNS, rule_set_export_xlsx, rule_set_export_yaml

pytestmark = pytest.mark.django_db


def _snapshot(rule_set):
    """Everything the tracker rates with, as comparable data."""
    fields = [
        "name",
        "name_en",
        "short_name",
        "level",
        "tier",
        "programme_period",
        "legal_basis",
        "issuer",
        "valid_from",
        "valid_to",
        "status",
        "prerequisite_code",
        "applies_to",
        "region_substitutions",
        "counts_official",
        "variant_note",
        "verified",
        "note",
        "sources",
    ]
    return {
        "set": {f: getattr(rule_set, f) for f in fields},
        "criteria": list(
            Criterion.objects.filter(rule_set=rule_set)
            .order_by("position")
            .values("code", "name", "name_en", "name_verified", "source", "position")
        ),
        "indicators": list(
            Indicator.objects.filter(rule_set=rule_set)
            .order_by("position")
            .values(
                "criterion__code",
                "code",
                "text",
                "text_en",
                "kind",
                "unit_label",
                "target",
                "target_text",
                "plausible_range",
                "derived",
                "verified",
                "source",
                "legal_basis",
                "confidence",
                "agency",
                "note",
                "position",
            )
        ),
    }


@pytest.fixture
def shipped(db):
    load_rule_sets(default_paths())
    return list(RuleSet.objects.order_by("code", "version"))


def test_every_shipped_set_exported_to_yaml_reads_back_as_the_same_content(shipped, tmp_path):
    assert len(shipped) == len(default_paths())
    for rule_set in shipped:
        text = rule_set_export_yaml(rule_set=rule_set)
        spec = _FileChecker(tmp_path / "x.yaml", "x.yaml").check(yaml.safe_load(text))
        assert spec is not None, rule_set.code
        # The checksum covers status, every field, criterion, indicator, target, range and verified mark.
        assert spec.checksum == rule_set.checksum, rule_set.code


def test_exported_files_load_into_a_fresh_database_unchanged(shipped, tmp_path, django_db_blocker):
    before = {(rs.code, rs.version): _snapshot(rs) for rs in shipped}
    paths = []
    for rule_set in shipped:
        path = tmp_path / f"{rule_set.code}.yaml"
        call_command("rule_set_export", rule_set.code, "--format", "yaml", "--output", str(path), stderr=io.StringIO())
        paths.append(path)
    RuleSet.objects.filter(status=RuleSet.Status.PUBLISHED).update(status=RuleSet.Status.DRAFT)
    Indicator.objects.all().delete()
    Criterion.objects.all().delete()
    RuleSet.objects.all().delete()

    results = load_rule_sets(paths)
    assert {r.status for r in results} == {"created"}
    after = {(rs.code, rs.version): _snapshot(rs) for rs in RuleSet.objects.all()}
    assert after == before
    # A fact the snapshot would hide if both sides were empty.
    assert any(i["target"].get("overrides") for snap in after.values() for i in snap["indicators"])
    assert any(not i["verified"] for snap in after.values() for i in snap["indicators"])
    assert any(i["derived"] for snap in after.values() for i in snap["indicators"])
    assert any(i["criterion__code"] is None for snap in after.values() for i in snap["indicators"])


def test_loading_an_export_over_the_stored_set_changes_nothing(shipped, tmp_path):
    rule_set = RuleSet.objects.get(code="xa-ntm-2026-2030")
    path = tmp_path / "again.yaml"
    path.write_text(rule_set_export_yaml(rule_set=rule_set), encoding="utf-8")
    assert load_rule_sets([path])[0].status == "unchanged"


def test_yaml_goes_to_standard_output_without_output(shipped, capsys):
    call_command("rule_set_export", "xa-ntm-2021-2025")
    out = capsys.readouterr().out
    doc = yaml.safe_load(out)
    assert doc["format"] == "ntm-ruleset/1"
    assert doc["code"] == "xa-ntm-2021-2025"
    assert [c["code"] for c in doc["criteria"]][:3] == ["1", "2", "3"]
    assert "'1'" in out  # codes stay strings


def test_a_changed_export_loads_as_a_new_version(shipped, tmp_path):
    rule_set = RuleSet.objects.get(code="xa-ntm-2021-2025", version=1)
    doc = yaml.safe_load(rule_set_export_yaml(rule_set=rule_set))
    doc["version"] = 2
    doc["criteria"][0]["indicators"][0]["text"] = "Nội dung sửa"
    amount = next(
        i
        for c in doc["criteria"]
        for i in c["indicators"]
        if i["kind"] in ("amount", "percent") and not i.get("derived")
    )
    amount["range"] = {"min": 10, "max": 90}
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_rule_sets([path])[0].status == "created"
    assert RuleSet.objects.filter(code="xa-ntm-2021-2025").count() == 2
    v2 = RuleSet.objects.get(code="xa-ntm-2021-2025", version=2)
    assert v2.indicators.get(code=amount["code"]).plausible_range == {"min": 10, "max": 90}
    again = yaml.safe_load(rule_set_export_yaml(rule_set=v2))
    assert next(i for c in again["criteria"] for i in c["indicators"] if i["code"] == amount["code"])["range"] == {
        "min": 10,
        "max": 90,
    }
    assert _FileChecker(path, "v2").check(again).checksum == v2.checksum


@pytest.mark.parametrize(
    "args, message",
    [
        (["khong-co"], "Không có bộ tiêu chí mã 'khong-co'"),
        (["xa-ntm-2021-2025", "--version", "9"], "không có phiên bản 9; các phiên bản có: 1"),
        (["xa-ntm-2021-2025", "--version", "0"], "Phiên bản phải là số nguyên"),
        (["xa-ntm-2021-2025", "--format", "xlsx"], "--output"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(shipped, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rule_set_export", *args)


def test_xlsx_has_vietnamese_headers_a_row_per_indicator_and_no_live_formulas(shipped, tmp_path):
    rule_set = RuleSet.objects.get(code="xa-ntm-2021-2025")
    indicator = rule_set.indicators.order_by("position").first()
    # A text that a spreadsheet would run as a formula (the set is published: write past the model guard).
    Indicator.objects.filter(pk=indicator.pk).update(note='=HYPERLINK("http://x")')
    path = tmp_path / "set.xlsx"
    call_command("rule_set_export", rule_set.code, "--format", "xlsx", "--output", str(path), stderr=io.StringIO())
    book = load_workbook(path)
    assert book.sheetnames == ["Bộ tiêu chí", "Chỉ tiêu"]
    sheet = book["Chỉ tiêu"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [label for label, _w in XLSX_COLUMNS]
    assert len(rows) - 1 == rule_set.indicators.count()
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Mã chỉ tiêu"] == indicator.code
    assert first["Ghi chú"] == '\'=HYPERLINK("http://x")'
    assert all(not (isinstance(v, str) and v.startswith("=")) for row in rows for v in row)
    unverified = [r for r in rows[1:] if r[XLSX_COLUMNS.index(("Đã xác minh", 10))] == "chưa xác minh"]
    assert len(unverified) == rule_set.indicators.filter(verified=False).count() > 0
    about = dict(book["Bộ tiêu chí"].iter_rows(values_only=True))
    assert about["Mã"] == "xa-ntm-2021-2025" and about["Phiên bản"] == 1


def test_xlsx_shows_overrides_readably(shipped):
    rule_set = RuleSet.objects.get(code="xa-ntm-2021-2025")
    indicator = next(i for i in rule_set.indicators.all() if (i.target or {}).get("overrides"))
    book = load_workbook(io.BytesIO(rule_set_export_xlsx(rule_set=rule_set)))
    rows = list(book["Chỉ tiêu"].iter_rows(values_only=True))
    row = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[2] == indicator.code)
    assert row["Mức đạt riêng (vùng/năm/thuộc tính/nhóm xã)"].startswith("vùng ")


def test_a_set_made_outside_a_file_exports_with_its_own_counts_marked_unverified(small_world, tmp_path):
    doc = yaml.safe_load(rule_set_export_yaml(rule_set=small_world["huyen"]))
    assert doc["counts"] == {"criteria": 1, "indicators": 1, "verified": False}
    assert doc["conditions"][0]["derived"]["rule_set"] == "t-nc"
    doc["version"] = 2
    path = tmp_path / "huyen.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    (result,) = load_rule_sets([path])
    assert (result.criteria, result.indicators, result.conditions) == (1, 1, 1)
