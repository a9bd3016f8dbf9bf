"""The engine, without a database: operators at their boundaries, overrides, derived indicators,
prerequisites, and the invariants that must hold for any input."""

import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from criteria.engine import (
    MET,
    NO_DATA,
    NOT_MET,
    ChildSummary,
    Context,
    CriterionSpec,
    IndicatorSpec,
    RuleSetSpec,
    SpecError,
    children_key,
    compare,
    evaluate,
    resolve_target,
    value_meeting,
)
from criteria.engine import (
    compile as compile_rule_set,
)


def one_indicator_set(target, kind="percent", **kwargs):
    return RuleSetSpec(
        code="s",
        criteria=(CriterionSpec("1", ("1.1",)),),
        indicators=(IndicatorSpec("1.1", target, criterion="1", kind=kind, **kwargs),),
    )


NO_CONTEXT = Context()


def status_of(target, value, context=NO_CONTEXT):
    result = evaluate(one_indicator_set(target), {"1.1": value}, context)
    return result.indicators["1.1"].status


@pytest.mark.parametrize(
    ("op", "bound", "below", "at", "above"),
    [
        (">=", 80, NOT_MET, MET, MET),
        (">", 80, NOT_MET, NOT_MET, MET),
        ("<=", 5, MET, MET, NOT_MET),
        ("<", 5, MET, NOT_MET, NOT_MET),
        ("=", 100, NOT_MET, MET, NOT_MET),
    ],
)
def test_numeric_operators_at_and_around_their_boundary(op, bound, below, at, above):
    target = {"op": op, "value": bound}
    eps = Decimal("0.01")
    assert status_of(target, Decimal(bound) - eps) == below
    assert status_of(target, Decimal(bound)) == at
    assert status_of(target, Decimal(bound) + eps) == above


def test_between_is_inclusive_at_both_ends():
    target = {"op": "between", "value": [50, 70]}
    assert status_of(target, Decimal("49.99")) == NOT_MET
    assert status_of(target, 50) == MET
    assert status_of(target, 60) == MET
    assert status_of(target, 70) == MET
    assert status_of(target, Decimal("70.01")) == NOT_MET


def test_yes_no_operators():
    assert status_of({"op": "yes"}, True) == MET
    assert status_of({"op": "yes"}, False) == NOT_MET
    assert status_of({"op": "no"}, False) == MET
    assert status_of({"op": "no"}, True) == NOT_MET


def test_no_data_is_never_met():
    for target in ({"op": ">=", "value": 0}, {"op": "yes"}, {"op": "between", "value": [0, 100]}):
        result = evaluate(one_indicator_set(target), {}, Context())
        assert result.indicators["1.1"].status == NO_DATA
        assert result.indicators_met == 0
        assert result.criteria_met == 0
        assert result.attained is False
        assert result.missing == ("1.1",)


def test_bad_specs_are_reported():
    with pytest.raises(SpecError):
        compare("≈", 1, 1)
    with pytest.raises(SpecError):
        compare("yes", 1, None)
    with pytest.raises(SpecError):
        compare(">=", True, 1)
    with pytest.raises(SpecError):
        compare("between", 5, 7)


BASE = {
    "op": ">=",
    "value": 80,
    "overrides": [
        {"when": {"region": "TDMNPB"}, "op": ">=", "value": 70},
        {"when": {"year": 2025}, "op": ">=", "value": 85},
        {"when": {"region": "TDMNPB", "year": 2025}, "op": ">=", "value": 75},
        {"when": {"attribute": "island"}, "op": ">=", "value": 60},
    ],
}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (Context(region="DBSH", year=2023), 80),  # no override applies
        (Context(region="TDMNPB", year=2023), 70),  # region
        (Context(region="DBSH", year=2025), 85),  # year
        (Context(region="TDMNPB", year=2025), 75),  # region and year beat either alone
        (Context(region="TDMNPB", year=2025, attributes=frozenset({"island"})), 60),  # attribute beats region
    ],
)
def test_the_most_specific_override_applies(context, expected):
    assert resolve_target(BASE, context)["value"] == expected
    # and the evaluation uses it: just below the applied bound is not met, at it is met
    assert status_of(BASE, expected - 1, context) == NOT_MET
    assert status_of(BASE, expected, context) == MET


