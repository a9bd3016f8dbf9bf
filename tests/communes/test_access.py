"""Access follows the tree: a membership covers its unit and everything under it."""

import pytest

from communes.access import can_view, memberships_for, scope_for, visible_units
from communes.models import Kind, Role
from tests.factories import AdminUnitFactory, MembershipFactory, UserFactory, make_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_provinces():
    province, district, communes = make_tree(prefix="5")
    other_province, other_district, other_communes = make_tree(prefix="6")
    village = AdminUnitFactory(kind=Kind.THON, code="5000101", parent=communes[0])
    return {
        "province": province,
        "district": district,
        "communes": communes,
        "village": village,
        "other": [other_province, other_district, *other_communes],
    }


def member(unit, role):
    user = UserFactory()
    MembershipFactory(user=user, unit=unit, role=role)
    return user


def test_commune_membership_covers_the_commune_and_its_villages(two_provinces, django_assert_num_queries):
    t = two_provinces
    user = member(t["communes"][0], Role.COMMUNE_OFFICIAL)
    assert set(visible_units(user)) == {t["communes"][0], t["village"]}
    with django_assert_num_queries(1):
        assert can_view(user, t["village"])
    for unit in (t["province"], t["district"], t["communes"][1], *t["other"]):
        assert not can_view(user, unit)


def test_a_code_prefix_is_not_a_path_prefix(two_provinces):
    # "51/" must not cover "511/…": paths end with a slash for exactly this reason.
    t = two_provinces
    lookalike = AdminUnitFactory(kind=Kind.TINH, code="5", path="5/")
    user = member(lookalike, Role.PROVINCIAL_VIEWER)
    assert not can_view(user, t["province"])
    assert list(visible_units(user)) == [lookalike]


def test_province_membership_covers_the_subtree_only(two_provinces):
    t = two_provinces
    user = member(t["province"], Role.PROVINCIAL_VIEWER)
    visible = set(visible_units(user))
    assert {t["province"], t["district"], t["village"], *t["communes"]} == visible
    assert not any(can_view(user, unit) for unit in t["other"])


def test_administrators_and_superusers_see_everything(two_provinces, django_assert_num_queries):
    t = two_provinces
    admin = member(t["village"], Role.ADMINISTRATOR)
    superuser = UserFactory(is_superuser=True)
    everything = {t["province"], t["district"], t["village"], *t["communes"], *t["other"]}
    for user in (admin, superuser):
        assert set(visible_units(user)) == everything
        assert can_view(user, t["other"][0])
    with django_assert_num_queries(0):
        assert can_view(superuser, t["other"][-1])
        assert scope_for(superuser).sees_all


def test_several_memberships_add_up(two_provinces):
    t = two_provinces
    user = member(t["communes"][1], Role.COMMUNE_OFFICIAL)
    MembershipFactory(user=user, unit=t["other"][1], role=Role.DISTRICT_REVIEWER)
    MembershipFactory(user=user, unit=t["other"][0], role=Role.PROVINCIAL_VIEWER)
    assert scope_for(user).paths == (t["communes"][1].path, t["other"][0].path)
    assert set(visible_units(user)) == {t["communes"][1], *t["other"]}
    assert [m.unit for m in memberships_for(user)] == [t["communes"][1], t["other"][0], t["other"][1]]


def test_users_without_membership_or_login_see_nothing(two_provinces):
    from django.contrib.auth.models import AnonymousUser

    t = two_provinces
    for user in (UserFactory(), AnonymousUser()):
        assert not visible_units(user).exists()
        assert not can_view(user, t["province"])
        assert memberships_for(user) == []


def test_navigation_shows_each_role_only_the_pages_it_may_use(client, two_provinces):
    t = two_provinces
    expected = {
        Role.PROVINCIAL_VIEWER: (t["province"], set()),
        Role.COMMUNE_OFFICIAL: (t["communes"][0], {"/entry/"}),
        Role.DISTRICT_REVIEWER: (t["district"], {"/entry/", "/review/"}),
        Role.PROVINCIAL_COORDINATOR: (
            t["province"],
            {"/entry/", "/review/", "/periods/", "/memberships/", "/recompute/"},
        ),
    }
    for role, (unit, pages) in expected.items():
        user = UserFactory(username=f"nav-{role}")
        MembershipFactory(user=user, unit=unit, role=role)
        client.force_login(user)
        html = client.get("/").content.decode()
        nav = html.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
        shown = {
            page
            for page in ("/entry/", "/review/", "/periods/", "/memberships/", "/recompute/")
            if f'href="{page}"' in nav
        }
        assert shown == pages, role
