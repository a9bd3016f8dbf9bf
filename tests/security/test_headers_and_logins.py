"""Content-Security-Policy without inline code, login throttling by account and by address, password rules."""

import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from communes.models import Kind, Role
from tests.factories import AdminUnitFactory, MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


# --- Content-Security-Policy --------------------------------------------------------------------------------------


def test_html_pages_carry_a_policy_without_unsafe_inline(client):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_needs_unsafe_inline():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert found == []


# --- login throttling ---------------------------------------------------------------------------------------------


@pytest.fixture
def account(db):
    return UserFactory(username="canbo-xa", password="dung-mat-khau-2024")


def _fail(client, path, username, times, address="10.0.0.1"):
    last = None
    for n in range(times):
        last = client.post(path, {"username": username, "password": f"sai-{n}"}, REMOTE_ADDR=address)
    return last


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(settings, account, path):
    client = Client()
    assert _fail(client, path, "canbo-xa", settings.AXES_FAILURE_LIMIT - 1).status_code == 200
    locked = _fail(client, path, "canbo-xa", 1)
    assert locked.status_code == 429
    right = client.post(path, {"username": "canbo-xa", "password": "dung-mat-khau-2024"}, REMOTE_ADDR="10.0.0.1")
    assert right.status_code == 429
    page = right.content.decode()
    assert "Tạm khoá đăng nhập" in page and "Đã nhập sai mật khẩu quá nhiều lần" in page
    assert "_auth_user_id" not in client.session


def test_the_account_lock_holds_from_another_address(settings, account):
    _fail(Client(), "/login/", "canbo-xa", settings.AXES_FAILURE_LIMIT, address="10.0.0.1")
    response = Client().post(
        "/login/", {"username": "canbo-xa", "password": "dung-mat-khau-2024"}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 429


def test_an_address_trying_many_accounts_is_locked(settings, account):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": f"khong-co-{n}", "password": "x"}, REMOTE_ADDR="10.0.0.7")
    response = client.post(
        "/login/", {"username": "canbo-xa", "password": "dung-mat-khau-2024"}, REMOTE_ADDR="10.0.0.7"
    )
    assert response.status_code == 429
    # the account itself is not locked for its owner elsewhere
    elsewhere = Client().post(
        "/login/", {"username": "canbo-xa", "password": "dung-mat-khau-2024"}, REMOTE_ADDR="10.0.0.8"
    )
    assert elsewhere.status_code == 302


def test_the_lockout_page_speaks_english_when_chosen(settings, account):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _fail(client, "/login/", "canbo-xa", settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()


@pytest.fixture
def province_people(db):
    qn = AdminUnitFactory(kind=Kind.TINH, code="61")
    commune = AdminUnitFactory(
        kind=Kind.XA, code="61001", parent=AdminUnitFactory(kind=Kind.HUYEN, code="611", parent=qn)
    )
    other = AdminUnitFactory(kind=Kind.TINH, code="62")
    coordinator = UserFactory(username="dieuphoi")
    MembershipFactory(user=coordinator, unit=qn, role=Role.PROVINCIAL_COORDINATOR)
    official = UserFactory(username="canbo-61001", password="dung-mat-khau-2024")
    MembershipFactory(user=official, unit=commune, role=Role.COMMUNE_OFFICIAL)
    foreigner = UserFactory(username="canbo-62", password="dung-mat-khau-2024")
    MembershipFactory(user=foreigner, unit=other, role=Role.PROVINCIAL_VIEWER)
    viewer = UserFactory(username="xem-61")
    MembershipFactory(user=viewer, unit=qn, role=Role.PROVINCIAL_VIEWER)
    return {"coordinator": coordinator, "official": official, "foreigner": foreigner, "viewer": viewer}


def test_the_coordinator_unlocks_an_account_of_his_province(settings, province_people):
    for name in ("canbo-61001", "canbo-62"):
        _fail(Client(), "/login/", name, settings.AXES_FAILURE_LIMIT, address=f"10.1.0.{len(name)}")
    coordinator = Client()
    coordinator.force_login(province_people["coordinator"])
    page = coordinator.get(reverse("lockouts")).content.decode()
    assert "canbo-61001" in page and "canbo-62" not in page  # another province's account is not his to unlock
    refused = coordinator.post(reverse("lockouts"), {"username": "canbo-62"}, follow=True)
    assert "trong phạm vi của bạn" in refused.content.decode()
    assert AccessAttempt.objects.filter(username="canbo-62").exists()
    coordinator.post(reverse("lockouts"), {"username": "canbo-61001"})
    assert not AccessAttempt.objects.filter(username="canbo-61001").exists()
    again = Client().post(
        "/login/", {"username": "canbo-61001", "password": "dung-mat-khau-2024"}, REMOTE_ADDR="10.1.0.11"
    )
    assert again.status_code == 302


def test_a_viewer_cannot_see_or_unlock_lockouts(settings, province_people):
    _fail(Client(), "/login/", "canbo-61001", settings.AXES_FAILURE_LIMIT)
    viewer = Client()
    viewer.force_login(province_people["viewer"])
    assert viewer.get(reverse("lockouts")).status_code == 403
    assert viewer.post(reverse("lockouts"), {"username": "canbo-61001"}).status_code == 403
    assert AccessAttempt.objects.filter(username="canbo-61001").exists()
    assert Client().get(reverse("lockouts")).status_code == 302  # anonymous: to the login page


def test_the_administrator_unlocks_any_account(settings, province_people):
    admin = UserFactory(username="quantri", is_superuser=True, is_staff=True)
    _fail(Client(), "/admin/login/", "canbo-62", settings.AXES_FAILURE_LIMIT)
    client = Client()
    client.force_login(admin)
    client.post(reverse("lockouts"), {"username": "canbo-62"})
    assert not AccessAttempt.objects.filter(username="canbo-62").exists()


# --- password rules -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["98765432101", "nongthonmoi", "password123", "ngan-qua"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted():
    validate_password("Dong-Tam-Binh-Lieu-2024")