def test_override_by_years_list_and_later_override_wins_a_tie():
    target = {
        "op": ">=",
        "value": 40,
        "overrides": [
            {"when": {"years": [2024, 2025]}, "op": ">=", "value": 50},
            {"when": {"year": 2025}, "op": ">=", "value": 55},
        ],
    }
    assert resolve_target(target, Context(year=2023))["value"] == 40
    assert resolve_target(target, Context(year=2024))["value"] == 50
    assert resolve_target(target, Context(year=2025))["value"] == 55


GROUPED = {
    "op": ">=",
    "value": 90,  # nhóm 1 (near-urban) and anyone without a group
    "overrides": [
        {"when": {"groups": [2, 3]}, "op": ">=", "value": 80},
        {"when": {"group": 3}, "op": ">=", "value": 70},
        {"when": {"region": "TDMNPB"}, "op": ">=", "value": 85},
    ],
}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (Context(group=None), 90),
        (Context(group=1), 90),
        (Context(group=2), 80),  # the list form
        (Context(group=3), 70),  # one group beats a list of groups only by coming later
        (Context(group=3, region="TDMNPB"), 70),  # a group is more specific than a region
        (Context(group=1, region="TDMNPB"), 85),
    ],
)
def test_commune_group_overrides(context, expected):
    assert resolve_target(GROUPED, context)["value"] == expected


def test_the_same_value_meets_the_target_of_nhom_3_and_not_of_nhom_1():
    spec = one_indicator_set(GROUPED)
    nhom_3 = evaluate(spec, {"1.1": 75}, Context(group=3, year=2026))
    nhom_1 = evaluate(spec, {"1.1": 75}, Context(group=1, year=2026))
    assert nhom_3.indicators["1.1"].status == MET and nhom_3.attained
    assert nhom_3.indicators["1.1"].target == {"op": ">=", "value": 70, "when": {"group": 3}}
    assert nhom_1.indicators["1.1"].status == NOT_MET and not nhom_1.attained


def test_region_substitution_for_especially_difficult_communes():
    spec = RuleSetSpec(
        code="s",
        criteria=(CriterionSpec("1", ("1.1",)),),
        indicators=(IndicatorSpec("1.1", BASE, criterion="1"),),
        region_substitutions=({"attribute": "especially_difficult", "region": "TDMNPB"},),
    )
    plain = Context(region="DBSH", year=2023)
    difficult = Context(region="DBSH", year=2023, attributes=frozenset({"especially_difficult"}))
    assert evaluate(spec, {"1.1": 72}, plain).indicators["1.1"].status == NOT_MET
    result = evaluate(spec, {"1.1": 72}, difficult)
    assert result.indicators["1.1"].status == MET
    assert result.indicators["1.1"].target["value"] == 70


def district_set(share=40):
    return RuleSetSpec(
        code="huyen",
        criteria=(CriterionSpec("1", ("1.1",)),),
        indicators=(
            IndicatorSpec("1.1", {"op": "yes"}, criterion="1", kind="bool"),
            IndicatorSpec(
                "DK2",
                {"op": ">=", "value": share},
                derived={
                    "from": "children",
                    "level": "commune",
                    "kinds": ["xa"],
                    "rule_set": "xa-nc",
                    "measure": "share",
                },
            ),
        ),
    )


def test_derived_share_of_children():
    key = children_key("xa-nc", "commune", ["xa"])
    spec = district_set(40)
    two_of_six = evaluate(spec, {"1.1": True}, Context(children={key: ChildSummary(2, 6)}))
    assert two_of_six.indicators["DK2"].value == Decimal("33.33")
    assert two_of_six.indicators["DK2"].status == NOT_MET
    assert two_of_six.criteria_met == 1 and two_of_six.conditions_met == 0
    assert two_of_six.attained is False
    assert two_of_six.missing == ("DK2",)
    # exactly at the boundary: 2 of 5 = 40%
    two_of_five = evaluate(spec, {"1.1": True}, Context(children={key: ChildSummary(2, 5)}))
    assert two_of_five.indicators["DK2"].status == MET
    assert two_of_five.attained is True
    # no summary for the children: no data, not met
    assert evaluate(spec, {"1.1": True}, Context()).indicators["DK2"].status == NO_DATA
    # derived values ignore anything typed for the code
    assert evaluate(spec, {"1.1": True, "DK2": 100}, Context()).indicators["DK2"].status == NO_DATA


