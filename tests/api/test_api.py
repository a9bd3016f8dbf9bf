"""The read-only API against the Quảng Ninh demo: the figures equal the pages', a token sees its user's subtree
and nothing else, pagination and filters, the OpenAPI schema validates."""

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from communes.models import AdminUnit, Membership, Role, UnitChange
from criteria.models import Attainment, Recognition, RuleSet

PROVINCE, BINH_LIEU, DONG_TAM, HAI_HA, LANG_SON = "22", "198", "06844", "201", "20"
NC = "xa-ntm-nang-cao-2021-2025"
PERIOD = "2023-9M"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        quiet = io.StringIO()
        call_command("import_units", stdout=quiet)
        call_command("load_rule_sets", stdout=quiet)
        call_command("load_demo", "--password", "demo-pass-123", stdout=quiet)
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def binh_lieu(demo, db):
    return token_client(get_user_model().objects.get(username="demo-huyen-binhlieu"))


@pytest.fixture
def dong_tam(demo, db):
    return token_client(get_user_model().objects.get(username="demo-xa-dongtam"))


@pytest.fixture
def lang_son(demo, db):
    user = get_user_model().objects.create_user("lang-son-api", password="x-pass-123456")
    Membership.objects.create(user=user, unit=AdminUnit.objects.get(code=LANG_SON), role=Role.PROVINCIAL_VIEWER)
    return token_client(user)


def unit_attainment_url(code):
    return reverse("api-unit-attainment", args=[code])


# --- the figures --------------------------------------------------------------------------------------------------


def test_binh_lieu_token_gets_dong_tam_12_of_19_and_61_of_75(binh_lieu):
    response = binh_lieu.get(unit_attainment_url(DONG_TAM), {"period": PERIOD, "rule_set": NC})
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["criteria_met"], row["criteria_total"], row["indicators_met"], row["indicators_total"]) == (
        12,
        19,
        61,
        75,
    )
    assert (row["unit"], row["unit_name"], row["period"], row["rule_set"]) == (DONG_TAM, "Xã Đồng Tâm", PERIOD, NC)
    stored = Attainment.objects.get(unit__code=DONG_TAM, period__code=PERIOD, rule_set__code=NC)
    assert row["missing"] == stored.missing and row["criteria_status"] == stored.criteria_status
    # the counts with approved values only, beside the counts (as the headlines show them)
    assert (row["criteria_met_approved"], row["indicators_met_approved"]) == (
        stored.criteria_met_approved,
        stored.indicators_met_approved,
    )


def test_another_province_gets_404_for_dong_tam(lang_son):
    for url in (reverse("api-unit-detail", args=[DONG_TAM]), unit_attainment_url(DONG_TAM)):
        response = lang_son.get(url, {"period": PERIOD})
        assert response.status_code == 404, url
        assert "Đồng Tâm" not in response.content.decode()
    # the lists leave Quảng Ninh out entirely
    assert lang_son.get(reverse("api-attainment-list"), {"unit": DONG_TAM}).json()["count"] == 0
    assert lang_son.get(reverse("api-recognition-list"), {"under": PROVINCE}).json()["count"] == 0
    units = lang_son.get(reverse("api-unit-list"), {"page_size": 1000}).json()["results"]
    assert units and all(u["path"].startswith(f"{LANG_SON}/") for u in units)


def test_figures_equal_the_district_page(binh_lieu, client):
    client.force_login(get_user_model().objects.get(username="demo-huyen-binhlieu"))
    board = client.get(reverse("unit-detail", args=[BINH_LIEU]), {"period": PERIOD}).context["board"]
    rows = binh_lieu.get(reverse("api-attainment-list"), {"under": BINH_LIEU, "period": PERIOD}).json()["results"]
    api = {(r["unit"], r["rule_set"]): r for r in rows}
    compared = 0
    for row in [*board.communes, board.own.row]:
        for cell in row.cells.values():
            if cell.period.code != PERIOD:
                continue
            item = api[(row.unit.code, cell.rule_set.code)]
            assert (item["criteria_met"], item["indicators_met"], item["conditions_met"], item["attained"]) == (
                cell.criteria_met,
                cell.indicators_met,
                cell.conditions_met,
                cell.attained,
            ), row.unit.code
            compared += 1
    assert compared == len(rows) >= 7  # six communes (some with two sets) and the district itself
    district = api[(BINH_LIEU, "huyen-ntm-nang-cao-2021-2025")]
    assert (district["criteria_met"], district["indicators_met"]) == (3, 27)


