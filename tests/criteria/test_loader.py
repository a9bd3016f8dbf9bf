"""The rule-set files and their loader: what ships loads with the official counts, bad files write nothing."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from criteria.loader import LoaderError, default_paths, load_rule_set_file, load_rule_sets, target_text
from criteria.models import Criterion, Indicator, PublishedRuleSetError, RuleSet
from tests.factories import IndicatorValueFactory

pytestmark = pytest.mark.django_db

OFFICIAL = {
    # code: (criteria, indicators in criteria, conditions)
    "xa-ntm-2021-2025": (19, 57, 0),
    "xa-ntm-nang-cao-2021-2025": (19, 75, 0),
    "xa-ntm-kieu-mau-2021-2025": (0, 0, 4),
    "xa-ntm-kieu-mau-qn-2021-2025": (6, 15, 0),
    "xa-ntm-kieu-mau-qn-9ct-2021-2025": (1, 9, 0),
    "huyen-ntm-2021-2025": (9, 36, 5),
    "huyen-ntm-nang-cao-2021-2025": (9, 38, 3),
    "thi-xa-tp-hoan-thanh-ntm-2021-2025": (0, 0, 1),
    "tinh-hoan-thanh-ntm-2021-2025": (0, 0, 8),
    "thon-ntm-nang-cao-qn-2021-2025": (1, 1, 0),
    "thon-thong-minh-qn-2021-2025": (1, 6, 0),
    "xa-ntm-2026-2030": (10, 47, 0),
}


def minimal(**changes) -> dict:
    """A small valid set; tests break one thing at a time."""
    doc = {
        "format": "ntm-ruleset/1",
        "code": "test-set",
        "version": 1,
        "name": "Bộ thử",
        "level": "commune",
        "tier": "ntm",
        "programme_period": "2021-2025",
        "legal_basis": "thử",
        "status": "draft",
        "applies_to": {"kinds": ["xa"]},
        "counts": {"criteria": 1, "indicators": 2, "verified": True},
        "criteria": [
            {
                "code": "1",
                "name": "Tiêu chí một",
                "verified": True,
                "indicators": [
                    {
                        "code": "1.1",
                        "text": "Tỷ lệ",
                        "kind": "percent",
                        "unit": "%",
                        "target": {"op": ">=", "value": 80},
                        "verified": True,
                    },
                    {"code": "1.2", "text": "Có", "kind": "bool", "target": {"op": "yes"}, "verified": True},
                ],
            }
        ],
    }
    doc.update(changes)
    return doc


def write(tmp_path: Path, doc: dict, name: str = "bo-thu.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def snapshot() -> tuple:
    return (
        list(RuleSet.objects.order_by("pk").values_list("pk", "code", "version", "status", "checksum", "published_at")),
        list(Criterion.objects.order_by("pk").values_list("pk", "rule_set_id", "code", "name")),
        list(Indicator.objects.order_by("pk").values_list("pk", "rule_set_id", "code", "target", "verified")),
    )


# --------------------------------------------------------------------------- the shipped files


def test_every_shipped_file_loads_with_the_official_counts():
    results = load_rule_sets(default_paths())

    assert {r.code for r in results} == set(OFFICIAL)
    assert all(r.status == "created" for r in results)
    for code, (n_criteria, n_indicators, n_conditions) in OFFICIAL.items():
        rule_set = RuleSet.objects.get(code=code)
        assert rule_set.is_published and rule_set.published_at is not None
        assert rule_set.criteria.count() == n_criteria, code
        assert rule_set.indicators.filter(criterion__isnull=False).count() == n_indicators, code
        assert rule_set.indicators.filter(criterion__isnull=True).count() == n_conditions, code
        for key, expected in (("criteria", n_criteria), ("indicators", n_indicators)):
            declared = rule_set.counts_official.get(key)
            assert declared in (expected, None), (code, key)
        assert rule_set.source_file == f"criteria/rulesets/{code}.yaml"
        assert len(rule_set.checksum) == 64


def test_official_counts_reported_by_the_seed_articles_are_declared():
    load_rule_sets(default_paths())
    declared = {rs.code: rs.counts_official for rs in RuleSet.objects.all()}
    assert (declared["xa-ntm-2021-2025"]["criteria"], declared["xa-ntm-2021-2025"]["indicators"]) == (19, 57)
    assert (declared["xa-ntm-nang-cao-2021-2025"]["criteria"], declared["xa-ntm-nang-cao-2021-2025"]["indicators"]) == (
        19,
        75,
    )
    assert (
        declared["xa-ntm-kieu-mau-qn-2021-2025"]["criteria"],
        declared["xa-ntm-kieu-mau-qn-2021-2025"]["indicators"],
    ) == (
        6,
        15,
    )
    assert declared["xa-ntm-kieu-mau-qn-9ct-2021-2025"]["indicators"] == 9
    assert (declared["huyen-ntm-2021-2025"]["criteria"], declared["huyen-ntm-2021-2025"]["indicators"]) == (9, 36)
    assert (
        declared["huyen-ntm-nang-cao-2021-2025"]["criteria"],
        declared["huyen-ntm-nang-cao-2021-2025"]["indicators"],
    ) == (
        9,
        38,
    )


def test_verified_marks_survive_loading():
    load_rule_sets(default_paths())
    xa = RuleSet.objects.get(code="xa-ntm-2021-2025")
    verified = set(xa.indicators.filter(verified=True).values_list("code", flat=True))
    assert verified == {"3.1", "3.2"}
    assert xa.indicators.filter(verified=False).count() == 55
    assert xa.criteria.filter(name_verified=True).count() == 19
    assert not xa.verified

    irrigation = xa.indicators.get(code="3.1")
    assert irrigation.kind == "percent"
    assert irrigation.target["op"] == ">=" and irrigation.target["value"] == 80
    assert irrigation.target_text == "≥ 80%"
    assert "1680/QĐ-BNN-VPĐP" in irrigation.legal_basis

    roads = xa.indicators.get(code="2.2")
    regions = {o["when"]["region"]: o["value"] for o in roads.target["overrides"]}
    assert regions == {"TDMNPB": 70, "DBSH": 100, "DNB": 100}
    assert all(o["source"] == "memory_guess" and o["verified"] is False for o in roads.target["overrides"])

    housing = xa.indicators.get(code="9.1")
    assert (housing.kind, housing.target["op"], housing.target_text) == ("bool", "no", "Không")

    assert xa.region_substitutions[0]["attribute"] == "especially_difficult"
    assert xa.region_substitutions[0]["region"] == "TDMNPB"
    assert xa.region_substitutions[0]["verified"] is True

    # 319/QĐ-TTg's four conditions were read in a source, and it has no criteria: the set is verified.
    model = RuleSet.objects.get(code="xa-ntm-kieu-mau-2021-2025")
    assert model.verified
    assert model.indicators.get(code="DK1").derived == {"from": "self", "rule_set": "xa-ntm-nang-cao-2021-2025"}
    assert model.prerequisite_code == "xa-ntm-nang-cao-2021-2025"


def test_placeholders_are_marked_and_never_verified():
    load_rule_sets(default_paths())
    advanced = RuleSet.objects.get(code="xa-ntm-nang-cao-2021-2025")
    placeholders = advanced.indicators.filter(confidence="placeholder")
    assert placeholders.count() == 12
    assert not placeholders.filter(verified=True).exists()
    assert set(placeholders.values_list("criterion__code", flat=True)) <= {"2", "3", "5", "13", "14", "17", "18"}
    qn = RuleSet.objects.get(code="xa-ntm-kieu-mau-qn-2021-2025")
    assert qn.applies_to == {"provinces": ["22"], "kinds": ["xa"], "exclude_districts": ["198"]}
    assert RuleSet.objects.get(code="xa-ntm-kieu-mau-qn-9ct-2021-2025").applies_to == {
        "districts": ["198"],
        "kinds": ["xa"],
    }


def test_two_programme_periods_sit_side_by_side():
    load_rule_sets(default_paths())
    periods = dict(RuleSet.objects.filter(level=3, tier="ntm").values_list("code", "programme_period"))
    assert periods == {"xa-ntm-2021-2025": "2021-2025", "xa-ntm-2026-2030": "2026-2030"}
    assert str(RuleSet.objects.get(code="xa-ntm-2026-2030").valid_from) == "2026-02-15"


# --------------------------------------------------------------------------- idempotence and versions


def test_loading_twice_changes_nothing():
    load_rule_sets(default_paths())
    before = snapshot()
    again = load_rule_sets(default_paths())
    assert {r.status for r in again} == {"unchanged"}
    assert snapshot() == before
    assert "— không đổi" in again[0].summary()


def test_a_changed_published_file_under_the_same_version_is_refused(tmp_path):
    path = write(tmp_path, minimal(status="published"))
    load_rule_set_file(path)
    before = snapshot()

    changed = minimal(status="published")
    changed["criteria"][0]["indicators"][0]["target"]["value"] = 90
    write(tmp_path, changed)
    with pytest.raises(LoaderError) as excinfo:
        load_rule_set_file(path)

    assert "đã ban hành, không sửa được; hãy tăng version" in str(excinfo.value)
    assert "bo-thu.yaml" in str(excinfo.value)
    assert snapshot() == before


def test_a_new_version_adds_a_row_and_keeps_the_first(tmp_path):
    load_rule_set_file(write(tmp_path, minimal(status="published")))
    first = RuleSet.objects.get(code="test-set", version=1)

    v2 = minimal(status="published", version=2)
    v2["criteria"][0]["indicators"][0]["target"]["value"] = 90
    result = load_rule_set_file(write(tmp_path, v2, "bo-thu-v2.yaml"))

    assert result.status == "created"
    assert RuleSet.objects.filter(code="test-set").count() == 2
    first.refresh_from_db()
    assert first.indicators.get(code="1.1").target["value"] == 80
    assert RuleSet.objects.get(code="test-set", version=2).indicators.get(code="1.1").target["value"] == 90


def test_a_changed_draft_is_replaced_in_place(tmp_path):
    path = write(tmp_path, minimal())
    load_rule_set_file(path)
    rule_set_pk = RuleSet.objects.get(code="test-set").pk

    changed = minimal()
    changed["criteria"][0]["indicators"][0]["target"]["value"] = 90
    write(tmp_path, changed)
    result = load_rule_set_file(path)

    assert result.status == "replaced"
    rule_set = RuleSet.objects.get(code="test-set")
    assert rule_set.pk == rule_set_pk
    assert rule_set.indicators.count() == 2
    assert rule_set.indicators.get(code="1.1").target["value"] == 90


def test_a_draft_with_entered_values_is_not_replaced(tmp_path):
    path = write(tmp_path, minimal())
    load_rule_set_file(path)
    IndicatorValueFactory(indicator=Indicator.objects.get(code="1.1"))
    before = snapshot()

    changed = minimal()
    changed["criteria"][0]["name"] = "Tên mới"
    write(tmp_path, changed)
    with pytest.raises(LoaderError, match="đã có số liệu"):
        load_rule_set_file(path)
    assert snapshot() == before


def test_publishing_sets_the_date_and_locks_the_set(tmp_path):
    load_rule_set_file(write(tmp_path, minimal(status="published")))
    rule_set = RuleSet.objects.get(code="test-set")
    assert rule_set.published_at is not None
    with pytest.raises(PublishedRuleSetError):
        rule_set.criteria.first().save()


def test_comments_and_layout_do_not_change_the_checksum(tmp_path):
    path = write(tmp_path, minimal(status="published"))
    load_rule_set_file(path)
    path.write_text(
        "# a comment\n" + path.read_text(encoding="utf-8").replace("status: published", "status:  published")
    )
    assert load_rule_set_file(path).status == "unchanged"


def test_a_bad_file_in_a_batch_writes_nothing(tmp_path):
    good = write(tmp_path, minimal(code="good-set"), "good.yaml")
    bad = write(tmp_path, minimal(level="hamlet"), "bad.yaml")
    with pytest.raises(LoaderError):
        load_rule_sets([good, bad])
    assert not RuleSet.objects.exists()


def test_unquoted_yes_is_read_as_the_yes_operator(tmp_path):
    path = write(tmp_path, minimal())
    path.write_text(path.read_text(encoding="utf-8").replace("op: 'yes'", "op: yes"), encoding="utf-8")
    load_rule_set_file(path)
    assert Indicator.objects.get(code="1.2").target["op"] == "yes"


# --------------------------------------------------------------------------- validation


def _indicator(doc, i=0):
    return doc["criteria"][0]["indicators"][i]


def _break(mutate):
    doc = copy.deepcopy(minimal())
    mutate(doc)
    return doc


BROKEN = [
    ("unknown top key", lambda d: d.update(colour="xanh"), "colour", "khóa không hợp lệ"),
    (
        "unknown indicator key",
        lambda d: _indicator(d).update(threshold=5),
        'criteria["1"].indicators["1.1"].threshold',
        "khóa không hợp lệ",
    ),
    ("unknown level", lambda d: d.update(level="hamlet"), "level", "cấp 'hamlet' không hợp lệ"),
    ("unknown tier", lambda d: d.update(tier="gold"), "tier", "hạng 'gold' không hợp lệ"),
    ("unknown status", lambda d: d.update(status="final"), "status", "trạng thái"),
    ("wrong format", lambda d: d.update(format="ntm-ruleset/9"), "format", "định dạng"),
    (
        "unknown kind",
        lambda d: _indicator(d).update(kind="ratio"),
        'criteria["1"].indicators["1.1"].kind',
        "kiểu giá trị 'ratio'",
    ),
    (
        "unknown op",
        lambda d: _indicator(d)["target"].update(op="~"),
        'criteria["1"].indicators["1.1"].target.op',
        "toán tử '~' không hợp lệ",
    ),
    (
        "between without a pair",
        lambda d: _indicator(d)["target"].update(op="between", value=80),
        'criteria["1"].indicators["1.1"].target.value',
        "between cần value dạng [thấp, cao]",
    ),
    (
        "between reversed",
        lambda d: _indicator(d)["target"].update(op="between", value=[90, 80]),
        'criteria["1"].indicators["1.1"].target.value',
        "thấp ≤ cao",
    ),
    (
        "bool with a numeric op",
        lambda d: _indicator(d, 1)["target"].update(op=">=", value=1),
        'criteria["1"].indicators["1.2"].target.op',
        "kiểu bool chỉ dùng toán tử",
    ),
    (
        "numeric op without a number",
        lambda d: _indicator(d)["target"].update(value="tám mươi"),
        'criteria["1"].indicators["1.1"].target.value',
        "cần value là một số",
    ),
    (
        "duplicate indicator code",
        lambda d: _indicator(d, 1).update(code="1.1"),
        '"1.1"',
        "bị trùng",
    ),
    (
        "duplicate criterion code",
        lambda d: d["criteria"].append(
            copy.deepcopy(d["criteria"][0]) | {"indicators": [_indicator(d, 1) | {"code": "2.1"}]}
        ),
        'criteria["1"]',
        "mã tiêu chí bị trùng",
    ),
    (
        "condition code clashing with an indicator",
        lambda d: d.update(conditions=[{"code": "1.2", "text": "ĐK", "kind": "bool", "target": {"op": "yes"}}]),
        '"1.2"',
        "bị trùng",
    ),
    (
        "criterion without indicators",
        lambda d: d["criteria"].append({"code": "2", "name": "Rỗng", "indicators": []}),
        'criteria["2"]',
        "tiêu chí không có chỉ tiêu nào",
    ),
    (
        "criteria count",
        lambda d: d["counts"].update(criteria=19),
        "counts.criteria",
        "số chính thức là 19 nhưng tệp có 1",
    ),
    (
        "indicator count",
        lambda d: d["counts"].update(indicators=57),
        "counts.indicators",
        "số chính thức là 57 nhưng tệp có 2",
    ),
    (
        "unknown region in when",
        lambda d: _indicator(d)["target"].update(overrides=[{"when": {"region": "MARS"}, "op": ">=", "value": 1}]),
        'criteria["1"].indicators["1.1"].target.overrides[1].when.region',
        "vùng 'MARS' không hợp lệ",
    ),
    (
        "unknown attribute in when",
        lambda d: _indicator(d)["target"].update(
            overrides=[{"when": {"attribute": "coastal"}, "op": ">=", "value": 1}]
        ),
        'criteria["1"].indicators["1.1"].target.overrides[1].when.attribute',
        "thuộc tính 'coastal' không hợp lệ",
    ),
    (
        "commune group outside 1–3",
        lambda d: _indicator(d)["target"].update(overrides=[{"when": {"group": 4}, "op": ">=", "value": 1}]),
        'criteria["1"].indicators["1.1"].target.overrides[1].when.group',
        "nhóm xã phải là 1, 2 hoặc 3",
    ),
    (
        "commune groups not a list of groups",
        lambda d: _indicator(d)["target"].update(overrides=[{"when": {"groups": [2, "ba"]}, "op": ">=", "value": 1}]),
        'criteria["1"].indicators["1.1"].target.overrides[1].when.groups',
        "groups phải là danh sách nhóm xã",
    ),
    (
        "group and groups together",
        lambda d: _indicator(d)["target"].update(
            overrides=[{"when": {"group": 3, "groups": [2, 3]}, "op": ">=", "value": 1}]
        ),
        'criteria["1"].indicators["1.1"].target.overrides[1].when',
        "không dùng cả hai",
    ),
    (
        "unknown when key",
        lambda d: _indicator(d)["target"].update(overrides=[{"when": {"month": 3}, "op": ">=", "value": 1}]),
        'criteria["1"].indicators["1.1"].target.overrides[1].when.month',
        "điều kiện 'month' không hợp lệ",
    ),
    (
        "unknown prerequisite",
        lambda d: d.update(prerequisite="khong-co-bo-nay"),
        "prerequisite",
        "'khong-co-bo-nay' không có",
    ),
    (
        "unknown derived rule set",
        lambda d: d.update(
            conditions=[
                {
                    "code": "DK1",
                    "text": "ĐK",
                    "kind": "percent",
                    "target": {"op": ">=", "value": 100},
                    "derived": {"from": "children", "level": "village", "rule_set": "khong-co", "measure": "share"},
                }
            ]
        ),
        'conditions["DK1"].derived.rule_set',
        "'khong-co' không có",
    ),
    (
        "derived children above the set",
        lambda d: d.update(
            conditions=[
                {
                    "code": "DK1",
                    "text": "ĐK",
                    "kind": "percent",
                    "target": {"op": ">=", "value": 100},
                    "derived": {"from": "children", "level": "district", "rule_set": "test-set", "measure": "share"},
                }
            ]
        ),
        'conditions["DK1"].derived.level',
        "cấp của đơn vị con phải thấp hơn",
    ),
    (
        "applies_to kind of another level",
        lambda d: d.update(applies_to={"kinds": ["huyen"]}),
        "applies_to.kinds[1]",
        "không thuộc cấp",
    ),
    (
        "unit code as a number",
        lambda d: d.update(applies_to={"provinces": [22]}),
        "applies_to.provinces[1]",
        "mã GSO dạng chuỗi",
    ),
    ("missing name", lambda d: d.pop("name"), "name", "thiếu khóa bắt buộc"),
]


@pytest.mark.parametrize(("mutate", "where", "reason"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_each_problem_names_the_file_the_place_and_the_reason(tmp_path, mutate, where, reason):
    path = write(tmp_path, _break(mutate))
    with pytest.raises(LoaderError) as excinfo:
        load_rule_set_file(path)
    messages = [str(p) for p in excinfo.value.problems]
    assert any(
        p.file.endswith("bo-thu.yaml") and where in p.where and reason in p.message for p in excinfo.value.problems
    ), messages
    assert not RuleSet.objects.exists()


def test_every_problem_is_reported_at_once(tmp_path):
    doc = minimal(level="hamlet", tier="gold")
    _indicator(doc)["target"]["op"] = "~"
    with pytest.raises(LoaderError) as excinfo:
        load_rule_set_file(write(tmp_path, doc))
    wheres = {p.where for p in excinfo.value.problems}
    assert {"level", "tier", 'criteria["1"].indicators["1.1"].target.op'} <= wheres


def test_a_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "hong.yaml"
    path.write_text("code: x\ncriteria: [\n", encoding="utf-8")
    with pytest.raises(LoaderError) as excinfo:
        load_rule_set_file(path)
    assert "hong.yaml" in str(excinfo.value) and "dòng" in str(excinfo.value)


def test_a_reference_to_a_set_already_in_the_db_is_accepted(tmp_path):
    load_rule_set_file(write(tmp_path, minimal(status="published"), "base.yaml"))
    result = load_rule_set_file(write(tmp_path, minimal(code="next-set", prerequisite="test-set"), "next.yaml"))
    assert result.rule_set.prerequisite_code == "test-set"


def test_an_unknown_count_may_be_null_but_a_wrong_one_may_not(tmp_path):
    doc = minimal()
    doc["counts"]["criteria"] = None
    assert load_rule_set_file(write(tmp_path, doc)).criteria == 1


@pytest.mark.parametrize(
    ("target", "unit", "text"),
    [
        ({"op": ">=", "value": 80}, "%", "≥ 80%"),
        ({"op": "<", "value": 1.5}, "%", "< 1,5%"),
        ({"op": "between", "value": [10, 20]}, "%", "10–20%"),
        ({"op": ">=", "value": 50}, "triệu đồng/người/năm", "≥ 50 triệu đồng/người/năm"),
        ({"op": "yes"}, "", "Đạt"),
        ({"op": "no"}, "", "Không"),
        ({"op": ">=", "value": 100, "text": "100%"}, "%", "100%"),
    ],
)
def test_target_text_is_derived_when_the_file_gives_none(target, unit, text):
    assert target_text(target, unit) == text


# --------------------------------------------------------------------------- the command


def test_command_prints_one_line_per_set(capsys):
    call_command("load_rule_sets")
    out = capsys.readouterr().out
    assert "xa-ntm-nang-cao-2021-2025 v1: 19 tiêu chí, 75 chỉ tiêu (75 chưa xác minh) — tạo mới" in out
    assert "xa-ntm-2021-2025 v1: 19 tiêu chí, 57 chỉ tiêu (55 chưa xác minh) — tạo mới" in out
    assert len(out.strip().splitlines()) == len(OFFICIAL)
    call_command("load_rule_sets")
    assert out.count("\n") == capsys.readouterr().out.count("— không đổi")


def test_command_fails_on_a_bad_file_and_leaves_the_db_unchanged(tmp_path):
    call_command("load_rule_sets", str(write(tmp_path, minimal(), "good.yaml")))
    before = snapshot()
    bad = write(tmp_path, minimal(code="other-set", tier="gold"), "bad.yaml")
    with pytest.raises(CommandError) as excinfo:
        call_command("load_rule_sets", str(bad))
    assert "bad.yaml: tier: hạng 'gold' không hợp lệ" in str(excinfo.value)
    assert snapshot() == before


def test_command_exits_non_zero_on_a_bad_file(tmp_path, monkeypatch, capsys):
    from django.core.management import base

    from criteria.management.commands.load_rule_sets import Command

    # run_from_argv closes the connections when done, which would end the test's transaction.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    bad = write(tmp_path, minimal(level="hamlet"), "bad.yaml")
    with pytest.raises(SystemExit) as excinfo:
        Command().run_from_argv(["manage.py", "load_rule_sets", str(bad)])
    assert excinfo.value.code != 0
    assert "bad.yaml: level: cấp 'hamlet' không hợp lệ" in capsys.readouterr().err
    assert not RuleSet.objects.exists()


# --------------------------------------------------------------------------- the admin


def test_admin_shows_a_loaded_set_read_only(client, django_user_model):
    load_rule_sets(default_paths())
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-test-123")
    client.force_login(admin)
    rule_set = RuleSet.objects.get(code="xa-ntm-2021-2025")

    page = client.get(f"/admin/criteria/ruleset/{rule_set.pk}/change/")
    body = page.content.decode()
    assert "Tỷ lệ diện tích đất sản xuất nông nghiệp được tưới và tiêu nước chủ động" in body
    assert 'name="_save"' not in body  # nothing to save: the data file is the source of truth
    assert client.get("/admin/criteria/ruleset/add/").status_code == 403
    assert client.post(f"/admin/criteria/ruleset/{rule_set.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RuleSet.objects.filter(pk=rule_set.pk).exists()


def test_a_declared_plausible_range_is_loaded_and_checked(tmp_path):
    doc = minimal()
    _indicator(doc)["range"] = {"min": 5, "max": 95}
    load_rule_set_file(write(tmp_path, doc))
    assert Indicator.objects.get(code="1.1").plausible_range == {"min": 5, "max": 95}
    assert Indicator.objects.get(code="1.2").plausible_range is None  # the kind's default applies
    for bad, reason in (
        ({"min": 50, "max": 10}, "min lớn hơn max"),
        ({"max": 150}, "tỷ lệ chỉ từ 0 đến 100"),
        ({"max": "nhiều"}, "phải là một số"),
        ({"low": 1}, "khóa không hợp lệ"),
    ):
        broken = minimal(code="test-bad")
        _indicator(broken)["range"] = bad
        with pytest.raises(LoaderError, match=reason):
            load_rule_set_file(write(tmp_path, broken, name="bad.yaml"))
    broken = minimal(code="test-bad")
    _indicator(broken, 1)["range"] = {"min": 0}
    with pytest.raises(LoaderError, match="chỉ tiêu Có/Không không có khoảng giá trị"):
        load_rule_set_file(write(tmp_path, broken, name="bad.yaml"))
