"""The report pages: who sees what, what the numbers say, and what a page costs in queries."""

import datetime as dt

import pytest
from django.urls import reverse

from communes.models import Kind
from criteria.models import Attainment
from tests.factories import (
    AdminUnitFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    ReportingPeriodFactory,
    RuleSetFactory,
    UserFactory,
)

from .conftest import attainment_for

pytestmark = pytest.mark.django_db


def unit_url(unit):
    return reverse("unit-detail", args=[unit.code])


def login(client, user):
    client.force_login(user)
    return client


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "unit"])
def test_anonymous_is_sent_to_login(client, tree, name):
    url = reverse("home") if name == "home" else unit_url(tree["commune"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_commune_official_sees_own_commune_and_its_villages_only(client, tree, commune_official):
    login(client, commune_official)
    own = client.get(unit_url(tree["commune"]))
    assert own.status_code == 200
    assert "Xã Đồng Thử" in own.content.decode()
    assert client.get(unit_url(tree["village"])).status_code == 200
    for outside in ("sibling", "far", "district", "other_district", "province", "other_province"):
        response = client.get(unit_url(tree[outside]))
        assert response.status_code == 404, outside
        assert tree[outside].name not in response.content.decode()


def test_refusal_looks_like_an_unknown_code(client, tree, commune_official):
    login(client, commune_official)
    forbidden = client.get(unit_url(tree["far"]))
    unknown = client.get(reverse("unit-detail", args=["99999"]))
    assert forbidden.status_code == unknown.status_code == 404


def test_breadcrumb_links_only_to_units_the_user_may_open(client, tree, commune_official):
    login(client, commune_official)
    html = client.get(unit_url(tree["village"])).content.decode()
    assert "Huyện Một" in html  # the name is context, not a secret
    assert f'href="{unit_url(tree["district"])}"' not in html
    assert f'href="{unit_url(tree["commune"])}"' in html


def test_district_reviewer_sees_his_communes_not_another_districts(client, tree, district_reviewer):
    login(client, district_reviewer)
    district_page = client.get(unit_url(tree["district"])).content.decode()
    for name in ("Xã Đồng Thử", "Xã Bên Cạnh"):
        assert name in district_page
    assert "Xã Huyện Khác" not in district_page
    assert client.get(unit_url(tree["commune"])).status_code == 200
    assert client.get(unit_url(tree["sibling"])).status_code == 200
    for outside in ("far", "other_district", "province"):
        assert client.get(unit_url(tree[outside])).status_code == 404, outside


def test_provincial_viewer_sees_the_province_subtree(client, tree, provincial_viewer):
    login(client, provincial_viewer)
    for inside in ("province", "district", "other_district", "commune", "far", "village"):
        assert client.get(unit_url(tree[inside])).status_code == 200, inside
    assert client.get(unit_url(tree["other_province"])).status_code == 404
    province_page = client.get(unit_url(tree["province"])).content.decode()
    assert "Huyện Một" in province_page and "Huyện Hai" in province_page


def test_home_lists_memberships_and_administrators_get_the_provinces(client, tree, commune_official, administrator):
    login(client, commune_official)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{unit_url(tree["commune"])}"' in html
    assert "Cán bộ xã" in html
    assert "Tỉnh Khác" not in html

    login(client, administrator)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{unit_url(tree["province"])}"' in html
    assert f'href="{unit_url(tree["other_province"])}"' in html
    assert client.get(unit_url(tree["other_province"])).status_code == 200


def test_login_and_logout(client, tree):
    UserFactory(username="nguoidung")
    page = client.get(reverse("login"))
    assert 'name="password"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "nguoidung", "password": "pw-test-123"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert 'action="/logout/"' in client.get(reverse("home")).content.decode()
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


# --- what the pages say -------------------------------------------------------------------------


def test_commune_counts_equal_the_stored_attainment(client, tree, commune_official, rule_set, period):
    attainment_for(
        tree["commune"],
        rule_set,
        period,
        criteria_met=12,
        criteria_total=19,
        indicators_met=61,
        indicators_total=75,
        indicators_met_approved=52,
    )
    login(client, commune_official)
    html = client.get(unit_url(tree["commune"])).content.decode()
    row = Attainment.objects.get(unit=tree["commune"])
    expected = (
        f"đạt {row.criteria_met}/{row.criteria_total} tiêu chí, {row.indicators_met}/{row.indicators_total} chỉ tiêu"
    )
    assert expected == "đạt 12/19 tiêu chí, 61/75 chỉ tiêu"
    assert expected in html
    assert "61/75 chỉ tiêu (52 đã duyệt)" in html  # how much of the figure rests on approved values
    assert "Chưa đạt chuẩn" in html
    assert "Xã NTM nâng cao" in html


def test_indicator_table_shows_values_targets_and_statuses(client, tree, commune_official, rule_set, period):
    attainment_for(tree["commune"], rule_set, period)
    indicators = {i.code: i for i in rule_set.indicators.all()}
    IndicatorValueFactory(unit=tree["commune"], indicator=indicators["1.2"], period=period, number="85.5000")
    IndicatorValueFactory(unit=tree["commune"], indicator=indicators["1.1"], period=period, number=None, boolean=True)
    login(client, commune_official)
    page = client.get(unit_url(tree["commune"]))
    rows = {row.indicator.code: row for block in page.context["page"].reports[0].criteria for row in block.rows}
    assert rows["1.2"].status == "met" and str(rows["1.2"].value) == "85.5"
    assert rows["1.1"].value is True
    assert rows["2.1"].status == "not_met" and rows["2.1"].target_override and rows["2.1"].target == "≥ 90"
    assert rows["2.2"].status == "no_data" and not rows["2.2"].has_value
    html = page.content.decode()
    assert "85,5%" in html  # Vietnamese decimal comma
    assert "Chưa có số liệu" in html and "Chưa đạt" in html
    assert "Đã đạt chuẩn NTM" in html  # the set's condition is listed too
    assert "≥ 80%" in html  # target text of the indicator


def test_unverified_items_carry_a_badge_with_an_explanation(client, tree, commune_official, rule_set, period):
    attainment_for(tree["commune"], rule_set, period)
    login(client, commune_official)
    html = client.get(unit_url(tree["commune"])).content.decode()
    assert "chưa xác minh" in html
    assert 'class="badge badge-unverified"' in html
    assert "chưa được đối chiếu với văn bản gốc" in html


def test_no_badge_when_everything_is_verified(client, tree, commune_official, period):
    from tests.factories import CriterionFactory, IndicatorFactory

    rs = RuleSetFactory(verified=True)
    criterion = CriterionFactory(rule_set=rs, name_verified=True)
    IndicatorFactory(criterion=criterion, verified=True)
    Attainment.objects.create(
        unit=tree["commune"],
        rule_set=rs,
        period=period,
        criteria_met=0,
        criteria_total=1,
        indicators_met=0,
        indicators_total=1,
        attained=False,
        computed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )
    login(client, commune_official)
    html = client.get(unit_url(tree["commune"])).content.decode()
    assert "badge-unverified" not in html


def test_notes_and_names_are_escaped(client, tree, commune_official, rule_set, period):
    attainment_for(tree["commune"], rule_set, period)
    indicator = rule_set.indicators.get(code="1.2")
    IndicatorValueFactory(unit=tree["commune"], indicator=indicator, period=period, note="<script>alert('x')</script>")
    AdminUnitFactory(kind=Kind.THON, code="8100102", parent=tree["commune"], name="<script>thôn</script>")
    login(client, commune_official)
    html = client.get(unit_url(tree["commune"])).content.decode()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;thôn&lt;/script&gt;" in html


def test_district_page_lists_children_with_their_counts(client, tree, district_reviewer, rule_set, period):
    attainment_for(
        tree["commune"],
        rule_set,
        period,
        criteria_met=12,
        criteria_total=19,
        indicators_met=61,
        indicators_total=75,
        indicators_met_approved=52,
    )
    attainment_for(
        tree["sibling"],
        rule_set,
        period,
        criteria_met=19,
        criteria_total=19,
        indicators_met=75,
        indicators_total=75,
        attained=True,
    )
    attainment_for(tree["far"], rule_set, period, criteria_met=3, criteria_total=19)
    login(client, district_reviewer)
    page = client.get(unit_url(tree["district"]))
    rows = {row.unit.code: list(row.cells.values()) for row in page.context["board"].communes}
    assert set(rows) == {"81001", "81002"}
    stored = {a.unit.code: a for a in Attainment.objects.filter(unit__parent=tree["district"])}
    for code, cells in rows.items():
        assert [(c.criteria_met, c.indicators_met, c.attained) for c in cells] == [
            (stored[code].criteria_met, stored[code].indicators_met, stored[code].attained)
        ]
    html = page.content.decode()
    assert "12/19 · 61/75" in html and "19/19 · 75/75" in html
    assert "3/19" not in html


def test_commune_page_lists_villages_with_their_status(client, tree, commune_official, period):
    village_set = RuleSetFactory(code="thon-nc", name="Thôn NTM nâng cao", short_name="Thôn NC", level=4)
    attainment_for(
        tree["village"],
        village_set,
        period,
        criteria_met=5,
        criteria_total=5,
        indicators_met=9,
        indicators_total=9,
        attained=True,
    )
    login(client, commune_official)
    html = client.get(unit_url(tree["commune"])).content.decode()
    assert "Các thôn, bản" in html and "Thôn Một" in html and "Thôn NC" in html
    assert "5/5 · 9/9" in html


def test_period_selector(client, tree, commune_official, rule_set, period):
    earlier = ReportingPeriodFactory(code="2022", year=2022, start=dt.date(2022, 1, 1), end=dt.date(2022, 12, 31))
    attainment_for(tree["commune"], rule_set, earlier, criteria_met=7, criteria_total=19)
    attainment_for(tree["commune"], rule_set, period, criteria_met=12, criteria_total=19)
    login(client, commune_official)
    latest = client.get(unit_url(tree["commune"]))
    assert latest.context["page"].period.code == "2023"
    assert "đạt 12/19 tiêu chí" in latest.content.decode()
    assert '<option value="2022"' in latest.content.decode()
    old = client.get(unit_url(tree["commune"]), {"period": "2022"}).content.decode()
    assert "đạt 7/19 tiêu chí" in old and "đạt 12/19" not in old
    missing = client.get(unit_url(tree["commune"]), {"period": "2019"}).content.decode()
    assert "Chưa có kết quả đánh giá cho kỳ 2019" in missing


def test_no_attainment_yet_says_so(client, tree, commune_official):
    login(client, commune_official)
    html = client.get(unit_url(tree["commune"])).content.decode()
    assert "Chưa có kết quả đánh giá nào cho đơn vị này." in html


# --- demo ribbon --------------------------------------------------------------------------------

RIBBON = "DỮ LIỆU MẪU / Demo data"


def test_demo_ribbon_follows_the_data_and_the_setting(client, tree, commune_official, rule_set, period, settings):
    settings.DEMO_MODE = False
    login(client, commune_official)
    assert RIBBON not in client.get(unit_url(tree["commune"])).content.decode()

    tree["village"].is_demo = True
    tree["village"].save()
    assert RIBBON in client.get(unit_url(tree["village"])).content.decode()
    assert RIBBON not in client.get(reverse("home")).content.decode()

    settings.DEMO_MODE = True
    assert RIBBON in client.get(reverse("home")).content.decode()


def test_demo_values_raise_the_ribbon(client, tree, commune_official, rule_set, period, settings):
    settings.DEMO_MODE = False
    attainment_for(tree["commune"], rule_set, period)
    IndicatorValueFactory(unit=tree["commune"], indicator=rule_set.indicators.first(), period=period, is_demo=True)
    login(client, commune_official)
    assert RIBBON in client.get(unit_url(tree["commune"])).content.decode()


def test_demo_mode_from_the_environment(monkeypatch, settings, rf):
    from ntm_tracker.context_processors import site

    del settings.DEMO_MODE  # not configured in settings: the environment decides
    monkeypatch.setenv("DEMO_MODE", "1")
    assert site(rf.get("/"))["DEMO_MODE"] is True
    monkeypatch.setenv("DEMO_MODE", "0")
    assert site(rf.get("/"))["DEMO_MODE"] is False


# --- language -----------------------------------------------------------------------------------


def test_switching_to_english_shows_english(client, tree, commune_official, rule_set, period):
    attainment_for(
        tree["commune"],
        rule_set,
        period,
        criteria_met=12,
        criteria_total=19,
        indicators_met=61,
        indicators_total=75,
        indicators_met_approved=52,
    )
    login(client, commune_official)
    vietnamese = client.get(unit_url(tree["commune"])).content.decode()
    assert 'lang="vi"' in vietnamese and "Đăng xuất" in vietnamese

    response = client.post(reverse("set_language"), {"language": "en", "next": unit_url(tree["commune"])})
    assert response.status_code == 302
    english = client.get(unit_url(tree["commune"])).content.decode()
    assert '<html lang="en">' in english
    assert "Log out" in english and "Đăng xuất" not in english
    assert "met 12/19 criteria, 61/75 indicators" in english
    assert "Advanced NTM commune" in english  # the rule set's English name
    assert "Commune official" in client.get(reverse("home")).content.decode()  # a model choice


# --- cost of a page -----------------------------------------------------------------------------


def _add_communes(district, rule_set, period, n, start):
    for i in range(n):
        commune = AdminUnitFactory(kind=Kind.XA, code=f"8{start + i:04d}", parent=district)
        attainment_for(commune, rule_set, period)


@pytest.mark.parametrize("extra", [0, 6])
def test_district_page_query_count_does_not_grow(
    client, tree, district_reviewer, rule_set, period, extra, django_assert_num_queries
):
    attainment_for(tree["district"], rule_set, period)
    attainment_for(tree["commune"], rule_set, period)
    _add_communes(tree["district"], rule_set, period, extra, start=1100)
    login(client, district_reviewer)
    # session, user, unit, scope; ancestors, periods, units, rule sets, recognitions, results (light),
    # results (heavy); submissions, criteria, indicators, own indicator status (the filters add one when used);
    # OCOP certificates; capital, works behind schedule
    with django_assert_num_queries(18):
        response = client.get(unit_url(tree["district"]))
    assert len(response.context["board"].communes) == 2 + extra


@pytest.mark.parametrize("villages", [1, 5])
def test_commune_page_query_count_does_not_grow(
    client, tree, commune_official, rule_set, period, villages, django_assert_num_queries
):
    attainment_for(tree["commune"], rule_set, period)
    indicator = rule_set.indicators.get(code="1.2")
    IndicatorValueFactory(unit=tree["commune"], indicator=indicator, period=period)
    for i in range(villages - 1):
        AdminUnitFactory(kind=Kind.THON, code=f"81001{i + 10:02d}", parent=tree["commune"])
    login(client, commune_official)
    # session, user, unit, scope; ancestors, periods, own attainment, values, evidence, criteria, indicators,
    # results of every period, recognitions, submission, villages, villages' attainment, OCOP certificates
    with django_assert_num_queries(17):
        response = client.get(unit_url(tree["commune"]))
    assert len(response.context["page"].children) == villages


def test_home_query_count(client, tree, administrator, django_assert_num_queries):
    for i in range(5):
        AdminUnitFactory(kind=Kind.TINH, code=f"7{i}")
    login(client, administrator)
    # session, user, memberships, provinces; the to-dos: unread notifications, submissions waiting, recent locks,
    # recomputes running (an administrator enters no data: no open periods nor returned values to read)
    with django_assert_num_queries(8):
        client.get(reverse("home"))


def test_a_set_of_conditions_only_reports_its_conditions(client, tree, provincial_viewer, period):
    province_set = RuleSetFactory(code="tinh-ht", name="Tỉnh hoàn thành", level=1)
    Attainment.objects.create(
        unit=tree["province"],
        rule_set=province_set,
        period=period,
        criteria_met=0,
        criteria_total=0,
        indicators_met=0,
        indicators_total=0,
        conditions_met=3,
        conditions_total=8,
        attained=False,
        computed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )
    login(client, provincial_viewer)
    html = client.get(unit_url(tree["province"])).content.decode()
    assert "3/8 điều kiện" in html
    assert "0/0 tiêu chí" not in html


def test_language_switch_names_each_language_in_itself(client, tree, commune_official):
    login(client, commune_official)
    html = client.get(reverse("home")).content.decode()
    assert 'value="en" lang="en"' in html and ">English</button>" in html
    assert ">Tiếng Việt</button>" in html


def test_a_derived_condition_shows_the_value_recompute_computed(client, tree, provincial_viewer, period):
    province_set = RuleSetFactory(code="tinh-dk", name="Tỉnh hoàn thành", level=1)
    IndicatorFactory(
        rule_set=province_set,
        criterion=None,
        code="DK4",
        text="Tỷ lệ xã đạt chuẩn NTM nâng cao",
        target={"op": ">=", "value": 40},
        derived={"from": "children", "level": "commune", "rule_set": "x", "measure": "share"},
    )
    Attainment.objects.create(
        unit=tree["province"],
        rule_set=province_set,
        period=period,
        criteria_met=0,
        criteria_total=0,
        indicators_met=0,
        indicators_total=0,
        conditions_met=0,
        conditions_total=1,
        attained=False,
        indicator_status={"DK4": {"status": "not_met", "target": {"op": ">=", "value": 40}, "value": 33.33}},
        computed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    )
    login(client, provincial_viewer)
    html = client.get(unit_url(tree["province"])).content.decode()
    assert "33,33%" in html


def test_vietnamese_is_the_default_whatever_the_browser_asks(client, tree, commune_official):
    login(client, commune_official)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in html and "Đăng xuất" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="en">' in html and "Log out" in html
