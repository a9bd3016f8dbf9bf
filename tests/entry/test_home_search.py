"""The home page's to-dos by role, and the unit search."""

import pytest
from django.test import Client
from django.urls import reverse

from communes.models import Kind
from entry import services
from reports.worklist import fold
from tests.factories import AdminUnitFactory

from .test_views import client_for, post_values

pytestmark = pytest.mark.django_db


def test_fold_drops_diacritics_and_case():
    assert fold("Xã Đồng Tâm") == "xa dong tam"
    assert fold("  HOÀNH   Mô ") == "hoanh mo"


def test_search_finds_a_unit_without_diacritics_or_by_code_within_what_the_user_sees(world):
    AdminUnitFactory(kind=Kind.XA, code="71003", parent=world["district"], name="Xã Đồng Thử A")
    official = client_for(world["reviewer"])
    html = official.get(reverse("search") + "?q=dong thu").content.decode()
    assert "Xã Đồng Thử</a>" in html and "Xã Đồng Thử A" in html
    assert html.index("Xã Đồng Thử</a>") < html.index("Xã Đồng Thử A")  # the exact name first
    assert "Xã Bên Cạnh" in official.get(reverse("search") + "?q=ben canh").content.decode()
    assert "Xã Bên Cạnh" in official.get(reverse("search") + "?q=71002").content.decode()
    # a unit in another district or province is not found, whatever is typed
    assert "Xã Huyện Khác" not in official.get(reverse("search") + "?q=huyen khac").content.decode()
    html = official.get(reverse("search") + "?q=tinh khac").content.decode()
    assert "Xã Tỉnh Khác" not in html and "Không tìm thấy" in html
    assert "Xã Tỉnh Khác" in client_for(world["outsider"]).get(reverse("search") + "?q=72001").content.decode()


def test_search_refuses_an_overlong_query_with_a_message(world):
    response = client_for(world["official"]).get(reverse("search") + "?q=" + "a" * 300)
    assert response.status_code == 400 and "quá dài" in response.content.decode()
    assert client_for(world["official"]).get(reverse("search")).status_code == 200
    anonymous = Client().get(reverse("search") + "?q=dong")
    assert anonymous.status_code == 302


def test_home_tells_the_official_what_is_open_and_what_was_returned(world):
    official = client_for(world["official"])
    post_values(official, world["commune"], {world["pct"]: ("90", "")}, action="submit")
    services.submission_return(user=world["reviewer"], unit=world["commune"], period=world["period"], reason="Sai số")
    html = official.get(reverse("home")).content.decode()
    todo = html[html.index('id="todo"') :]
    assert "Kỳ Năm 2023 đang mở để nhập liệu" in todo or "đang mở để nhập liệu" in todo
    assert reverse("entry-unit", args=["71001", "2023"]) in todo
    assert "1 giá trị bị huyện trả lại" in todo and "Sai số" in todo
    assert "hồ sơ chờ thẩm tra" not in todo


def test_home_tells_the_reviewer_what_waits_and_drops_a_locked_period(world):
    post_values(client_for(world["official"]), world["commune"], {world["pct"]: ("90", "")}, action="submit")
    reviewer = client_for(world["reviewer"])
    todo = reviewer.get(reverse("home")).content.decode()
    assert "1 hồ sơ chờ thẩm tra" in todo and reverse("review-unit", args=["71001", "2023"]) in todo
    assert "1 giá trị" in todo
    other = client_for(world["other_reviewer"]).get(reverse("home")).content.decode()
    assert "hồ sơ chờ thẩm tra" not in other
    services.period_lock(user=world["coordinator"], period=world["period"], province=world["province"])
    html = client_for(world["official"]).get(reverse("home")).content.decode()
    assert "đang mở để nhập liệu" not in html and "đã khóa tại Tỉnh Thử" in html


def test_the_coordinator_picks_the_unit_of_a_role_from_a_search(world):
    from communes.models import Membership, Role

    coordinator = client_for(world["coordinator"])
    html = coordinator.get(reverse("memberships") + "?unit_q=dong thu").content.decode()
    assert 'name="unit_code" value="71001"' in html and "Xã Đồng Thử" in html
    # units outside the province are never offered
    html = coordinator.get(reverse("memberships") + "?unit_q=72001").content.decode()
    assert 'name="unit_code"' not in html and "Không tìm thấy đơn vị nào" in html
    response = coordinator.post(
        reverse("memberships"),
        {"unit_q": "dong thu", "unit_code": "71001", "username": "huyen2", "role": Role.COMMUNE_OFFICIAL},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="huyen2", unit__code="71001").exists()


def test_revoking_asks_first_and_the_coordinators_own_row_has_no_button(world):
    html = client_for(world["coordinator"]).get(reverse("memberships")).content.decode()
    own = html[html.index("dieuphoi</td>") - 200 : html.index("dieuphoi</td>") + 300]
    assert "(vai trò của bạn)" in own and "Thu hồi</button>" not in own
    assert 'data-confirm="Thu hồi vai trò Cán bộ xã của xa tại Xã Đồng Thử?"' in html
    assert client_for(world["official"]).get(reverse("memberships")).status_code == 403


def test_the_coordinator_creates_an_account_and_its_holder_sets_the_password(world):
    import re

    from django.contrib.auth import get_user_model
    from django.core import mail

    from communes.models import Membership, Role

    coordinator = client_for(world["coordinator"])
    response = coordinator.post(
        reverse("memberships"),
        {
            "unit_q": "71002",
            "unit_code": "71002",
            "username": "can-bo-moi",
            "create": "on",
            "email": "moi@example.vn",
            "role": Role.COMMUNE_OFFICIAL,
        },
        follow=True,
    )
    html = response.content.decode()
    assert Membership.objects.filter(user__username="can-bo-moi", unit__code="71002").exists()
    assert not get_user_model().objects.get(username="can-bo-moi").has_usable_password()
    link = re.search(r"(/password/set/[^/]+/[^/\s<]+/)", html).group(1)
    assert link in mail.outbox[0].body and mail.outbox[0].to == ["moi@example.vn"]
    holder = Client()
    form = holder.get(link, follow=True)
    assert "Đặt mật khẩu" in form.content.decode()
    done = holder.post(
        form.redirect_chain[-1][0], {"new_password1": "Dong-Thu-2025!", "new_password2": "Dong-Thu-2025!"}
    )
    assert done.status_code == 302
    assert get_user_model().objects.get(username="can-bo-moi").check_password("Dong-Thu-2025!")
    # the link works once
    assert "không hợp lệ" in Client().get(link, follow=True).content.decode()
    # an existing name is refused next to the field, and nothing is created
    again = coordinator.post(
        reverse("memberships"),
        {"unit_q": "71002", "unit_code": "71002", "username": "xa", "create": "on", "role": Role.COMMUNE_OFFICIAL},
    )
    assert again.status_code == 400 and "Đã có tài khoản «xa»" in again.content.decode()