def test_derived_count_and_self_held():
    spec = RuleSetSpec(
        code="kieu-mau",
        criteria=(),
        indicators=(
            IndicatorSpec("DK1", {"op": "yes"}, kind="bool", derived={"from": "self", "rule_set": "xa-nc"}),
            IndicatorSpec(
                "DK3",
                {"op": ">=", "value": 1},
                kind="count",
                derived={"from": "children", "level": "village", "rule_set": "thon-tm", "measure": "count"},
            ),
        ),
    )
    villages = {children_key("thon-tm", "village", None): ChildSummary(1, 13)}
    assert evaluate(spec, {}, Context(held=frozenset({"xa-nc"}), children=villages)).attained is True
    not_held = evaluate(spec, {}, Context(children=villages))
    assert not_held.indicators["DK1"].status == NOT_MET and not not_held.attained
    none_smart = {children_key("thon-tm", "village", None): ChildSummary(0, 13)}
    assert evaluate(spec, {}, Context(held=frozenset({"xa-nc"}), children=none_smart)).attained is False


def test_prerequisite_is_needed_to_attain():
    spec = RuleSetSpec(
        code="nang-cao",
        criteria=(CriterionSpec("1", ("1.1",)),),
        indicators=(IndicatorSpec("1.1", {"op": "yes"}, criterion="1", kind="bool"),),
        prerequisite="ntm",
    )
    without = evaluate(spec, {"1.1": True}, Context())
    assert without.criteria_met == 1 and without.prerequisite_met is False and without.attained is False
    with_ntm = evaluate(spec, {"1.1": True}, Context(held=frozenset({"ntm"})))
    assert with_ntm.prerequisite_met is True and with_ntm.attained is True


def test_value_meeting_builds_values_on_the_right_side_of_each_target():
    for target in (
        {"op": ">=", "value": 80},
        {"op": ">", "value": 80},
        {"op": "<=", "value": 5},
        {"op": "<", "value": 5},
        {"op": "=", "value": 100},
        {"op": "between", "value": [50, 70]},
        {"op": "yes"},
        {"op": "no"},
    ):
        assert compare(target["op"], value_meeting(target, met=True), target.get("value")) is True
        assert compare(target["op"], value_meeting(target, met=False), target.get("value")) is False


def test_engine_imports_without_django():
    code = "import sys, criteria.engine; assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


# Property-based invariants -------------------------------------------------------------------------

op_targets = st.one_of(
    st.builds(
        lambda op, v: {"op": op, "value": v},
        st.sampled_from([">=", "<=", ">", "<", "="]),
        st.integers(min_value=0, max_value=100),
    ),
    st.builds(
        lambda a, b: {"op": "between", "value": [min(a, b), max(a, b)]},
        st.integers(0, 100),
        st.integers(0, 100),
    ),
)
bool_targets = st.sampled_from([{"op": "yes"}, {"op": "no"}])


@st.composite
def rule_sets_with_values(draw):
    n_criteria = draw(st.integers(min_value=1, max_value=6))
    criteria, indicators, values = [], [], {}
    for c in range(n_criteria):
        codes = []
        for i in range(draw(st.integers(min_value=1, max_value=5))):
            code = f"{c}.{i}"
            codes.append(code)
            if draw(st.booleans()):
                indicators.append(IndicatorSpec(code, draw(bool_targets), criterion=str(c), kind="bool"))
                value = draw(st.one_of(st.none(), st.booleans()))
            else:
                indicators.append(IndicatorSpec(code, draw(op_targets), criterion=str(c)))
                value = draw(st.one_of(st.none(), st.integers(min_value=-5, max_value=105)))
            if value is not None:
                values[code] = value
        criteria.append(CriterionSpec(str(c), tuple(codes)))
    return RuleSetSpec(code="p", criteria=tuple(criteria), indicators=tuple(indicators)), values


@settings(max_examples=300, deadline=None)
@given(
    rule_sets_with_values(),
    st.integers(min_value=0, max_value=100),
    st.integers(min_value=0, max_value=50),
)
def test_raising_a_value_never_lowers_the_count_for_a_greater_or_equal_indicator(case, bound, raise_by):
    spec, values = case
    extra = IndicatorSpec("x", {"op": ">=", "value": bound}, criterion=spec.criteria[0].code)
    first = spec.criteria[0]
    spec = RuleSetSpec(
        code=spec.code,
        criteria=(CriterionSpec(first.code, first.indicators + ("x",)),) + spec.criteria[1:],
        indicators=spec.indicators + (extra,),
    )
    for start in range(-2, 103, 7):
        low = evaluate(spec, {**values, "x": start}, Context())
        high = evaluate(spec, {**values, "x": start + raise_by}, Context())
        assert high.indicators_met >= low.indicators_met
        assert high.criteria_met >= low.criteria_met