def test_figures_equal_the_commune_page(dong_tam, client):
    client.force_login(get_user_model().objects.get(username="demo-xa-dongtam"))
    page = client.get(reverse("unit-detail", args=[DONG_TAM]), {"period": PERIOD}).context["page"]
    rows = dong_tam.get(unit_attainment_url(DONG_TAM), {"period": PERIOD}).json()["results"]
    assert {r["rule_set"]: (r["criteria_met"], r["indicators_met"]) for r in rows} == {
        rep.rule_set.code: (rep.attainment.criteria_met, rep.attainment.indicators_met) for rep in page.reports
    }


# --- who is refused -----------------------------------------------------------------------------------------------


def every_endpoint():
    attainment = Attainment.objects.filter(unit__code=DONG_TAM).first()
    recognition = Recognition.objects.filter(unit__path__startswith="22/198/").first()
    return [
        reverse("api-unit-list"),
        reverse("api-unit-detail", args=[DONG_TAM]),
        unit_attainment_url(DONG_TAM),
        reverse("api-attainment-list"),
        reverse("api-attainment-detail", args=[attainment.pk]),
        reverse("api-recognition-list"),
        reverse("api-recognition-detail", args=[recognition.pk]),
        reverse("api-rule-set-list"),
        reverse("api-rule-set-detail", args=[RuleSet.objects.get(code=NC).pk]),
    ]


def test_every_endpoint_refuses_anonymous_and_bad_tokens(demo, db):
    for url in every_endpoint():
        assert APIClient().get(url).status_code == 401, url
        bad = APIClient()
        bad.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
        assert bad.get(url).status_code == 401, url


def test_every_endpoint_refuses_a_user_without_a_role(demo, db):
    nobody = token_client(get_user_model().objects.create_user("no-role", password="x-pass-123456"))
    for url in every_endpoint():
        assert nobody.get(url).status_code == 403, url


def test_every_unit_bound_endpoint_answers_404_outside_the_subtree(lang_son):
    for url in every_endpoint():
        status = lang_son.get(url).status_code
        if "rule-sets" in url or url.endswith(("/units/", "/attainment/", "/recognitions/")) and "06844" not in url:
            assert status == 200, url  # lists (filtered to the subtree) and the rule sets, which are not a unit's
        else:
            assert status == 404, url


def test_a_commune_token_sees_its_commune_only(dong_tam):
    codes = {u["code"] for u in dong_tam.get(reverse("api-unit-list")).json()["results"]}
    assert DONG_TAM in codes and BINH_LIEU not in codes and "06841" not in codes
    for code in (BINH_LIEU, "06841", PROVINCE):
        assert dong_tam.get(unit_attainment_url(code)).status_code == 404, code
    rows = dong_tam.get(reverse("api-attainment-list"), {"page_size": 1000}).json()["results"]
    assert rows and {r["unit"] for r in rows} <= codes
    other = Attainment.objects.get(unit__code="06841", period__code=PERIOD, rule_set__code=NC)
    assert dong_tam.get(reverse("api-attainment-detail", args=[other.pk])).status_code == 404


# --- units, rule sets, recognitions, pagination, filters, schema ------------------------------------------------------


