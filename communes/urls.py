from django.urls import path

from . import views

urlpatterns = [
    path("memberships/", views.memberships, name="memberships"),
    path("memberships/<int:pk>/delete/", views.membership_delete, name="membership-delete"),
    path("memberships/locked/", views.lockouts, name="lockouts"),
]