# The compiled form against the rules as written ----------------------------------------------------
#
# `reference` below is the rule-set format read literally (docs/rule-set-format.md), written without the
# engine's code: every operator, overrides of every kind, region substitutions, conditions, prerequisites,
# derived indicators and the approved-only counts. Hypothesis generates rule sets using all of them; the
# compiled form (and `evaluate`, its wrapper) must agree on every field of the result.

REGIONS = ["", "TDMNPB", "DBSH", "DBSCL"]
ATTRIBUTES = ["island", "border", "especially_difficult"]
CHILD_SETS = [("xa-a", "commune", ("xa",)), ("thon-b", "village", ())]


def reference_target(target, context, region):
    best, best_rank = None, -1
    for override in target.get("overrides", []):
        when = override["when"]
        matches = (
            ("region" not in when or when["region"] == region)
            and ("year" not in when or when["year"] == context.year)
            and ("years" not in when or context.year in when["years"])
            and ("attribute" not in when or when["attribute"] in context.attributes)
            and ("group" not in when or when["group"] == context.group)
            and ("groups" not in when or context.group in when["groups"])
        )
        if not matches:
            continue
        rank = (
            8 * ("attribute" in when)
            + 4 * ("group" in when or "groups" in when)
            + 2 * ("region" in when)
            + ("year" in when or "years" in when)
        )
        if rank >= best_rank:
            best, best_rank = override, rank
    chosen = best or target
    applied = {"op": chosen["op"], "value": chosen.get("value")}
    if best is not None:
        applied["when"] = dict(best["when"])
    return applied


def reference_status(applied, value):
    if value is None:
        return NO_DATA
    op, bound = applied["op"], applied["value"]
    if op == "yes":
        ok = value is True
    elif op == "no":
        ok = value is False
    elif op == "between":
        ok = Decimal(str(bound[0])) <= Decimal(str(value)) <= Decimal(str(bound[1]))
    else:
        x, b = Decimal(str(value)), Decimal(str(bound))
        ok = {">=": x >= b, "<=": x <= b, ">": x > b, "<": x < b, "=": x == b}[op]
    return MET if ok else NOT_MET


def reference_derived(derived, context):
    if derived["from"] == "self":
        return derived["rule_set"] in context.held
    summary = context.children.get((derived["rule_set"], derived["level"], tuple(sorted(derived.get("kinds") or ()))))
    if summary is None:
        return None
    if derived["measure"] == "count":
        return Decimal(summary.attained)
    if summary.total == 0:
        return None
    return (Decimal(summary.attained) * 100 / summary.total).quantize(Decimal("0.01"))


def reference(spec, values, context, unapproved=frozenset()):
    region = context.region
    for sub in spec.region_substitutions:
        if sub["attribute"] in context.attributes:
            region = sub["region"]
            break
    status, applied, used = {}, {}, {}
    for ind in spec.indicators:
        used[ind.code] = reference_derived(ind.derived, context) if ind.derived else values.get(ind.code)
        applied[ind.code] = reference_target(ind.target, context, region)
        status[ind.code] = reference_status(applied[ind.code], used[ind.code])
    approved_met = {c for c, s in status.items() if s == MET and (c not in unapproved or spec_of(spec, c).derived)}
    criteria = {}
    for c in spec.criteria:
        members = [status[i] for i in c.indicators]
        criteria[c.code] = MET if all(s == MET for s in members) else (NOT_MET if NOT_MET in members else NO_DATA)
    conditions = [i.code for i in spec.indicators if i.criterion is None]
    in_criteria = [i for c in spec.criteria for i in c.indicators]
    prerequisite_met = spec.prerequisite is None or spec.prerequisite in context.held
    criteria_met = sum(s == MET for s in criteria.values())
    conditions_met = sum(status[c] == MET for c in conditions)
    return {
        "status": status,
        "applied": applied,
        "value": used,
        "criteria": criteria,
        "criteria_met": criteria_met,
        "criteria_total": len(spec.criteria),
        "indicators_met": sum(status[i] == MET for i in in_criteria),
        "indicators_total": len(in_criteria),
        "conditions_met": conditions_met,
        "conditions_total": len(conditions),
        "no_data": sum(s == NO_DATA for s in status.values()),
        "prerequisite_met": prerequisite_met,
        "attained": criteria_met == len(spec.criteria)
        and conditions_met == len(conditions)
        and prerequisite_met
        and len(spec.criteria) + len(conditions) > 0,
        "missing": [i for i in in_criteria if status[i] != MET] + [c for c in conditions if status[c] != MET],
        "indicators_met_approved": sum(i in approved_met for i in in_criteria),
        "criteria_met_approved": sum(all(i in approved_met for i in c.indicators) for c in spec.criteria),
    }