def test_units_carry_validity_and_lineage(binh_lieu):
    old = AdminUnit.objects.get(code="06847")  # Đồng Văn, merged into Đồng Tâm (a change made up for the test)
    new = AdminUnit.objects.get(code=DONG_TAM)
    old.valid_to, old.successor = dt.date(2025, 7, 1), new
    old.save(update_fields=["valid_to", "successor"])
    UnitChange.objects.create(unit=old, kind=UnitChange.ChangeKind.MERGE, effective=dt.date(2025, 7, 1), successor=new)
    item = binh_lieu.get(reverse("api-unit-detail", args=["06847"])).json()
    assert item["valid_to"] == "2025-07-01" and item["successor"]["code"] == DONG_TAM
    assert item["changes"] == [
        {
            "kind": "merge",
            "effective": "2025-07-01",
            "old_name": "",
            "new_name": "",
            "successor": DONG_TAM,
            "legal_basis": "",
        }
    ]
    assert binh_lieu.get(reverse("api-unit-detail", args=[DONG_TAM])).json()["predecessors"][0]["code"] == "06847"
    valid_codes = {
        u["code"] for u in binh_lieu.get(reverse("api-unit-list"), {"valid_on": "2025-08-01"}).json()["results"]
    }
    assert DONG_TAM in valid_codes and "06847" not in valid_codes


def test_rule_sets_list_every_version(binh_lieu):
    current = RuleSet.objects.get(code=NC)
    RuleSet.objects.create(
        code=NC,
        version=current.version + 1,
        name=current.name,
        level=current.level,
        tier=current.tier,
        programme_period=current.programme_period,
        legal_basis="bản nháp",
    )
    rows = binh_lieu.get(reverse("api-rule-set-list"), {"code": NC}).json()["results"]
    assert [(r["version"], r["status"]) for r in rows] == [
        (current.version, "published"),
        (current.version + 1, "draft"),
    ]
    detail = binh_lieu.get(reverse("api-rule-set-detail", args=[current.pk])).json()
    assert len(detail["criteria"]) == 19 and len(detail["indicators"]) == 75


def test_recognitions_of_the_subtree(binh_lieu):
    rows = binh_lieu.get(reverse("api-recognition-list"), {"page_size": 1000}).json()["results"]
    stored = Recognition.objects.filter(unit__path__startswith="22/198/")
    assert sorted(r["id"] for r in rows) == sorted(stored.values_list("id", flat=True))
    held = binh_lieu.get(reverse("api-recognition-list"), {"held_on": "2023-09-30", "rule_set": NC}).json()
    assert {r["unit"] for r in held["results"]} == set(
        stored.filter(rule_set__code=NC, decision_date__lte="2023-09-30").values_list("unit__code", flat=True)
    )


def test_pagination(binh_lieu):
    first = binh_lieu.get(reverse("api-attainment-list"), {"under": BINH_LIEU, "page_size": 2}).json()
    total = Attainment.objects.filter(unit__path__startswith="22/198/").count()
    assert first["count"] == total > 2 and len(first["results"]) == 2 and "page=2" in first["next"]
    second = binh_lieu.get(first["next"]).json()
    assert {r["unit"] + r["period"] + r["rule_set"] for r in second["results"]}.isdisjoint(
        {r["unit"] + r["period"] + r["rule_set"] for r in first["results"]}
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [({"period": "2023-13"}, "period"), ({"level": "x"}, "level"), ({"rule_set_version": "x"}, "rule_set_version")],
)
def test_malformed_filters_answer_400_naming_the_parameter(binh_lieu, params, field):
    response = binh_lieu.get(reverse("api-attainment-list"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_period_and_rule_set_filters(binh_lieu):
    rows = binh_lieu.get(reverse("api-attainment-list"), {"period": PERIOD, "rule_set": NC, "level": 3}).json()
    assert rows["count"] == 6 and {r["period"] for r in rows["results"]} == {PERIOD}


def test_query_counts_do_not_grow_with_the_rows(binh_lieu, django_assert_num_queries):
    # token, memberships, count, page (+ prefetches of the units' predecessors and changes)
    with django_assert_num_queries(4):
        assert binh_lieu.get(reverse("api-attainment-list"), {"page_size": 1000}).status_code == 200
    with django_assert_num_queries(6):
        assert binh_lieu.get(reverse("api-unit-list"), {"page_size": 1000}).status_code == 200


def test_the_schema_validates_and_lists_every_endpoint(demo, db):
    response = APIClient().get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    for path in ("/api/units/", "/api/units/{code}/attainment/", "/api/rule-sets/", "/api/attainment/"):
        assert path in schema["paths"], path
    assert "tokenAuth" in schema["components"]["securitySchemes"]
