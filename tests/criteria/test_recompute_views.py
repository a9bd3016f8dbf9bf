"""The recompute-runs page: only provincial coordinators (their province) and administrators start runs."""

import pytest
from django.urls import reverse

from communes.models import Kind, Role
from criteria.models import Attainment, RecomputeRun, ReportingPeriod
from tests.criteria.test_recompute import put
from tests.factories import AdminUnitFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/recompute/"


@pytest.fixture
def setup(small_world):
    w = small_world
    period = ReportingPeriod.objects.for_code("2023")
    put(w["communes"][0], w["nc"], period, **{"1_1": 90, "1_2": True, "2_1": 95})
    other_province = AdminUnitFactory(kind=Kind.TINH, code="93")
    other_commune = AdminUnitFactory(
        kind=Kind.XA, code="93001", parent=AdminUnitFactory(kind=Kind.HUYEN, code="931", parent=other_province)
    )
    put(other_commune, w["nc"], period, **{"1_1": 90})

    def member(role, unit):
        user = UserFactory()
        MembershipFactory(user=user, unit=unit, role=role)
        return user

    return {
        **w,
        "period": period,
        "other_province": other_province,
        "other_commune": other_commune,
        "coordinator": member(Role.PROVINCIAL_COORDINATOR, w["province"]),
        "admin": member(Role.ADMINISTRATOR, other_province),
        "outsiders": [
            member(Role.COMMUNE_OFFICIAL, w["communes"][0]),
            member(Role.DISTRICT_REVIEWER, w["district"]),
            member(Role.PROVINCIAL_VIEWER, w["province"]),
            UserFactory(),  # no membership at all
        ],
    }


def test_the_url_is_named():
    assert reverse("criteria:recompute-runs") == URL


def test_anonymous_visitors_are_sent_to_log_in(client, setup):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(URL, {"period": "2023", "scope": ""}).status_code == 302
    assert not RecomputeRun.objects.exists()


def test_outsiders_are_refused_and_start_nothing(client, setup):
    run = RecomputeRun.objects.create(period=setup["period"])
    for user in setup["outsiders"]:
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"period": "2023", "scope": "91"}).status_code == 403
        assert client.get(f"/recompute/{run.id}/progress/").status_code == 403
    assert RecomputeRun.objects.count() == 1


def test_a_coordinator_recomputes_their_province_and_sees_the_progress(
    client, setup, django_capture_on_commit_callbacks
):
    s = setup
    client.force_login(s["coordinator"])
    page = client.get(URL)
    assert page.status_code == 200
    assert list(page.context["scopes"]) == [("91", s["province"].name)]  # no nationwide run for them
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"period": "2023", "scope": "91"})
    assert response.status_code == 302
    run = RecomputeRun.objects.get()
    assert (run.unit, run.period, run.requested_by, run.status) == (
        s["province"],
        s["period"],
        s["coordinator"],
        RecomputeRun.Status.DONE,
    )
    assert run.units_done == run.units_total == 3
    assert Attainment.objects.filter(unit=s["communes"][0]).exists()
    assert not Attainment.objects.filter(unit=s["other_commune"]).exists()

    page = client.get(URL)
    html = page.content.decode()
    assert f'data-run="{run.id}"' in html and 'value="100"' in html and "3/3" in html
    progress = client.get(f"/recompute/{run.id}/progress/").json()
    assert progress["status"] == "done" and progress["percent"] == 100 and progress["units_done"] == 3


def test_a_coordinator_cannot_recompute_another_province_nor_see_its_runs(client, setup):
    s = setup
    foreign = RecomputeRun.objects.create(period=s["period"], unit=s["other_province"])
    client.force_login(s["coordinator"])
    for scope in ("93", ""):  # another province, the whole country
        response = client.post(URL, {"period": "2023", "scope": scope})
        assert response.status_code == 400
        assert "Chọn địa bàn bạn được phép tính lại." in response.content.decode()
    assert client.get(f"/recompute/{foreign.id}/progress/").status_code == 404
    assert f'data-run="{foreign.id}"' not in client.get(URL).content.decode()
    assert RecomputeRun.objects.count() == 1


def test_an_unknown_period_is_refused_with_a_message(client, setup):
    client.force_login(setup["coordinator"])
    response = client.post(URL, {"period": "2019", "scope": "91"})
    assert response.status_code == 400
    assert "Chọn một kỳ có số liệu, hoặc mọi kỳ." in response.content.decode()
    assert not RecomputeRun.objects.exists()


def test_an_administrator_recomputes_the_whole_country(client, setup, django_capture_on_commit_callbacks):
    s = setup
    client.force_login(s["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"period": "all", "scope": ""})
    run = RecomputeRun.objects.get()
    assert run.unit is None and run.period is None and run.status == RecomputeRun.Status.DONE
    assert Attainment.objects.filter(unit=s["other_commune"]).exists()
    assert Attainment.objects.filter(unit=s["communes"][0]).exists()


def test_a_second_start_of_a_running_scope_is_not_queued(client, setup):
    s = setup
    running = RecomputeRun.objects.create(period=s["period"], unit=s["province"], status=RecomputeRun.Status.RUNNING)
    client.force_login(s["coordinator"])
    response = client.post(URL, {"period": "2023", "scope": "91"}, follow=True)
    assert f"#{running.id}" in response.content.decode()
    assert RecomputeRun.objects.count() == 1


def test_a_failed_run_shows_its_error(client, setup):
    s = setup
    RecomputeRun.objects.create(
        period=s["period"], unit=s["province"], status=RecomputeRun.Status.FAILED, error="OperationalError: db down"
    )
    client.force_login(s["coordinator"])
    html = client.get(URL).content.decode()
    assert "OperationalError: db down" in html and "Lỗi" in html


def test_the_page_costs_the_same_queries_whatever_the_number_of_runs(client, setup, django_assert_num_queries):
    s = setup
    client.force_login(s["coordinator"])
    client.get(URL)
    for _ in range(2):
        RecomputeRun.objects.create(period=s["period"], unit=s["province"], requested_by=s["coordinator"])
    # session, user, memberships, periods, runs (with period, unit and requester joined)
    with django_assert_num_queries(5):
        client.get(URL)
    for _ in range(10):
        RecomputeRun.objects.create(period=s["period"], unit=s["province"], requested_by=s["coordinator"])
    with django_assert_num_queries(5):
        assert client.get(URL).status_code == 200