def spec_of(spec, code):
    return next(i for i in spec.indicators if i.code == code)


numbers = st.one_of(
    st.integers(min_value=-5, max_value=105),
    st.decimals(min_value=-5, max_value=105, places=2, allow_nan=False, allow_infinity=False),
    st.floats(min_value=-5, max_value=105, allow_nan=False).map(lambda f: round(f, 1)),
)
whens = st.fixed_dictionaries(
    {},
    optional={
        "region": st.sampled_from(REGIONS[1:]),
        "year": st.sampled_from([2024, 2025, 2026]),
        "attribute": st.sampled_from(ATTRIBUTES),
        "group": st.sampled_from([1, 2, 3]),
    },
).flatmap(
    lambda w: (
        st.just(w)
        if w
        else st.one_of(
            st.builds(lambda ys: {"years": ys}, st.lists(st.sampled_from([2024, 2025, 2026]), min_size=1, max_size=2)),
            st.builds(lambda gs: {"groups": gs}, st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=2)),
        )
    )
)


@st.composite
def numeric_target(draw):
    def one():
        return draw(
            st.one_of(
                st.builds(
                    lambda op, v: {"op": op, "value": v},
                    st.sampled_from([">=", "<=", ">", "<", "="]),
                    st.integers(0, 100),
                ),
                st.builds(
                    lambda a, b: {"op": "between", "value": [min(a, b), max(a, b)]},
                    st.integers(0, 100),
                    st.integers(0, 100),
                ),
            )
        )

    target = one()
    overrides = [{"when": draw(whens), **one()} for _ in range(draw(st.integers(0, 3)))]
    if overrides:
        target["overrides"] = overrides
    return target


@st.composite
def bool_target(draw):
    target = {"op": draw(st.sampled_from(["yes", "no"]))}
    overrides = [
        {"when": draw(whens), "op": draw(st.sampled_from(["yes", "no"]))} for _ in range(draw(st.integers(0, 2)))
    ]
    if overrides:
        target["overrides"] = overrides
    return target


@st.composite
def full_cases(draw):
    """A rule set with criteria and conditions, typed and derived indicators, overrides of every kind,
    perhaps a prerequisite and a region substitution; a unit context; values; which values await review."""
    indicators, criteria, values = [], [], {}

    def typed(code, criterion):
        if draw(st.booleans()):
            indicators.append(IndicatorSpec(code, draw(bool_target()), criterion=criterion, kind="bool"))
            value = draw(st.one_of(st.none(), st.booleans()))
        else:
            indicators.append(IndicatorSpec(code, draw(numeric_target()), criterion=criterion))
            value = draw(st.one_of(st.none(), numbers))
        if value is not None or draw(st.booleans()):
            values[code] = value

    for c in range(draw(st.integers(0, 4))):
        codes = [f"{c}.{i}" for i in range(draw(st.integers(1, 4)))]
        for code in codes:
            typed(code, str(c))
        criteria.append(CriterionSpec(str(c), tuple(codes)))
    for n in range(draw(st.integers(0, 3))):
        code = f"DK{n}"
        source = draw(st.sampled_from(["typed", "share", "count", "self"]))
        if source == "typed":
            typed(code, None)
            continue
        if source == "self":
            derived = {"from": "self", "rule_set": draw(st.sampled_from(["xa-a", "other"]))}
            indicators.append(IndicatorSpec(code, draw(bool_target()), kind="bool", derived=derived))
        else:
            rule_set, level, kinds = draw(st.sampled_from(CHILD_SETS))
            derived = {"from": "children", "level": level, "rule_set": rule_set, "measure": source}
            if kinds:
                derived["kinds"] = list(kinds)
            indicators.append(IndicatorSpec(code, draw(numeric_target()), derived=derived))
        if draw(st.booleans()):
            values[code] = draw(numbers)  # typed for a derived code: must be ignored
    spec = RuleSetSpec(
        code="p",
        criteria=tuple(criteria),
        indicators=tuple(indicators),
        prerequisite=draw(st.sampled_from([None, "xa-a", "other"])),
        region_substitutions=draw(st.sampled_from([(), ({"attribute": "especially_difficult", "region": "TDMNPB"},)])),
    )
    children = {}
    for rule_set, level, kinds in CHILD_SETS:
        if draw(st.booleans()):
            total = draw(st.integers(0, 12))
            children[children_key(rule_set, level, kinds)] = ChildSummary(draw(st.integers(0, total)), total)
    context = Context(
        region=draw(st.sampled_from(REGIONS)),
        attributes=frozenset(draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=2))),
        year=draw(st.sampled_from([None, 2024, 2025, 2026])),
        group=draw(st.sampled_from([None, 1, 2, 3])),
        children=children,
        held=frozenset(draw(st.lists(st.sampled_from(["xa-a", "other"]), max_size=2))),
    )
    unapproved = frozenset(draw(st.lists(st.sampled_from(sorted(values) or ["none"]), max_size=3)))
    return spec, values, context, unapproved


