from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

urlpatterns = [
    path("memberships/", views.memberships, name="memberships"),
    path("memberships/<int:pk>/delete/", views.membership_delete, name="membership-delete"),
    path("memberships/locked/", views.lockouts, name="lockouts"),
    # the one-use link a new account's holder sets the password with
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_set.html", success_url=reverse_lazy("login")
        ),
        name="password-set",
    ),
]
