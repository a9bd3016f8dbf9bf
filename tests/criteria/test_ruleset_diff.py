import pytest
import yaml
from django.core.management import CommandError, call_command

from criteria.loader import load_rule_sets
from criteria.models import RuleSet
from criteria.ruleset_diff import rule_set_diff
from criteria.ruleset_export import rule_set_export_yaml

pytestmark = pytest.mark.django_db

CODE = "xa-ntm-2021-2025"


@pytest.fixture
def two_versions(tmp_path):
    """v1 as shipped; v2 with one target raised, one override added, one indicator removed, one added,
    one criterion renamed, one new criterion and an indicator marked verified."""
    (v1,) = [r.rule_set for r in load_rule_sets([f"criteria/rulesets/{CODE}.yaml"])]
    doc = yaml.safe_load(rule_set_export_yaml(rule_set=v1))
    doc["version"] = 2
    doc["counts"] = {"criteria": None, "indicators": None}
    first, second = doc["criteria"][0], doc["criteria"][1]
    numeric = next(i for c in doc["criteria"] for i in c["indicators"] if i["target"]["op"] in (">=", "<="))
    old_value = numeric["target"]["value"]
    numeric["target"]["value"] = old_value + 1
    numeric["target"].pop("text", None)
    numeric["target"]["overrides"] = [{"when": {"region": "TDMNPB"}, "op": numeric["target"]["op"], "value": 1}]
    removed = second["indicators"].pop()
    if not second["indicators"]:
        second["indicators"].append(
            {"code": "thay-the", "text": "Chỉ tiêu thay", "kind": "bool", "target": {"op": "yes"}}
        )
    first["indicators"].append(
        {"code": "moi-1", "text": "Chỉ tiêu mới", "kind": "bool", "target": {"op": "yes"}, "verified": False}
    )
    first["name"] = "Tên tiêu chí đã sửa"
    unverified = next(
        i for c in doc["criteria"] for i in c["indicators"] if i.get("verified") is False and i is not numeric
    )
    unverified["verified"] = True
    unverified["source"] = "QD_TEST"
    doc["criteria"].append(
        {
            "code": "99",
            "name": "Tiêu chí mới",
            "indicators": [{"code": "99.1", "text": "a", "kind": "bool", "target": {"op": "yes"}}],
        }
    )
    doc["counts"]["indicators"] = sum(len(c["indicators"]) for c in doc["criteria"])
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (v2,) = [r.rule_set for r in load_rule_sets([path])]
    return {
        "v1": v1,
        "v2": v2,
        "numeric": numeric,
        "old_value": old_value,
        "removed": removed,
        "unverified": unverified,
        "first": first,
    }


def test_the_diff_names_what_was_added_removed_and_changed(two_versions):
    v = two_versions
    diff = rule_set_diff(old=v["v1"], new=v["v2"])
    assert [c.code for c in diff.criteria_added] == ["99"]
    assert diff.criteria_removed == []
    assert [(i.code, [c.field for c in i.changes]) for i in diff.criteria_changed] == [(v["first"]["code"], ["name"])]
    assert "moi-1" in [i.code for i in diff.indicators_added]
    assert "99.1" in [i.code for i in diff.indicators_added]
    assert v["removed"]["code"] in [i.code for i in diff.indicators_removed]
    changed = {i.code: {c.field: c for c in i.changes} for i in diff.indicators_changed}
    target = changed[v["numeric"]["code"]]
    assert set(target) >= {"target", "overrides"}
    unit = v["v2"].indicators.get(code=v["numeric"]["code"]).unit_label
    assert str(v["old_value"] + 1).replace(".", ",") in target["target"].new
    assert str(v["old_value"]).replace(".", ",") in target["target"].old
    assert target["overrides"].old == "—"
    assert target["overrides"].new.startswith("vùng Trung du và miền núi phía Bắc: ")
    assert unit in target["overrides"].new or not unit
    marks = changed[v["unverified"]["code"]]
    assert (marks["verified"].old, marks["verified"].new) == ("không", "có")
    assert marks["source"].new == "QD_TEST"
    assert diff.targets_changed == 1
    assert {c.field for c in diff.rule_set_changes} == {"counts_official"}


def test_a_version_compared_with_itself_is_empty(two_versions):
    diff = rule_set_diff(old=two_versions["v1"], new=two_versions["v1"])
    assert diff.is_empty
    assert "không khác" in diff.summary()


def test_command_prints_old_and_new_side_by_side(two_versions, capsys):
    call_command("rule_set_diff", CODE, "1", "v2")
    out = capsys.readouterr().out
    assert out.startswith(f"{CODE}: v1 → v2\n")
    assert "  + 99  Tiêu chí mới" in out
    assert f"  - {two_versions['removed']['code']}  " in out
    lines = out.splitlines()
    at = lines.index(next(line for line in lines if line.startswith(f"  ~ {two_versions['numeric']['code']}  ")))
    assert lines[at + 1].strip() == "Mức đạt:"
    assert lines[at + 2].strip().startswith("cũ: ") and lines[at + 3].strip().startswith("mới: ")


@pytest.mark.parametrize(
    "args, message",
    [
        ([CODE, "1", "3"], "không có phiên bản 3; các phiên bản có: 1, 2"),
        ([CODE, "một", "2"], "Phiên bản 'một' không hợp lệ"),
        ([CODE, "0", "2"], "Phiên bản '0' không hợp lệ"),
        (["khong-co", "1", "2"], "Không có bộ tiêu chí mã 'khong-co'"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(two_versions, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rule_set_diff", *args)
    assert RuleSet.objects.filter(code=CODE).count() == 2