def as_reference(result):
    return {
        "status": {c: r.status for c, r in result.indicators.items()},
        "applied": {c: dict(r.target) for c, r in result.indicators.items()},
        "value": {c: r.value for c, r in result.indicators.items()},
        "criteria": {c: r.status for c, r in result.criteria.items()},
        "missing": list(result.missing),
        **{
            name: getattr(result, name)
            for name in (
                "criteria_met",
                "criteria_total",
                "indicators_met",
                "indicators_total",
                "conditions_met",
                "conditions_total",
                "no_data",
                "prerequisite_met",
                "attained",
                "indicators_met_approved",
                "criteria_met_approved",
            )
        },
    }


@settings(max_examples=100, deadline=None)
@given(full_cases())
def test_compiled_form_agrees_with_the_rules_as_written(case):
    spec, values, context, unapproved = case
    compiled = compile_rule_set(spec, context)
    result = compiled.evaluate(values, context.children, context.held, unapproved)
    expected = reference(spec, values, context, unapproved)
    assert as_reference(result) == expected
    # evaluate is the compiled form (all values approved), and one compiled set serves any unit of its context
    everything = {**expected, **reference(spec, values, context)}
    assert as_reference(evaluate(spec, values, context)) == everything
    other = dict.fromkeys(values)
    assert as_reference(compiled.evaluate(other, context.children, context.held)) == reference(spec, other, context)


@settings(max_examples=60, deadline=None)
@given(full_cases())
def test_invariants_of_any_result(case):
    spec, values, context, unapproved = case
    result = compile_rule_set(spec, context).evaluate(values, context.children, context.held, unapproved)
    assert 0 <= result.indicators_met_approved <= result.indicators_met <= result.indicators_total
    assert 0 <= result.criteria_met_approved <= result.criteria_met <= result.criteria_total
    assert 0 <= result.conditions_met <= result.conditions_total
    assert result.no_data == sum(1 for r in result.indicators.values() if r.status == NO_DATA)
    for criterion in spec.criteria:
        c = result.criteria[criterion.code]
        assert c.total == len(criterion.indicators)
        assert (c.status == MET) is (c.met == c.total)
    assert set(result.missing) == {code for code, r in result.indicators.items() if r.status != MET}
    if result.attained:
        assert result.prerequisite_met and not result.missing
    for ind in spec.indicators:  # no data is never met; a derived value never comes from what was typed
        r = result.indicators[ind.code]
        if r.value is None:
            assert r.status == NO_DATA
        if ind.derived:
            assert r.value == reference_derived(ind.derived, context)


def test_compiled_form_raises_what_evaluate_raises():
    spec = one_indicator_set({"op": ">=", "value": 80})
    compiled = compile_rule_set(spec, Context())
    with pytest.raises(SpecError):
        compiled.evaluate({"1.1": "tám mươi"})
    with pytest.raises(SpecError):
        compiled.evaluate({"1.1": True})  # a yes/no answer for a number
    with pytest.raises(SpecError):
        compile_rule_set(one_indicator_set({"op": "~", "value": 1}), Context())
    assert compiled.evaluate({"1.1": 80.0}).indicators["1.1"].status == MET  # a float takes the exact path
