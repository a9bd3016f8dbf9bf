import pytest
from django.urls import reverse

from criteria.loader import default_paths, load_rule_sets
from criteria.models import RuleSet
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CODE = "xa-ntm-2021-2025"


@pytest.fixture
def loaded(db):
    load_rule_sets(default_paths())
    return RuleSet.objects.get(code=CODE, version=1)


@pytest.fixture
def reader(client):
    client.force_login(UserFactory())  # no role at all: every signed-in user reads the sets
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client, loaded):
    for url in (reverse("criteria:rule-set-list"), reverse("criteria:rule-set-detail", args=[CODE, 1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_list_links_every_version(reader, loaded):
    html = reader.get(reverse("criteria:rule-set-list")).content.decode()
    assert reverse("criteria:rule-set-detail", args=[CODE, 1]) in html
    assert reverse("criteria:rule-set-detail", args=["tinh-hoan-thanh-ntm-2021-2025", 1]) in html


def test_the_page_shows_every_indicator_with_its_anchor_target_overrides_and_marks(reader, loaded):
    response = reader.get(reverse("criteria:rule-set-detail", args=[CODE, 1]))
    html = response.content.decode()
    indicators = list(loaded.indicators.all())
    for indicator in indicators:
        assert f'id="chi-tieu-{indicator.code}"' in html
    with_override = next(i for i in indicators if (i.target or {}).get("overrides"))
    row = html.split(f'id="chi-tieu-{with_override.code}"')[1].split("</tr>")[0]
    assert "vùng " in row and '<ul class="overrides">' in row
    unverified = next(i for i in indicators if not i.verified)
    row = html.split(f'id="chi-tieu-{unverified.code}"')[1].split("</tr>")[0]
    assert "chưa xác minh" in row
    verified = next((i for i in indicators if i.verified), None)
    if verified is not None:
        row = html.split(f'id="chi-tieu-{verified.code}"')[1].split("</tr>")[0]
        assert "chưa xác minh" not in row and "đã xác minh" in row
    assert loaded.legal_basis in html


def test_conditions_are_listed_apart(reader, loaded):
    html = reader.get(reverse("criteria:rule-set-detail", args=["tinh-hoan-thanh-ntm-2021-2025", 1])).content.decode()
    assert 'id="dieu-kien"' in html
    rule_set = RuleSet.objects.get(code="tinh-hoan-thanh-ntm-2021-2025")
    for condition in rule_set.indicators.filter(criterion__isnull=True):
        assert f'id="chi-tieu-{condition.code}"' in html


@pytest.mark.parametrize("url", ["/rule-sets/khong-co/v1/", f"/rule-sets/{CODE}/v2/", f"/rule-sets/{CODE}/v0/"])
def test_an_unknown_set_or_version_is_404(reader, loaded, url):
    assert reader.get(url).status_code == 404


@pytest.mark.parametrize("url", [f"/rule-sets/{CODE}/1/", f"/rule-sets/{CODE}/vx/", "/rule-sets/Không có/v1/"])
def test_a_malformed_address_is_404(reader, loaded, url):
    assert reader.get(url).status_code == 404


@pytest.mark.parametrize("code, queries", [(CODE, 8), ("xa-ntm-2026-2030", 8), ("tinh-hoan-thanh-ntm-2021-2025", 7)])
def test_the_page_runs_a_fixed_number_of_queries(reader, loaded, django_assert_num_queries, code, queries):
    url = reverse("criteria:rule-set-detail", args=[code, 1])
    # session, user, the page frame's own, the set, criteria, their indicators, the conditions, the versions:
    # the same for 19 criteria as for 10 (a set of conditions only has no criteria to fetch indicators for)
    with django_assert_num_queries(queries):
        assert reader.get(url).status_code == 200
